"""A lone surrogate typed into a page gets a sentence, and the session keeps answering."""

from tests.browser.conftest import wait_app_idle

# Sets a text box the way a paste does, with a lone UTF-16 surrogate inside.
SET_VALUE = """(sel) => { const el = document.querySelector(sel);
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  setter.call(el, 'king \\ud800 queen'); el.dispatchEvent(new Event('input', {bubbles: true})); }"""
BOX = ".st-key-glove_expr input"


def test_a_lone_surrogate_is_answered_and_the_session_goes_on(page, streamlit_url):
    page.goto(streamlit_url)
    wait_app_idle(page)
    page.goto(streamlit_url + "/glove")
    page.wait_for_selector(BOX, timeout=120_000)  # GloVe loads on a first visit
    wait_app_idle(page)
    page.evaluate(SET_VALUE, BOX)
    page.press(BOX, "Enter")
    alert = page.locator("[data-testid='stAlert']", has_text="\ufffd")
    alert.first.wait_for(timeout=120_000)  # a sentence about the input, with a visible mark
    page.fill(BOX, "paris - france + japan")
    page.press(BOX, "Enter")
    # The session still answers (a visible match: a folded lesson may hold the same word).
    page.get_by_text("tokyo").filter(visible=True).first.wait_for(timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.dialogs == []
