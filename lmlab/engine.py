"""Where generated text comes from: one small protocol, whatever serves it.

A `TextEngine` takes one request (token ids or text, settings, a stop event)
and returns an iterator of token chunks: each item is a list of TokenEvent that
arrived since the previous item, so a page can draw several tokens per update
and never decodes anything itself. The local engine (lmlab/batching.py) batches
every user's request on one loaded model; an OpenAI-compatible server can serve
the same protocol (lmlab/external_engine.py).

    engine = engine_for(loaded)
    for chunk in engine.submit(EngineRequest(params, input_ids=ids), stop):
        for event in chunk: print(event.text, end="")
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, Protocol, Sequence, runtime_checkable

from lmlab.turns import QueuePlace

if TYPE_CHECKING:
    from lmlab.generation import GenerationParams
    from lmlab.loading import LoadedModel

__all__ = ["TokenEvent", "EngineRequest", "TextEngine", "QueuePlace", "engine_for",
           "FINISH_REASONS"]

# Why a stream ended, on its last event: the token budget ran out, the model wrote its
# end-of-text token, a stop string appeared, or the user pressed stop.
FINISH_REASONS = ("length", "eos", "stop_string", "stopped")


@dataclass
class TokenEvent:
    """One generated token.

    `prob` is the probability the model gave this token (softmax of its logits at
    temperature 1, before penalties and sampling filters), for colouring text by
    probability; `top` holds the likeliest alternatives at that step when asked for.
    `text` is what this token adds to the reply: it may be "" (half of a multi-byte
    character, a special token, text held back while a stop string may be forming)
    and the next event then carries the rest.
    """

    token_id: int | None  # None when a remote server sends text without ids
    text: str
    prob: float | None = None
    top: Sequence[tuple[str, float]] = ()  # (text, probability), most likely first
    finish_reason: str | None = None  # on the last event: one of FINISH_REASONS (or the server's)


@dataclass
class EngineRequest:
    """What to generate. Local engines read `input_ids`; remote ones may read `prompt`
    (plain continuation) or `messages` (chat turns, templated by the server)."""

    params: "GenerationParams"
    input_ids: list[int] | None = None
    prompt: str | None = None
    messages: list[dict] | None = None
    stop_strings: tuple[str, ...] = ()
    top_alternatives: int = 0  # how many alternatives each TokenEvent.top carries
    skip_special_tokens: bool = True
    on_wait: Callable[..., None] | None = field(default=None, repr=False)
    # on_wait(place: QueuePlace) runs in the consumer's thread while the request waits
    # (a full batch, or an inspection view holding the model); called again as the place
    # changes. A request that is only waiting never fails.


@runtime_checkable
class TextEngine(Protocol):
    """Anything that turns a request into a stream of token chunks."""

    label: str  # where the text comes from, shown to users ("this computer", a server URL)

    def submit(self, request: EngineRequest, stop: threading.Event | None = None
               ) -> Iterator[list[TokenEvent]]:
        """Stream the reply. Setting `stop` (or closing the iterator) ends it early and
        frees its place; a bad request raises InputError/LMLabError from the iterator."""
        ...


class ChunkStream:
    """A stream of token chunks that also says when its last chunk is ready.

    A consumer that paces its screen updates waits on `finished` instead of sleeping,
    so the end of a reply shows at once rather than up to one interval late.
    """

    def __init__(self, chunks: Iterator[list[TokenEvent]], finished: threading.Event):
        self._chunks, self.finished = chunks, finished

    def __iter__(self) -> "ChunkStream":
        return self

    def __next__(self) -> list[TokenEvent]:
        return next(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


_DONE = object()


def take_waiting(inbox: queue.Queue) -> list:
    """The next item of `inbox` (waiting for it) and every item already behind it."""
    got = [inbox.get()]
    while True:
        try:
            got.append(inbox.get_nowait())
        except queue.Empty:
            return got


def read_ahead(produce: Callable[[], Iterator[list[TokenEvent]]], stop: threading.Event
               ) -> ChunkStream:
    """Run a blocking stream (a server's reply) in a thread of its own.

    The consumer may pause between screen updates while the reply is still read as it
    comes; each next() hands over everything that arrived meanwhile as one chunk, and
    closing the stream sets `stop`, which ends the request.
    """
    inbox: queue.Queue = queue.Queue()
    finished = threading.Event()

    def pump() -> None:
        try:
            for chunk in produce():
                inbox.put(chunk)
        except BaseException as error:  # raised again in the consumer's thread
            inbox.put(error)
        finally:
            inbox.put(_DONE)
            finished.set()

    def chunks() -> Iterator[list[TokenEvent]]:
        try:
            while True:
                got = take_waiting(inbox)
                events: list[TokenEvent] = []
                for thing in got:
                    if thing is _DONE:
                        if events:
                            yield events
                        return
                    if isinstance(thing, BaseException):
                        if events:
                            yield events
                        raise thing
                    events.extend(thing)
                yield events
        finally:
            stop.set()

    threading.Thread(target=pump, name="lmlab-engine-reader", daemon=True).start()
    return ChunkStream(chunks(), finished)


def engine_for(loaded: "LoadedModel", local: bool = False) -> TextEngine:
    """The engine that serves generation for this model.

    An external OpenAI-compatible server when LM Lab is configured for one (and
    `local` is False): lmlab.external_engine.engine_for(loaded) returns it, or None
    when none is configured or it is down. Else this process's batching engine.
    """
    if not local:
        external = _external_engine(loaded)
        if external is not None:
            return external
    from lmlab.batching import local_engine

    return local_engine(loaded)


def _external_engine(loaded: "LoadedModel") -> TextEngine | None:
    try:
        from lmlab import external_engine
    except ImportError:
        return None
    chooser = getattr(external_engine, "engine_for", None)
    return chooser(loaded) if chooser is not None else None
