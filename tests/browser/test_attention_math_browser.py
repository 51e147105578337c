"""The attention-math page in a real browser on the real SmolLM2."""

import re

from tests.browser.conftest import screenshot, wait_app_idle


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=False).filter(visible=True).first  # the cell-math tab
    box.fill(str(value))
    box.press("Enter")
    wait_app_idle(page)


def test_cell_math_on_smollm2(page, streamlit_url):
    page.goto(streamlit_url + "/attention_math")
    wait_app_idle(page, timeout=180_000)  # the first visit loads the float32 copy
    page.get_by_text("Source: embedded offline copy · float32").wait_for(timeout=180_000)
    wait_app_idle(page)
    text = page.get_by_label("Text (up to", exact=False)
    text.fill("The cat sat on the mat because it was warm.")
    text.press("Control+Enter")
    page.get_by_role("button", name="Compute").click(timeout=120_000)
    page.get_by_text("30 layers · 9 query heads · 3 key/value heads · d_k = 64").wait_for(
        timeout=120_000)
    wait_app_idle(page)
    set_number(page, "Layer (0–29)", 3)
    set_number(page, "Head (0–8)", 4)
    page.get_by_text("share key/value head 1").wait_for()
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "the row sums to 1.000000" in body
    # The live check of the recomputation against the model's own weights is tiny.
    error = re.search(r"over all heads of layer 3: ([0-9.e+-]+)\.", body)
    assert error and float(error.group(1)) < 1e-5, body[-800:]
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator(".js-plotly-plot").count() >= 3
    assert not page.dialogs
    page.set_viewport_size({"width": 1400, "height": 3000})  # the page scrolls inside the app
    page.wait_for_timeout(1500)
    screenshot(page, "attention_math")
