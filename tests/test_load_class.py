"""A class at once: 30 students chat with one Gradio server process at the same second.

Every student gets the reply they would get alone, nobody gets an error, the
server holds one copy of the model, and the batching engine really batched.
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

        with served(gradio_app.build_demo()) as demo:
            yield demo


def test_thirty_students_at_once_all_get_their_reply(server):
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

    clients = [Client(server.local_url, verbose=False) for _ in range(STUDENTS)]  # sessions
    replies: list = [None] * STUDENTS
    seconds: list = [0.0] * STUDENTS
    ready, go = threading.Barrier(STUDENTS + 1), threading.Event()

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

    threads = [threading.Thread(target=student, args=(n,)) for n in range(STUDENTS)]
    for thread in threads:
        thread.start()
    ready.wait(60)
    start = time.perf_counter()
    go.set()  # the teacher says "everyone, ask the chat something"
    for thread in threads:
        thread.join(120)
    wall = time.perf_counter() - start

    errors = [repr(r) for r in replies if not isinstance(r, str)]
    assert errors == []
    for n, reply in enumerate(replies):
        assert reply == expected[QUESTIONS[n % len(QUESTIONS)]], n
    assert engine.peak_rows >= 2  # requests shared batches instead of taking turns
    copies = default_store().loaded_keys()
    assert set(copies) - copies_before <= {("tiny/llama-chat", "generate")}  # the class loads no other
    assert copies.count(("tiny/llama-chat", "generate")) == 1  # one copy serves the class
    rss_after = rss_mb()
    report = (f"\n{STUDENTS} students: all replied, 0 errors, wall {wall:.1f} s, slowest "
              f"{max(seconds):.1f} s, largest batch {engine.peak_rows}, process RSS "
              f"{rss_after:.0f} MB ({rss_after - rss_before:+.0f} MB during the class)")
    print(report)
    if os.environ.get("LMLAB_LOAD_REPORT"):
        with open(os.environ["LMLAB_LOAD_REPORT"], "a") as out:
            out.write(report + "\n")
