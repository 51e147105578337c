"""Translate and Summarize in a real browser, offline: the embedded SmolLM2 answers as the fallback.

The server's catalog file also lists the tiny random Marian and T5; they are
local folders without a Hub repo, so the pages must not offer them.
"""

from tests.browser.conftest import move_slider_to, screenshot, wait_app_idle

FALLBACK_LABEL = "SmolLM2-135M-Instruct (fallback)"


def _model_options(page) -> list[str]:
    """The choices of the sidebar's Model box (it is closed again afterwards)."""
    box = page.locator("[data-testid='stSidebar']").get_by_role("combobox", name="Model")
    assert box.input_value() == FALLBACK_LABEL
    box.click()
    options = page.get_by_role("option")
    options.first.wait_for()
    names = [o.inner_text().strip() for o in options.all()]
    box.press("Escape")
    return names


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_translate_offline_uses_the_fallback(page, streamlit_url):
    page.goto(streamlit_url + "/translate")
    wait_app_idle(page, timeout=180_000)
    page.get_by_text("Fallback:", exact=False).first.wait_for(timeout=120_000)
    assert _model_options(page) == [FALLBACK_LABEL]  # the random tiny Marian is not offered
    # English -> French
    page.get_by_role("combobox", name="Target language").click()
    page.get_by_role("option", name="French").click()
    wait_app_idle(page)
    assert _model_options(page) == [FALLBACK_LABEL]
    source = page.get_by_label("Text to translate", exact=False)
    source.fill("Good morning. Where is the train station?")
    source.press("Control+Enter")
    wait_app_idle(page)
    page.get_by_role("button", name="Translate", exact=True).click()
    note = page.get_by_text("the fallback chat model", exact=False)  # under the answer
    note.wait_for(timeout=240_000)
    assert "Translated by SmolLM2-135M-Instruct" in note.inner_text()
    output = page.locator(".st-key-tr_output_box").inner_text().strip()
    assert len(output.split()) >= 2, output  # real words came back from the model
    page.get_by_text("is decoder-only", exact=False).wait_for()
    _no_exception(page)
    screenshot(page, "translate")


def test_summarize_offline_in_chunks(page, streamlit_url):
    page.goto(streamlit_url + "/summarize")
    wait_app_idle(page, timeout=180_000)
    page.get_by_text("Fallback:", exact=False).first.wait_for(timeout=120_000)
    assert _model_options(page) == [FALLBACK_LABEL]  # the random tiny T5 is not offered
    # Chunk size 512 -> 160 tokens: the sample text (~300 tokens) is read in parts.
    move_slider_to(page, "Chunk size (tokens)", 160)
    page.get_by_role("button", name="Summarize", exact=True).click()
    note = page.get_by_text("the fallback chat model", exact=False)  # under the summary
    note.wait_for(timeout=300_000)
    assert "Summarized by SmolLM2-135M-Instruct" in note.inner_text()
    summary = page.locator(".st-key-sum_output_box").inner_text()
    assert len(summary.split()) >= 5, summary
    parts = page.locator("[data-testid='stMetric']", has_text="Parts read")
    assert int(parts.locator("[data-testid='stMetricValue']").inner_text()) >= 2
    page.get_by_text("Done:", exact=False).wait_for()  # the progress bar finished
    compression = page.locator("[data-testid='stMetric']", has_text="Compression")
    assert float(compression.locator("[data-testid='stMetricValue']").inner_text().rstrip("×")) > 1
    _no_exception(page)
    screenshot(page, "summarize")
