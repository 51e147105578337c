"""A deep link opened first on a freshly started server gets LM Lab's own menu.

Streamlit treats a pages/ folder as an old-style multipage app until app.py has
routed once, so this needs a server nobody has visited yet.
"""

from tests.browser.conftest import streamlit_server, wait_app_idle


def test_first_visit_by_deep_link_goes_through_the_router(page, browser_env, tmp_path):
    with streamlit_server(browser_env, tmp_path) as url:
        page.goto(url + "/token_lens")
        wait_app_idle(page, timeout=120_000)
        page.get_by_role("heading", name="Token probabilities").first.wait_for(timeout=120_000)
        nav = page.locator("[data-testid='stSidebarNav']")
        nav.get_by_text("Text generation").first.wait_for(timeout=30_000)  # LM Lab's titles,
        assert nav.get_by_text("attention_math").count() == 0  # not the file names
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("[data-testid='stDialog']").count() == 0  # no "Page not found"
