"""A classroom in chromium: a shared link opens the same view, a lock holds, presenter mode.

The teacher's browser and a student's are two fresh browser contexts (two
sessions with nothing in common but the link). Runs on the embedded SmolLM2.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.browser.conftest import screenshot, wait_app_idle

TEXT = "The teacher wrote this sentence on the board."
HEATMAP_Z = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')]
      .filter(p => p.offsetParent !== null && p.data && p.data.length && p.data[0].z);
  return plots.length ? JSON.stringify(plots[0].data[0].z) : null;
}"""


def open_view(page, url: str) -> None:
    page.goto(url)
    wait_app_idle(page, timeout=180_000)
    page.get_by_role("tab", name="Heatmaps").click()
    page.wait_for_function(f"() => ({HEATMAP_Z})() !== null", timeout=60_000)


def slider_value(page, label: str) -> int:
    thumb = page.locator("[data-testid='stSlider']").filter(has_text=label).get_by_role("slider")
    return int(thumb.first.get_attribute("aria-valuenow"))


def test_a_shared_link_opens_the_same_settings_and_figure(chromium, streamlit_url):
    teacher = chromium.new_context(viewport={"width": 1400, "height": 1000})
    student = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = teacher.new_page()
        open_view(page, f"{streamlit_url}/attention?text={urllib.parse.quote(TEXT)}&layer=3")
        # The teacher moves the head slider by keyboard; the address bar follows.
        thumb = page.locator("[data-testid='stSlider']").filter(has_text="Head").get_by_role(
            "slider").first
        thumb.focus()
        for _ in range(2):
            thumb.press("ArrowRight")
        page.wait_for_function("() => location.search.includes('head=2')", timeout=60_000)
        wait_app_idle(page)
        teacher_z = page.evaluate(HEATMAP_Z)
        link = page.url
        assert "layer=3" in link and "head=2" in link

        other = student.new_page()
        open_view(other, link)
        assert other.locator("textarea").first.input_value() == TEXT
        assert slider_value(other, "Layer") == 3 and slider_value(other, "Head") == 2
        student_z = other.evaluate(HEATMAP_Z)
        assert student_z is not None and json.loads(student_z) == json.loads(teacher_z)
        assert other.locator("[data-testid='stException']").count() == 0
    finally:
        teacher.close()
        student.close()


def test_a_locked_control_cannot_be_changed(page, streamlit_url):
    open_view(page, f"{streamlit_url}/attention?text={urllib.parse.quote(TEXT)}&layer=2"
                    "&lock=layer,text")
    slider = page.locator("[data-testid='stSlider']").filter(has_text="Layer 🔒")
    thumb = slider.get_by_role("slider").first
    assert thumb.get_attribute("aria-disabled") == "true"
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_timeout(1500)
    wait_app_idle(page)
    assert slider_value(page, "Layer") == 2
    assert page.locator("textarea").first.is_disabled()
    assert "layer=2" in page.url and "lock=" in page.url


def test_presenter_mode_for_the_projector(page, streamlit_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{streamlit_url}/next-token?present=1&text="
              + urllib.parse.quote("The capital of France is"))
    wait_app_idle(page, timeout=180_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_attribute("aria-expanded") == "false"  # folded for the projector
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector("
                         "'[data-testid=\"stWidgetLabel\"] p')).fontSize)")
    assert size >= 26  # large type from the back of the room
    tick = page.evaluate("() => parseFloat(document.querySelector('.js-plotly-plot .xtick text')"
                         ".style.fontSize)")
    assert tick >= 20
    page.wait_for_timeout(500)
    path = screenshot(page, "presenter")
    assert path.stat().st_size > 20_000
