"""Chat and text generation on an OpenAI-compatible server (vLLM, TGI, SGLang, llama.cpp, Ollama).

A deployment that outgrows one machine sets LMLAB_ENGINE_URL (+ LMLAB_ENGINE_API_KEY,
LMLAB_ENGINE_MODEL) and every app replica streams text from that server; inspection
views keep using the local copy of the model (a server only returns tokens).
The engine speaks lmlab.engine's protocol (`submit(EngineRequest) -> token chunks`);
request shapes and each server's `logprobs` are read in lmlab/openai_stream.py.
Standard library only: http.client gives separate connect and read time-outs, and a
stop can shut the socket while the server is still silent.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlsplit

from lmlab.engine import EngineRequest, TokenEvent, read_ahead
from lmlab.errors import EngineUnavailable, InputError, LMLabError
from lmlab.openai_stream import LLAMA_CPP, TAKES_EXTRAS, parse_sse, request_body, token_events

if TYPE_CHECKING:
    from lmlab.loading import LoadedModel

ENV_URL, ENV_API_KEY, ENV_MODEL = "LMLAB_ENGINE_URL", "LMLAB_ENGINE_API_KEY", "LMLAB_ENGINE_MODEL"
CONNECT_TIMEOUT_S = 3.0  # a server that does not take the connection by then is down
READ_TIMEOUT_S = 30.0  # longest silence accepted while a reply streams (prefill included)
PROBE_TIMEOUT_S = 5.0  # /v1/models must answer quickly; it decides local vs external
RECHECK_OK_S, RECHECK_DOWN_S = 60.0, 15.0  # how long a probe's verdict is trusted

# owned_by in /v1/models -> what the server is, for the "Text from:" line
# ("me" is llama-cpp-python's server, "llamacpp" llama.cpp's own).
FAMILIES = {"llamacpp": LLAMA_CPP, "me": LLAMA_CPP, "vllm": "vLLM", "sglang": "SGLang",
            "library": "Ollama", "ollama": "Ollama", "text-generation-inference": "TGI"}


@dataclass(frozen=True)
class EngineConfig:
    url: str
    api_key: str | None = None
    model: str | None = None
    connect_timeout: float = CONNECT_TIMEOUT_S
    read_timeout: float = READ_TIMEOUT_S

    @classmethod
    def from_env(cls, environ=None) -> "EngineConfig | None":
        env = os.environ if environ is None else environ
        url = (env.get(ENV_URL) or "").strip()
        if not url:
            return None
        return cls(url=url, api_key=(env.get(ENV_API_KEY) or "").strip() or None,
                   model=(env.get(ENV_MODEL) or "").strip() or None)

    @property
    def base(self) -> tuple[str, str, int, str]:
        """(scheme, host, port, path prefix); a trailing /v1 is optional in the URL."""
        parts = urlsplit(self.url if "://" in self.url else f"http://{self.url}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # a port that is not a number
            port = None
        if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
            raise EngineUnavailable(f"{ENV_URL} must be an http(s) address such as "
                                    f"http://localhost:8000/v1, not “{self.url}”.")
        prefix = parts.path.rstrip("/")
        prefix = prefix[:-3] if prefix.endswith("/v1") else prefix
        return parts.scheme, parts.hostname, port, prefix

    @property
    def display_url(self) -> str:
        scheme, host, port, prefix = self.base
        return f"{scheme}://{host}:{port}{prefix}"


# ---- the client ----

class ExternalEngine:
    """Streams chat replies and continuations from one OpenAI-compatible server."""

    def __init__(self, config: EngineConfig):
        self.config = config
        self.family = "OpenAI-compatible server"
        self._model = config.model
        self._extras = True  # cleared when the server refuses llama.cpp-style extras
        self._logprobs = True  # cleared when the server refuses logprobs
        self._checked_at, self._down = -math.inf, None  # probe verdict and its time

    @property
    def model(self) -> str:
        if self._model is None:
            self.check(force=True)
        return self._model or "default"

    @property
    def label(self) -> str:
        return f"{self.family} at {self.config.display_url} (model {self._model or '?'})"

    def _connect(self, read_timeout: float) -> http.client.HTTPConnection:
        scheme, host, port, _ = self.config.base
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = cls(host, port, timeout=self.config.connect_timeout)
        try:
            conn.connect()
        except (socket.timeout, TimeoutError):
            conn.close()
            raise EngineUnavailable(self._sentence("does not take connections"))
        except OSError:
            conn.close()
            raise EngineUnavailable(self._sentence("cannot be reached (is it running?)"))
        conn.sock.settimeout(read_timeout)
        return conn

    def _sentence(self, what: str) -> str:
        return f"The generation server at {self.config.display_url} {what}."

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def _send(self, conn, method: str, path: str, body: dict | None = None):
        """Send a request and wait for the status line; time-outs become one sentence."""
        waited = conn.sock.gettimeout() if conn.sock else self.config.read_timeout
        try:
            conn.request(method, self.config.base[3] + path, body=None if body is None else
                         json.dumps(body).encode(), headers=self._headers())
            return conn.getresponse()
        except (socket.timeout, TimeoutError):
            conn.close()
            raise EngineUnavailable(self._sentence(
                f"took the connection but did not answer within {waited:g} s"))
        except (OSError, http.client.HTTPException):
            conn.close()
            raise EngineUnavailable(self._sentence("closed the connection without an answer"))

    def models(self) -> list[dict]:
        """The server's /v1/models list (served model names and who serves them)."""
        conn = self._connect(min(PROBE_TIMEOUT_S, self.config.read_timeout))
        try:
            response = self._send(conn, "GET", "/v1/models")
            text = response.read()
        except (socket.timeout, TimeoutError):
            raise EngineUnavailable(self._sentence("did not list its models in time"))
        finally:
            conn.close()
        if response.status in (401, 403):
            raise EngineUnavailable(self._sentence(f"refused the API key in {ENV_API_KEY}"))
        if response.status != 200:
            raise EngineUnavailable(self._sentence(f"answered /v1/models with HTTP {response.status}"))
        try:
            return [m for m in json.loads(text).get("data", []) if isinstance(m, dict)]
        except (ValueError, AttributeError):
            raise EngineUnavailable(self._sentence("did not answer like an OpenAI-compatible server"))

    def check(self, force: bool = False) -> None:
        """Raise EngineUnavailable unless the server answered recently (verdicts are cached)."""
        age = time.monotonic() - self._checked_at
        if not force and age < (RECHECK_DOWN_S if self._down else RECHECK_OK_S):
            if self._down:
                raise self._down
            return
        try:
            listed = self.models()
            if not listed and self._model is None:
                raise EngineUnavailable(self._sentence("serves no model"))
            chosen = next((m for m in listed if m.get("id") == self._model), listed[0] if listed else {})
            if self._model is None:
                self._model = str(chosen.get("id"))
            self.family = FAMILIES.get(str(chosen.get("owned_by", "")).lower(), self.family)
            self._down = None
        except EngineUnavailable as error:
            self._down = error
            raise
        finally:
            self._checked_at = time.monotonic()

    def mark_down(self, error: EngineUnavailable) -> None:
        self._down, self._checked_at = error, time.monotonic()

    def submit(self, request: EngineRequest, stop: threading.Event | None = None,
               tokenizer=None) -> Iterator[list[TokenEvent]]:
        """Stream a request as token chunks (lmlab.engine.TextEngine).

        Chat turns go to /v1/chat/completions (the server applies its own chat
        template); a prompt goes to /v1/completions. A request with token ids only is
        decoded with the local tokenizer, since servers need not share its vocabulary.
        The reply is read in a thread of its own (lmlab.engine.read_ahead), so a page
        that pauses between screen updates does not slow the server's stream.
        """
        stop = stop if stop is not None else threading.Event()
        return read_ahead(lambda: self._events(request, stop, tokenizer), stop)

    def _events(self, request: EngineRequest, stop: threading.Event, tokenizer
                ) -> Iterator[list[TokenEvent]]:
        request.params.validate()
        if request.messages:
            path, payload, chat = "/v1/chat/completions", {"messages": request.messages}, True
        else:
            prompt = request.prompt
            if prompt is None and request.input_ids is not None and tokenizer is not None:
                prompt = tokenizer.decode(list(request.input_ids), skip_special_tokens=False)
            if not prompt:
                raise InputError("Please type a prompt first.")
            path, payload, chat = "/v1/completions", {"prompt": prompt}, False
        yield from self._stream(path, payload, request, stop, chat)

    def _open(self, path: str, payload: dict, request: EngineRequest, chat: bool, current: list):
        """POST the request; on HTTP 400/422 retry without what the server may not take."""
        while True:
            alternatives = max(1, request.top_alternatives) if self._logprobs else None
            body = dict(payload, model=self.model, **request_body(
                request.params, self.family, chat=chat, extras=self._extras,
                alternatives=alternatives, stop_strings=request.stop_strings))
            conn = self._connect(self.config.read_timeout)
            current[:] = [conn]  # the stop watcher may shut it while we wait
            response = self._send(conn, "POST", path, body)
            if response.status == 200:
                return conn, response
            detail = response.read()[:300].decode("utf-8", "replace").strip()
            conn.close()
            if response.status in (400, 422) and self._extras and self.family in TAKES_EXTRAS:
                self._extras = False  # first leave out the sampling extras,
                continue
            if response.status in (400, 422) and self._logprobs:
                self._logprobs = False  # then the probabilities (tokens go uncoloured)
                continue
            if response.status in (401, 403):
                raise EngineUnavailable(self._sentence(f"refused the API key in {ENV_API_KEY}"))
            raise EngineUnavailable(self._sentence(
                f"refused the request with HTTP {response.status} ({detail[:120]})"))

    def _stream(self, path: str, payload: dict, request: EngineRequest,
                stop: threading.Event, chat: bool) -> Iterator[list[TokenEvent]]:
        if stop.is_set():
            return
        finished, current = threading.Event(), []

        def abort_on_stop() -> None:  # a stop pressed while the server is silent (prefill)
            while not finished.wait(0.25):
                if stop.is_set():
                    for conn in current:
                        try:
                            conn.sock and conn.sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                    return

        threading.Thread(target=abort_on_stop, name="lmlab-engine-stop", daemon=True).start()
        limit = request.top_alternatives
        try:
            _, response = self._open(path, payload, request, chat, current)
            for chunk in parse_sse(response):
                if stop.is_set():
                    break
                if "error" in chunk:
                    error = chunk["error"]
                    message = error.get("message") if isinstance(error, dict) else error
                    raise LMLabError(self._sentence(f"stopped with an error: {str(message)[:160]}"))
                events = [e for choice in chunk.get("choices") or []
                          for e in token_events(choice, chat, limit)]
                if events:
                    yield events
        except EngineUnavailable as error:
            if not stop.is_set():
                self.mark_down(error)  # this machine serves the next request
                raise
        except (socket.timeout, TimeoutError):
            self._fail(f"went silent for {self.config.read_timeout:g} s in the middle of a reply")
        except (OSError, http.client.HTTPException, ValueError):
            if not stop.is_set():
                self._fail("broke off the reply")
        finally:
            finished.set()
            for conn in current:
                conn.close()
        if stop.is_set():
            yield [TokenEvent(None, "", finish_reason="stopped")]

    def _fail(self, what: str) -> None:
        """A reply that broke: one sentence now, and this machine serves the next request."""
        error = EngineUnavailable(self._sentence(what))
        self.mark_down(error)
        raise error


