"""A class opens the Gradio app at once: a fresh server, an empty model cache, 12 first requests.

Every request is answered by the real embedded models (SmolLM2 converted from its
GGUF on the spot, GloVe), and the server log holds no load report and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from app_servers import free_port, stop_process

from lmlab import sources
from lmlab.registry import get_spec

ROOT = Path(__file__).resolve().parent.parent
SMOLLM = "HuggingFaceTB/SmolLM2-135M-Instruct"
CHAT = ("Be brief.", 4, 0)

REQUESTS = [  # (endpoint, arguments, check of the answer)
    ("/chat", ("Hello!", SMOLLM, *CHAT), lambda r: isinstance(r, str) and r.strip()),
    ("/chat", ("What is a token?", SMOLLM, *CHAT), lambda r: isinstance(r, str) and r.strip()),
    ("/generate", ("The cat sat on", SMOLLM, 4), lambda r: isinstance(r, str) and r.strip()),
    ("/generate", ("Once upon a time", SMOLLM, 4), lambda r: isinstance(r, str) and r.strip()),
    ("/compare_strategies", ("The sky is", SMOLLM, ["Greedy"], 4, 0),
     lambda r: r[1][0]["error"] is None and r[1][0]["texts"]),
    ("/token_probabilities", ("The cat sat on the mat.", SMOLLM, 3),
     lambda r: r["perplexity"] > 1 and len(r["tokens"]) >= 5),
    ("/token_probabilities", ("Paris is the capital of France.", SMOLLM, 3),
     lambda r: r["perplexity"] > 1),
    ("/next_token", ("The capital of France is", SMOLLM, 1.0, 5),
     lambda r: len(r["probabilities"]) == 5),
    ("/attention", ("The cat sat on the mat.", SMOLLM, 0, 0, 0),
     lambda r: len(r["weights"]) == len(r["tokens"]) >= 5),
    ("/analogy", ("king - man + woman", "glove-6B-50d", 5),
     lambda r: "queen" in [a["word"] for a in r["answers"]]),
    ("/translate", ("Good morning.", "en", "de", "auto", 1, 8), lambda r: str(r[0]).strip()),
    ("/summarize", ("The cat sat on the mat. The dog slept on the rug. Both were happy.", 10,
                    "auto", 1), lambda r: str(r[0]).strip()),
]

needs_models = pytest.mark.skipif(
    not all(sources.offline_available(get_spec(m)) for m in (SMOLLM, "glove-6B-50d")),
    reason="the embedded SmolLM2 and GloVe packages are not installed")


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/gradio_api/info", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


@needs_models
def test_twelve_first_requests_on_a_fresh_server(tmp_path):
    from gradio_client import Client

    port = free_port()
    log_path = tmp_path / "gradio.log"
    env = dict(os.environ, HF_HUB_OFFLINE="1", LMLAB_DEVICE="cpu", PYTHONPATH=str(ROOT),
               LMLAB_CACHE=str(tmp_path / "empty-cache"), GRADIO_SERVER_NAME="127.0.0.1",
               GRADIO_SERVER_PORT=str(port), GRADIO_ANALYTICS_ENABLED="False")
    env.pop("LMLAB_CATALOG_FILE", None)
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "gradio_app.py")], cwd=ROOT,
                                env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_up(url, proc)
        results: dict[int, object] = {}
        barrier = threading.Barrier(len(REQUESTS))

        def student(i: int, endpoint: str, args: tuple) -> None:
            try:
                client = Client(url, verbose=False)  # each student is a session of their own
                barrier.wait()
                results[i] = client.predict(*args, api_name=endpoint)
            except Exception as error:  # noqa: BLE001 - reported in the assertion
                results[i] = error

        threads = [threading.Thread(target=student, args=(i, e, a))
                   for i, (e, a, _) in enumerate(REQUESTS)]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=540)
        elapsed = time.monotonic() - start
        failures = {REQUESTS[i][0]: r for i, r in results.items()
                    if isinstance(r, Exception) or not REQUESTS[i][2](r)}
        assert len(results) == len(REQUESTS) and not failures, failures
        print(f"\n12 first requests served in {elapsed:.1f} s on a fresh server")
    finally:
        stop_process(proc, grace=15)
    log = log_path.read_text(errors="replace")
    for unexpected in ("LOAD REPORT", "newly initialized", "Traceback", "failed to load"):
        assert unexpected not in log, log[-4000:]
    converted = list((tmp_path / "empty-cache" / "converted").iterdir())
    assert [p.name for p in converted if not p.name.startswith(".")] == \
        ["SmolLM2-135M-Instruct.Q4_1"]
