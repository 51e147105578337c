"""The training lab in a real browser: train a few steps and see the curve grow."""

from tests.browser.conftest import screenshot, wait_app_idle


def test_training_draws_a_live_curve(page, streamlit_url):
    page.set_viewport_size({"width": 1400, "height": 2000})  # the whole page in the screenshot
    page.goto(streamlit_url)  # the router's first run switches Streamlit to st.navigation
    wait_app_idle(page)
    page.get_by_role("link", name="Training lab").first.click()
    wait_app_idle(page)
    page.get_by_text("Pick a corpus and a model").wait_for()
    steps = page.get_by_role("spinbutton", name="Steps", exact=True)
    steps.fill("100")
    steps.press("Enter")
    wait_app_idle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    # While training, the progress text moves; at the end the success sentence appears.
    page.get_by_text("step 100 / 100", exact=False).wait_for(timeout=240_000)
    page.get_by_text("Finished 100 steps", exact=False).wait_for(timeout=60_000)
    wait_app_idle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for()
    screenshot(page, "train")
    # Train and validation curves plus the unigram baseline line are drawn.
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 2
    legend = chart.inner_text()
    assert "validation" in legend and "unigram baseline" in legend
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stCode']").count() >= 1  # a generated sample
