"""From the Next-token page to the logit lens on the same text, in a real browser on SmolLM2."""

from lmlab.errors import GENERIC_MESSAGE
from tests.browser.conftest import screenshot, wait_app_idle


def test_next_token_opens_the_logit_lens_on_the_same_text(page, streamlit_url):
    page.goto(streamlit_url + "/next_token", timeout=180_000)
    wait_app_idle(page, timeout=600_000)  # the first visit loads the float32 copy
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    prompt = page.get_by_role("textbox", name="Prompt")
    prompt.fill("The Eiffel Tower is in the city of")
    prompt.press("Control+Enter")
    wait_app_idle(page, timeout=600_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    page.get_by_role("button", name="Open in Look deeper").click(timeout=120_000)
    page.wait_for_url("**/interpret**", timeout=120_000)
    wait_app_idle(page, timeout=600_000)  # one traced forward and the lens over 30 layers
    page.get_by_role("heading", name="Look deeper").first.wait_for(timeout=60_000)
    text = page.get_by_label("Text (up to", exact=False)
    assert text.input_value() == "The Eiffel Tower is in the city of"
    lens = page.locator(".js-plotly-plot", has_text="Logit lens")
    lens.first.wait_for(timeout=600_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "layer 29" in body and "the model's final prediction there is" in body
    # The last position's final prediction on SmolLM2 is " Paris".
    assert "Paris" in body, body[-1500:]
    assert page.locator("[data-testid='stException']").count() == 0
    assert not page.dialogs
    page.set_viewport_size({"width": 1400, "height": 2200})
    page.wait_for_timeout(1500)
    screenshot(page, "interpret")

    # A new text changes every position's label ("#8 ␣of"), not the chosen position: the
    # browser still holds the old label and sends it with the next click.
    text.fill("Ships far out at sea saw the beam and knew where the rocks were")
    text.press("Control+Enter")
    wait_app_idle(page, timeout=600_000)
    page.get_by_role("tab", name="Information flow").click()
    wait_app_idle(page, timeout=600_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert GENERIC_MESSAGE.split(";")[0] not in body, body[:1500]
    assert page.locator("[data-testid='stException']").count() == 0
    assert "the shares add up to" in body  # the flow view drew, for the position kept (#8)
    chosen = page.locator(".st-key-ld_position")
    assert "#8 ␣beam" in (chosen.inner_text() + chosen.locator("input").input_value())
