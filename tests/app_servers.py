"""The app's servers in tests: a free local port, a Gradio demo served in-process,
a server process stopped, and the one sentence a Gradio endpoint answers an error with."""

from __future__ import annotations

import contextlib
import socket
import subprocess

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(demo, **launch):
    """`demo` on a free local port without blocking the test; afterwards it is closed and
    the models it loaded are dropped from the shared store. `launch`: more launch() options
    (the app's own i18n table, for a browser to read its labels)."""
    from lmlab.loading import default_store

    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(),
                quiet=True, **launch)
    try:
        yield demo
    finally:
        demo.close()
        default_store().clear()


def app_error(client, *args, api_name: str) -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name)
    return str(info.value)


def stop_process(proc: subprocess.Popen, grace: float = 10) -> None:
    """Ask a server process to end; kill it if it still runs after `grace` seconds."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
