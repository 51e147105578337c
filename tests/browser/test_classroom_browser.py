"""A classroom in chromium: a shared link opens the same view, a lock holds, presenter mode.

The teacher's browser and a student's are two fresh browser contexts (two
sessions with nothing in common but the link). Runs on the embedded SmolLM2.
"""

from __future__ import annotations

import json
import urllib.parse

from tests.browser.conftest import (move_slider_to, screenshot, slider, slider_value,
                                    wait_app_idle)

TEXT = "The teacher wrote this sentence on the board."
HEATMAP_Z = "p => JSON.stringify(p.data.map(trace => trace.z || null))"  # the numbers drawn


def open_view(page, url: str):
    """Open the Attention page from `url`; returns the Heatmaps tab's first figure."""
    page.goto(url, timeout=180_000)
    wait_app_idle(page, timeout=180_000)
    tab = page.get_by_role("tab", name="Heatmaps")
    tab.wait_for(timeout=240_000)  # the first visit loads SmolLM2 (tens of seconds on a CPU)
    tab.click()
    panel = page.get_by_role("tabpanel", name="Heatmaps")
    panel.locator(".js-plotly-plot g.hm image").first.wait_for(timeout=60_000)
    return panel.locator(".js-plotly-plot").first


def test_a_shared_link_opens_the_same_settings_and_figure(chromium, streamlit_url):
    teacher = chromium.new_context(viewport={"width": 1400, "height": 1000})
    student = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = teacher.new_page()
        open_view(page, f"{streamlit_url}/attention?text={urllib.parse.quote(TEXT)}&layer=3")
        # The teacher moves the head slider by keyboard; the address bar follows.
        move_slider_to(page, "Head", 2)
        page.wait_for_function("() => location.search.includes('head=2')", timeout=60_000)
        wait_app_idle(page)
        assert slider_value(page, "Head") == 2
        teacher_z = page.get_by_role("tabpanel", name="Heatmaps").locator(
            ".js-plotly-plot").first.evaluate(HEATMAP_Z)
        link = page.url
        assert "layer=3" in link and "head=2" in link

        other = student.new_page()
        figure = open_view(other, link)
        assert other.locator("textarea").first.input_value() == TEXT
        assert slider_value(other, "Layer") == 3 and slider_value(other, "Head") == 2
        student_z = figure.evaluate(HEATMAP_Z)
        assert any(json.loads(teacher_z))  # the figure has numbers to compare
        assert json.loads(student_z) == json.loads(teacher_z)
        assert other.locator("[data-testid='stException']").count() == 0
    finally:
        teacher.close()
        student.close()


def test_a_locked_control_cannot_be_changed(page, streamlit_url):
    page.goto(f"{streamlit_url}/attention?text={urllib.parse.quote(TEXT)}&layer=2"
              "&lock=layer,text", timeout=180_000)
    wait_app_idle(page, timeout=300_000)
    tab = page.get_by_role("tab", name="Heatmaps")
    tab.wait_for(timeout=240_000)
    tab.click()
    slider(page, "Layer 🔒").wait_for(timeout=120_000)
    thumb = slider(page, "Layer 🔒").get_by_role("slider")
    assert thumb.is_disabled()  # the range input itself refuses focus and keys
    slider(page, "Layer 🔒").click()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(1500)
    wait_app_idle(page)
    assert slider_value(page, "Layer") == 2
    assert page.locator("textarea").first.is_disabled()
    assert "layer=2" in page.url and "lock=" in page.url


def test_presenter_mode_for_the_projector(page, streamlit_url):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{streamlit_url}/next_token?present=1&text="
              + urllib.parse.quote("The capital of France is"), timeout=180_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=420_000)  # a first SmolLM2 load
    wait_app_idle(page, timeout=180_000)
    page.keyboard.press("Escape")  # a server's very first deep link notes its page switch
    page.wait_for_timeout(500)
    path = screenshot(page, "presenter")
    assert path.stat().st_size > 20_000
    # Folded for the projector: the sidebar starts out of view.
    box = page.locator("[data-testid='stSidebar']").bounding_box()
    assert box is None or box["x"] + box["width"] <= 80, box
    size = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector("
                         "'[data-testid=\"stWidgetLabel\"] p')).fontSize)")
    assert size >= 18  # large type from the back of the room (labels are 14 px without it)
    tick = page.evaluate("() => parseFloat(document.querySelector('.js-plotly-plot .xtick text')"
                         ".style.fontSize)")
    assert tick >= 20
