"""Chat, next-token explorer and token lens in a real browser on the real SmolLM2."""

import time

from tests.browser.conftest import screenshot, wait_app_idle

MESSAGES = "[data-testid='stChatMessage']"


def send(page, text: str) -> None:
    box = page.locator("[data-testid='stChatInputTextArea']")
    box.fill(text)
    box.press("Enter")


def assistant_texts(page) -> list[str]:
    return page.locator(MESSAGES).evaluate_all(
        "els => els.filter(e => e.querySelector('[data-testid=\"stChatMessageAvatarAssistant\"]'))"
        ".map(e => e.innerText)")


def wait_reply(page, count: int) -> None:
    """Wait until `count` assistant messages exist and the run is over."""
    page.wait_for_function(
        f"() => document.querySelectorAll(\"{MESSAGES}\").length >= {2 * count}", timeout=180_000)
    wait_app_idle(page, timeout=180_000)


def test_chat_two_turns_then_stop_a_stream(page, streamlit_url):
    page.goto(streamlit_url + "/chat")
    wait_app_idle(page, timeout=180_000)
    page.get_by_text("SmolLM2-135M-Instruct", exact=False).first.wait_for()
    # A deep link opened first still gets LM Lab's own menu, not Streamlit's file list.
    page.get_by_role("link", name="Text generation").first.wait_for(timeout=30_000)

    send(page, "What is the capital of France? Answer in one sentence.")
    wait_reply(page, 1)
    first = assistant_texts(page)
    assert len(first) == 1 and len(first[0].split()) >= 3, first

    # Second turn: markup in a message is shown as text and never runs.
    send(page, "<script>window.__pwned = 1</script> And the capital of Italy?")
    wait_reply(page, 2)
    assert page.get_by_text("<script>window.__pwned = 1</script>", exact=False).count() >= 1
    assert page.evaluate("() => window.__pwned") is None
    assert len(assistant_texts(page)) == 2
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "chat")

    # Third turn: stop the stream part-way; what arrived stays in the history.
    send(page, "Write a very long story about a dragon who collects teapots, with many chapters.")
    page.wait_for_function(
        f"() => {{ const m = document.querySelectorAll(\"{MESSAGES}\"); "
        "return m.length >= 6 && m[5].innerText.split(/\\s+/).length > 8; }", timeout=180_000)
    page.get_by_role("button", name="Stop").click()
    stopped_note = page.get_by_text("Stopped: this reply is what had arrived")
    stopped_note.first.wait_for(timeout=60_000)
    wait_app_idle(page)
    assert stopped_note.count() == 1
    stopped = assistant_texts(page)[-1]
    time.sleep(2)
    assert assistant_texts(page)[-1] == stopped  # it really stopped
    assert len(stopped.split()) > 8
    assert len(assistant_texts(page)) == 3
    assert page.locator("[data-testid='stException']").count() == 0


def test_next_token_click_appends_and_steps_forward(page, streamlit_url):
    page.goto(streamlit_url + "/next_token")
    wait_app_idle(page, timeout=180_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    prompt = page.get_by_role("textbox", name="Prompt")
    start = prompt.input_value()
    page.locator("button", has_text="➕").first.click()
    wait_app_idle(page)
    page.wait_for_function(
        f"() => document.querySelector('textarea').value.length > {len(start)}", timeout=60_000)
    after_button = prompt.input_value()
    assert after_button.startswith(start) and len(after_button) > len(start)
    # Clicking a bar of the chart does the same.
    # Plotly takes clicks on its drag layer above the bars, as a user's click would land.
    box = page.locator(".js-plotly-plot .bars .point").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        f"() => document.querySelector('textarea').value.length > {len(after_button)}",
        timeout=60_000)
    wait_app_idle(page)
    assert prompt.input_value().startswith(after_button)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "next_token")


def test_token_lens_colours_tokens_and_hover_shows_top5(page, streamlit_url):
    page.goto(streamlit_url + "/token_lens")
    wait_app_idle(page, timeout=180_000)
    chips = page.locator(".lm-chip")
    chips.first.wait_for(timeout=120_000)
    assert chips.count() > 20
    chips.nth(3).hover()
    tip = chips.nth(3).locator(".lm-tip")
    assert tip.is_visible() and tip.locator("tr").count() == 5
    assert page.get_by_text("Perplexity").count() >= 1
    screenshot(page, "token_lens")

    text = page.get_by_role("textbox", name="Text (up to", exact=False)
    text.fill("Hello <img src=x onerror=\"window.__lens = 1\"> world")
    text.press("Control+Enter")
    page.get_by_role("button", name="Score", exact=True).click()
    page.get_by_text("<img", exact=False).first.wait_for(timeout=60_000)
    wait_app_idle(page)
    assert page.evaluate("() => window.__lens") is None
    assert page.locator("[data-testid='stException']").count() == 0
