"""The Gradio app in chromium: a chat reply streams in from the real SmolLM2."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.browser.conftest import ROOT, free_port, screenshot, stop_process, wait_for


@pytest.fixture(scope="module")
def gradio_url(browser_env, tmp_path_factory):
    port = free_port()
    env = dict(browser_env, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_ANALYTICS_ENABLED="False")
    log = open(tmp_path_factory.mktemp("logs") / "gradio.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "gradio_app.py")], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/", 90, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)
        log.close()


def bot_text(page) -> str:
    bubbles = page.locator("[data-testid='bot']")
    return bubbles.last.inner_text() if bubbles.count() else ""


def test_chat_reply_streams_in_the_browser(page, gradio_url):
    page.goto(gradio_url)
    page.get_by_role("tab", name="Chat").wait_for(timeout=60_000)
    box = page.get_by_placeholder("Message", exact=False).element_handle()
    box.fill("What are the three primary colors? Answer in one sentence.")
    box.press("Enter")
    # Record the reply as it grows: streaming shows several lengths before the last.
    lengths, deadline = [], time.monotonic() + 180
    while time.monotonic() < deadline:
        text = bot_text(page)
        if text and (not lengths or len(text) != lengths[-1]):
            lengths.append(len(text))
        if lengths and box.is_enabled():  # the message box is disabled while a reply streams
            break
        time.sleep(0.1)
    reply = bot_text(page)
    assert len(reply.split()) >= 5, reply  # real words from the real model
    assert len(lengths) >= 3, lengths  # it arrived piece by piece
    assert page.locator(".toast-body.error").count() == 0
    screenshot(page, "gradio")
