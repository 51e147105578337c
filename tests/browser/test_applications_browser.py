"""The applications pages in chromium on the embedded models: Sentiment, Question answering,
Bias probe and Compute cost; each saves its screenshot to docs/screenshots/."""

from tests.browser.conftest import screenshot, wait_app_idle

SLOW = 420_000  # SmolLM2 on a shared 2-core CPU: a first load and a forward can take minutes


def _open(page, streamlit_url, url_path: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1600})
    page.goto(streamlit_url, timeout=SLOW)  # the router's first run switches Streamlit to st.navigation
    wait_app_idle(page, timeout=SLOW)
    # The sidebar folds pages past the first few under "View more": open the page's own URL.
    page.goto(f"{streamlit_url}/{url_path}", timeout=SLOW)
    wait_app_idle(page, timeout=SLOW)


def _no_errors(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert page.dialogs == []


def test_sentiment_page_shows_label_probabilities(page, streamlit_url):
    _open(page, streamlit_url, "classify")
    page.locator(".js-plotly-plot").first.wait_for(timeout=SLOW)
    labels = page.locator(".js-plotly-plot").first.locator(".yaxislayer-above text") \
        .all_text_contents()
    assert {"positive", "negative", "neutral"} <= set(labels), labels
    _no_errors(page)
    screenshot(page, "classify")


def test_bias_page_shows_pronouns_and_weat(page, streamlit_url):
    _open(page, streamlit_url, "bias")
    page.locator(".js-plotly-plot").first.wait_for(timeout=SLOW)
    legend = page.locator(".js-plotly-plot").first.locator(".legend .legendtext") \
        .all_text_contents()
    assert legend == ["P(he)", "P(she)"], legend
    # The WEAT tab is drawn in the same run, hidden until its tab is chosen.
    page.locator("[data-testid='stMetricLabel']").filter(has_text="Effect size d").first \
        .wait_for(state="attached", timeout=SLOW)
    _no_errors(page)
    screenshot(page, "bias")


def test_compute_page_measures_tokens_per_second(page, streamlit_url):
    _open(page, streamlit_url, "compute")
    # The measured rate, not the lesson's text (in a folded expander, so hidden).
    page.locator("[data-testid='stMetricValue']").filter(has_text="tokens/s").first \
        .wait_for(timeout=SLOW)
    page.locator(".js-plotly-plot").nth(1).wait_for(timeout=SLOW)
    bars = page.locator(".js-plotly-plot").first.locator(".yaxislayer-above text") \
        .all_text_contents()
    assert "GPT-3 (175B)" in bars and "Llama 2 70B" in bars, bars
    _no_errors(page)
    screenshot(page, "compute")


def test_qa_page_answers_from_the_context(page, streamlit_url):
    _open(page, streamlit_url, "qa")
    page.get_by_role("button", name="Answer", exact=True).click()
    wait_app_idle(page, timeout=SLOW)
    page.get_by_text("Context tokens shaded by saliency", exact=False).wait_for(timeout=SLOW)
    chips = page.locator("span[title]")
    assert chips.count() > 20  # one chip per context token
    text = "".join(chips.all_text_contents())
    assert "Gustave Eiffel" in text
    _no_errors(page)
    screenshot(page, "qa")