class _ForModel:
    """The external engine as the TextEngine of one loaded model (its tokenizer decodes ids)."""

    def __init__(self, engine: ExternalEngine, tokenizer):
        self.engine, self.tokenizer = engine, tokenizer

    @property
    def label(self) -> str:
        return self.engine.label

    def submit(self, request: EngineRequest, stop: threading.Event | None = None
               ) -> Iterator[list[TokenEvent]]:
        return self.engine.submit(request, stop, tokenizer=self.tokenizer)

# ---- routing: where chat and text generation come from ----

_engines: dict[EngineConfig, ExternalEngine] = {}
_engines_lock = threading.Lock()
LOCAL_LABEL = "this machine"


def configured_engine(environ=None) -> ExternalEngine | None:
    """The engine LMLAB_ENGINE_URL names (one client per configuration), or None."""
    config = EngineConfig.from_env(environ)
    if config is None:
        return None
    with _engines_lock:
        return _engines.setdefault(config, ExternalEngine(config))


def engine_for(loaded: "LoadedModel") -> _ForModel | None:
    """The external engine for a causal LM when one is configured and answering, else None
    (lmlab.engine.engine_for then serves the request on this machine)."""
    engine = configured_engine()
    if engine is None:
        return None
    try:
        engine.check()
    except LMLabError:
        return None
    return _ForModel(engine, getattr(loaded, "tokenizer", None))


@dataclass
class Source:
    """Where generated text comes from, in words for the sidebar and the Gradio header."""

    label: str
    external: bool = False
    notice: str | None = None  # why a configured server is not used right now


def generation_source(environ=None) -> Source:
    """The configured server when it answers; else this machine, with a notice if a server
    is configured but down (its one sentence, then that the local model takes over)."""
    engine = configured_engine(environ)
    if engine is None:
        return Source(LOCAL_LABEL)
    try:
        engine.check()
    except LMLabError as error:
        return Source(LOCAL_LABEL, False, f"{error} Text comes from the model on this machine "
                                          "until it answers again.")
    return Source(engine.label, True)
