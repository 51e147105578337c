"""The GloVe calculator and the Embedding projector in chromium, on the real GloVe 6B 50d."""

from tests.browser.conftest import screenshot, wait_app_idle


def _open_from_sidebar(page, streamlit_url, link: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1800})  # the page in the screenshot
    page.goto(streamlit_url)  # the router's first run switches Streamlit to st.navigation
    wait_app_idle(page)
    page.get_by_role("link", name=link, exact=True).first.click()
    wait_app_idle(page, timeout=180_000)  # the first visit loads the 400k vectors


def _no_errors(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert page.dialogs == []


def test_glove_calculator_finds_queen(page, streamlit_url):
    _open_from_sidebar(page, streamlit_url, "GloVe")
    page.get_by_text("400,000 words × 50 dimensions", exact=False).wait_for(timeout=180_000)
    expression = page.get_by_label("Expression", exact=True)
    answers = page.locator(".st-key-glove_answers .js-plotly-plot")
    # Another analogy first, so that typing the classic one is a real change and a rerun.
    for typed, expected in (("paris - france + italy", "rome"), ("king - man + woman", "queen")):
        expression.fill(typed)
        expression.press("Enter")
        wait_app_idle(page)
        page.wait_for_function(
            "t => (document.querySelector('.st-key-glove_answers .js-plotly-plot .gtitle')"
            " || {}).textContent === t", arg=f"{typed} ≈ {expected}", timeout=60_000)
        # The title names the top answer; the dataframe is drawn on a canvas, but the bar
        # chart's word labels are SVG text.
        labels = answers.locator(".yaxislayer-above text").all_text_contents()
        assert expected in labels, labels
    assert {"king", "man", "woman"}.isdisjoint(labels)  # the words typed are left out
    _no_errors(page)
    screenshot(page, "glove")


def test_projector_draws_a_preset(page, streamlit_url):
    _open_from_sidebar(page, streamlit_url, "Embeddings")
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=180_000)  # the default preset (Royalty) drawn from GloVe
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name="Countries and capitals").click()
    wait_app_idle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot .textpoint text')]"
        ".some(t => t.textContent === 'paris')", timeout=60_000)
    points = page.locator(".js-plotly-plot").first.locator(".scatterlayer .point")
    assert points.count() == 20  # ten countries and their ten capitals
    title = chart.locator(".gtitle").text_content()
    assert "GloVe" in title and "20 points" in title, title
    legend = chart.locator(".legend .legendtext").all_text_contents()
    assert legend == ["country", "capital"], legend  # one colour per group
    assert page.locator(".js-plotly-plot").count() >= 2  # the map and the cosine heatmap
    _no_errors(page)
    screenshot(page, "embeddings")
