"""The attention page in chromium with the network blocked, on the real SmolLM2."""

from tests.browser.conftest import screenshot, wait_app_idle

FRAME = ".st-key-att_bertviz_frame iframe"
HOSTILE = "<img src=x onerror=alert(1)> </script><script>alert(1)</script> the end"


def _open(page, streamlit_url):
    # Home first: a fresh server's very first deep link is routed before app.py has
    # registered its pages with st.navigation.
    page.goto(streamlit_url)
    wait_app_idle(page)
    page.goto(streamlit_url + "/attention")
    wait_app_idle(page, timeout=180_000)  # the first visit converts the embedded model once
    page.get_by_text("SmolLM2-135M-Instruct: 30 layers × 9 heads").wait_for(timeout=180_000)


def _head_view(page):
    # Streamlit's frame holds a sandboxed inner frame (opaque origin) where bertviz runs.
    frame = page.frame_locator(FRAME).frame_locator("iframe")
    frame.locator("#bertviz-lmlab #vis svg").first.wait_for(timeout=30_000)
    return frame


def _show_heatmaps(page):
    page.get_by_role("tab", name="Heatmaps").click()
    panel = page.get_by_role("tabpanel", name="Heatmaps")
    panel.locator(".js-plotly-plot g.hm image").first.wait_for(timeout=30_000)
    return panel


def test_head_view_and_heatmaps_render_offline(page, streamlit_url):
    _open(page, streamlit_url)
    frame = _head_view(page)
    # d3 drew the tokens and one line per (head, query, key): the vendored JS ran.
    labels = frame.locator("#vis svg text").all_text_contents()
    assert {"The", "cat", "tired"} <= set(labels), labels
    assert frame.locator("#vis svg line").count() >= 9 * 11 * 11
    assert frame.locator("#layer option").count() == 30
    page.set_viewport_size({"width": 1400, "height": 1450})  # down to the head view's lines
    screenshot(page, "attention")
    panel = _show_heatmaps(page)
    assert panel.locator(".js-plotly-plot").count() >= 2  # one head + all heads of the layer
    assert panel.locator(".js-plotly-plot g.hm image").count() >= 1 + 9
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.dialogs == []


def test_user_text_cannot_run_script(page, streamlit_url):
    _open(page, streamlit_url)
    box = page.locator(".st-key-att_text textarea")
    box.fill(HOSTILE)
    box.press("Control+Enter")
    wait_app_idle(page, timeout=120_000)
    frame = _head_view(page)
    frame.locator("#vis svg text", has_text="end").first.wait_for(timeout=60_000)
    labels = frame.locator("#vis svg text").all_text_contents()
    assert any("script" in label for label in labels)  # shown as text...
    assert frame.locator("img").count() == 0  # ...never parsed as HTML
    _show_heatmaps(page)
    page.wait_for_timeout(1_000)  # give any injected handler time to fire
    assert page.locator("img[src='x']").count() == 0
    assert page.dialogs == []
    assert page.locator("[data-testid='stException']").count() == 0
