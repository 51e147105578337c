"""A class at once: 30 students chat with one Gradio server process at the same second.

Twenty-seven call the API (gradio_client) and three type into the chat in chromium.
Every API student gets the reply they would get alone, every browser student sees a
reply stream in, nobody gets an error, the server holds one copy of the model, and
the batching engine really batched. A student who closes the tab mid-reply frees
the model (the engine stops that request), and the next student is served.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from app_servers import served
from tiny_models import registered_first

from lmlab.chat import reply_stream
from lmlab.generation import GenerationParams
from lmlab.loading import default_store

STUDENTS = 30
IN_BROWSERS = 3  # of the 30: the rest call the API
TINY_CHAT = "Tiny Llama (chat)"
SMOLLM = "HuggingFaceTB/SmolLM2-135M-Instruct"
MAX_NEW_TOKENS = 12
QUESTIONS = ["hello world", "what is a token ?", "the cat sat on the mat .",
             "once upon a time", "how are you today ?"]
SYSTEM = "Be brief."


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@pytest.fixture(scope="module")
def server(tiny_specs):
    with registered_first(tiny_specs):
        import gradio_app

        with served(gradio_app.build_demo(), **gradio_app.LAUNCH_OPTIONS) as demo:
            yield demo


def open_chat(chromium, url: str, model: str = TINY_CHAT, system: str | None = SYSTEM,
              message: str = QUESTIONS[0]):
    """A browser student on the Chat tab with `model` chosen and `message` typed."""
    page = chromium.new_context(viewport={"width": 1200, "height": 900}).new_page()
    page.goto(url, timeout=120_000)
    page.get_by_role("tab", name="Chat").wait_for(timeout=120_000)
    page.get_by_role("combobox", name="Model").first.click()
    page.get_by_role("option").filter(has_text=model).first.click()
    if system is not None:  # the tiny model's 128-token context holds a short one only
        page.get_by_text("Settings").first.click()
        page.get_by_label("System prompt").first.fill(system)
    box = page.get_by_placeholder("Message", exact=False)
    box.fill(message)
    return page, box


def browser_replies(pages: list, settle_s: float = 3.0, timeout_s: float = 180) -> list[str]:
    """Each browser student's reply, once it has stopped growing for `settle_s`."""
    replies = []
    for page, _ in pages:
        bot = page.locator("[data-testid='bot']")
        bot.first.wait_for(timeout=timeout_s * 1000)
        text, since, deadline = None, time.monotonic(), time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            now = bot.last.inner_text()
            if now != text:
                text, since = now, time.monotonic()
            elif text.strip() and time.monotonic() - since >= settle_s:
                break
            page.wait_for_timeout(250)
        replies.append(text)
        errors = page.locator("[data-testid='toast-text']").all_inner_texts()
        assert not errors, errors
    return replies


def test_thirty_students_at_once_all_get_their_reply(server, chromium):
    from gradio_client import Client

    from lmlab.batching import local_engine

    loaded = default_store().get("tiny/llama-chat")
    params = GenerationParams(max_new_tokens=MAX_NEW_TOKENS, do_sample=False, top_p=0.9, seed=None)
    expected = {q: "".join(reply_stream(loaded, SYSTEM, [{"role": "user", "content": q}], params))
                for q in QUESTIONS}
    engine = local_engine(loaded)
    engine.peak_rows = 0
    rss_before = rss_mb()
    copies_before = set(default_store().loaded_keys())  # earlier tests may hold other copies

    callers = STUDENTS - IN_BROWSERS
    pages = [open_chat(chromium, server.local_url) for _ in range(IN_BROWSERS)]
    clients = [Client(server.local_url, verbose=False) for _ in range(callers)]  # sessions
    replies: list = [None] * callers
    seconds: list = [0.0] * callers
    ready, go = threading.Barrier(callers + 1), threading.Event()

    def student(n: int) -> None:
        ready.wait(60)
        go.wait(60)
        start = time.perf_counter()
        try:
            replies[n] = clients[n].predict(QUESTIONS[n % len(QUESTIONS)], "tiny/llama-chat",
                                            SYSTEM, MAX_NEW_TOKENS, 0, api_name="/chat")
        except Exception as error:  # counted below: the test wants none
            replies[n] = error
        seconds[n] = time.perf_counter() - start

    threads = [threading.Thread(target=student, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    ready.wait(60)
    start = time.perf_counter()
    go.set()  # the teacher says "everyone, ask the chat something"
    for _, box in pages:
        box.press("Enter")
    seen = browser_replies(pages)
    for thread in threads:
        thread.join(120)
    wall = time.perf_counter() - start
    for page, _ in pages:
        page.context.close()

    errors = [repr(r) for r in replies if not isinstance(r, str)]
    assert errors == []
    assert all(reply.strip() for reply in seen), seen  # each browser saw its reply
    for n, reply in enumerate(replies):
        assert reply == expected[QUESTIONS[n % len(QUESTIONS)]], n
    assert engine.peak_rows >= 2  # requests shared batches instead of taking turns
    copies = default_store().loaded_keys()
    # The class loads no other model for generation (a browser's first visit also draws the
    # Attention tab, from the inspection copy).
    new_for_generation = {key for key in set(copies) - copies_before if key[1] == "generate"}
    assert new_for_generation <= {("tiny/llama-chat", "generate")}
    assert copies.count(("tiny/llama-chat", "generate")) == 1  # one copy serves the class
    rss_after = rss_mb()
    report = (f"\n{STUDENTS} students ({IN_BROWSERS} in browsers): all replied, 0 errors, "
              f"wall {wall:.1f} s, slowest API reply "
              f"{max(seconds):.1f} s, largest batch {engine.peak_rows}, process RSS "
              f"{rss_after:.0f} MB ({rss_after - rss_before:+.0f} MB during the class)")
    print(report)
    if os.environ.get("LMLAB_LOAD_REPORT"):
        with open(os.environ["LMLAB_LOAD_REPORT"], "a") as out:
            out.write(report + "\n")


def test_a_tab_closed_mid_reply_frees_the_model_and_the_next_student_is_served(server, chromium):
    from lmlab.batching import local_engine

    engine = local_engine(default_store().get(SMOLLM))  # the copy the server streams from
    stopped_before = engine.stopped
    page, box = open_chat(chromium, server.local_url, "SmolLM2-135M", system=None,
                          message="Tell me a long story about a dragon and a castle.")
    box.press("Enter")
    bot = page.locator("[data-testid='bot']").last
    page.wait_for_function("el => el.innerText.trim().length > 0", arg=bot.element_handle(),
                           timeout=180_000)
    page.context.close()  # the student closes the tab while the reply streams
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (engine.stopped == stopped_before
                                           or engine.active_rows()):
        time.sleep(0.2)
    assert engine.stopped > stopped_before  # ended by the closed tab, not by its length
    assert engine.active_rows() == 0  # nobody is generating for a closed tab

    page, box = open_chat(chromium, server.local_url, "SmolLM2-135M", system=None,
                          message="What is a token?")
    box.press("Enter")
    [reply] = browser_replies([(page, box)])
    assert len(reply.split()) >= 3, reply  # the next student got real words
    page.context.close()
