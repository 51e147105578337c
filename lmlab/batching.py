"""The local batching engine: every user's generation on one model, in one batch.

One scheduler thread per loaded causal LM runs continuous batching. Requests
join and leave at token-step boundaries; each keeps its own settings, random
generator, stop event and stream of TokenEvents (lmlab/engine.py).

Layout chosen by measurement (bench/bench_engine.py): a new request reads its
prompt alone (batch of one, no padding, in chunks, so a long paste neither
blocks the others' tokens for long nor ignores its stop button), then its
KV cache joins the batch cache, left-padded with an attention mask and explicit
position ids. One batched decode step costs about what one single-row step does
on a CPU (decoding is memory-bound), so eight users get several times the
tokens per second; per-row caches would need one forward per row per step and give
none of that. Prompts read alone keep greedy outputs those of a solo run in float32.

On a CPU without bfloat16 matrix instructions a long prompt is read with float32
weights and decoded in bfloat16 (lmlab/prefill.py): each phase in its faster dtype.
The thread takes the model's fair lock (lmlab/turns.py) for each step, so an
inspection view waits at most one step; the batch then waits its turn. Idle, it
hands its OpenMP workers back (lmlab/cpu_threads.py).
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections import deque
from typing import Iterator

import torch

from lmlab.cpu_threads import release_worker_threads
from lmlab.engine import ChunkStream, EngineRequest, TokenEvent, take_waiting
from lmlab.errors import InputError, LMLabError
from lmlab.kv_batch import append_row, select_rows
from lmlab.prefill import PrefillWeights, cast_cache
from lmlab.sampling import (IncrementalText, choose_token, eos_token_ids, new_generator,
                            process_logits)
from lmlab.turns import WAIT_HEARTBEAT_S, QueuePlace, notify_wait

MAX_BATCH = int(os.environ.get("LMLAB_BATCH_SIZE", "8"))
PREFILL_CHUNK = 256  # prompt tokens read per step; others decode one token between chunks
IDLE_EXIT_S = 30.0  # the scheduler thread ends when idle; the next request starts it again
_END = object()


class _Request:
    """One user's request as the scheduler sees it."""

    def __init__(self, request: EngineRequest, stop: threading.Event, device: str,
                 tokenizer, eos_ids: list[int]):
        self.req, self.params, self.stop = request, request.params, stop
        self.prompt = list(request.input_ids)
        self.outbox: queue.Queue = queue.Queue()
        self.generator = new_generator(request.params.seed, device)
        self.text = IncrementalText(tokenizer, request.skip_special_tokens, request.stop_strings)
        self.eos_ids = eos_ids
        self.seen = torch.tensor(self.prompt, device=device)  # (S,) for the repetition penalty
        self.cache = None  # its own cache while reading the prompt
        self.read = 0  # prompt tokens already read
        self.pending: int | None = None  # sampled, not yet fed to the model
        self.generated = 0
        self.place: int | None = None
        self.told_at = -math.inf  # when the place was last put in the outbox
        self.done = threading.Event()  # set once its last chunk is in the outbox

    @property
    def length(self) -> int:
        """Real tokens in its cache, i.e. the position of the next token fed."""
        return len(self.prompt) + max(0, self.generated - 1)

    def tell_place(self, place: QueuePlace) -> None:
        """Tell the place when it changes and every WAIT_HEARTBEAT_S (lmlab.turns.acquire)."""
        now = time.monotonic()
        if place.position != self.place or now - self.told_at >= WAIT_HEARTBEAT_S:
            self.place, self.told_at = place.position, now
            self.outbox.put(place)

    def finish(self, reason: str, error: BaseException | None = None) -> None:
        if error is not None:
            self.outbox.put(error)
        else:
            tail = self.text.finish()
            if tail or reason:
                self.outbox.put([TokenEvent(None, tail, finish_reason=reason)])
        self.outbox.put(_END)
        self.done.set()


class LocalEngine:
    """Continuous batching on one loaded causal LM (the TextEngine of this computer)."""

    label = "this computer"

    def __init__(self, loaded, max_batch: int = MAX_BATCH, prefill_chunk: int = PREFILL_CHUNK):
        self.loaded, self.max_batch, self.prefill_chunk = loaded, max_batch, prefill_chunk
        self.tokenizer, self.device = loaded.tokenizer, loaded.device
        self.eos_ids = eos_token_ids(loaded)
        self._cv = threading.Condition()
        self._waiting: deque[_Request] = deque()  # first come, first served
        self._reading: deque[_Request] = deque()  # admitted, prompt being read
        self._rows: list[_Request] = []  # decoding, one row each in the batch cache
        self._cache = None
        self._mask: torch.Tensor | None = None  # (B, L) 1 = real token, 0 = left padding
        self._thread: threading.Thread | None = None
        self.step_s = 0.05  # running mean of a decode step, for waiting-time estimates
        self._texts: dict[int, str] = {}
        self.peak_rows = 0  # the largest batch so far (benchmarks and tests read it)
        self.stopped = 0  # requests ended by their stop (a Stop button, a closed tab)
        self._prefill = PrefillWeights(loaded)

    # ------------------------------------------------------------ the consumer side
    def submit(self, request: EngineRequest, stop: threading.Event | None = None
               ) -> Iterator[list[TokenEvent]]:
        self._check(request)
        stop = stop if stop is not None else threading.Event()
        item = _Request(request, stop, self.device, self.tokenizer, self.eos_ids)
        with self._cv:
            self._waiting.append(item)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lmlab-engine", daemon=True)
                self._thread.start()
            self._cv.notify_all()
        return ChunkStream(self._consume(item), item.done)

    def _check(self, request: EngineRequest) -> None:
        if not request.input_ids:
            raise InputError("Please type a prompt first.")
        request.params.validate()
        if not request.params.streamable:
            raise InputError("The engine streams one text per request; beam search and several "
                             "outputs run through generate.")
        limit = self.loaded.context_length
        if len(request.input_ids) + int(request.params.max_new_tokens) > limit:
            raise InputError(f"The prompt is {len(request.input_ids):,} tokens; with "
                             f"{request.params.max_new_tokens} new tokens it must fit in the "
                             f"model's context of {limit:,} tokens.")
        vocab = self.loaded.model.get_input_embeddings().num_embeddings
        if min(request.input_ids) < 0 or max(request.input_ids) >= vocab:
            raise InputError("The prompt holds token ids this model does not know.")

    def _consume(self, item: _Request) -> Iterator[list[TokenEvent]]:
        try:
            while not item.stop.is_set() or not item.outbox.empty():
                got = take_waiting(item.outbox)  # what else has arrived goes in the same chunk
                events: list[TokenEvent] = []
                for thing in got:
                    if isinstance(thing, QueuePlace):
                        notify_wait(item.req.on_wait, thing)
                    elif isinstance(thing, BaseException):
                        raise thing
                    elif thing is not _END:
                        events.extend(thing)
                if events:
                    yield events
                if _END in got:
                    return
        finally:
            item.stop.set()  # a closed stream frees its row at the next step
            with self._cv:
                self._cv.notify_all()

    def queue_length(self) -> int:
        with self._cv:
            return len(self._waiting)

    def active_rows(self) -> int:
        """Requests admitted and not finished: reading their prompt or decoding."""
        with self._cv:
            return len(self._reading) + len(self._rows)

    # ------------------------------------------------------------ the scheduler thread
    def _run(self) -> None:
        while True:
            with self._cv:
                if not (self._waiting or self._reading or self._rows):
                    release_worker_threads()  # else every other thread's kernels run slower
                    self._cv.wait(IDLE_EXIT_S)
                    if not (self._waiting or self._reading or self._rows):
                        self._thread = None
                        return
                self._drop_stopped_waiting()
                while self._waiting and len(self._reading) + len(self._rows) < self.max_batch:
                    self._reading.append(self._waiting.popleft())
                self._tell_places()
            if not (self._reading or self._rows):
                continue
            if not self._take_model():
                continue
            try:
                with torch.inference_mode():
                    self._step()
            except Exception as error:  # the model itself failed: everyone hears why
                failure = LMLabError("Generation failed inside the model; try a shorter prompt "
                                     "or other settings.")
                failure.__cause__ = error
                for item in [*self._reading, *self._rows]:
                    item.finish("error", failure)
                self._reading.clear()
                self._reset_batch([])
            finally:
                self.loaded.lock.release()

    def _drop_stopped_waiting(self) -> None:
        for item in [i for i in self._waiting if i.stop.is_set()]:
            self._waiting.remove(item)
            item.finish("stopped")
            self.stopped += 1

    def _tell_places(self) -> None:
        remaining = sorted(int(r.params.max_new_tokens) - r.generated for r in self._rows)
        for n, item in enumerate(self._waiting):
            eta = remaining[n] * self.step_s if n < len(remaining) else None
            item.tell_place(QueuePlace(n + 1, eta))

    def _take_model(self) -> bool:
        """The model's turn for one step; meanwhile tell the active requests they wait."""
        lock = self.loaded.lock
        if lock.acquire(blocking=False):
            return True
        ticket = lock.enqueue()
        try:
            while not lock.wait_turn(ticket, 0.2):
                with self._cv:
                    self._drop_stopped_waiting()
                    self._tell_places()  # the queue behind hears it is still waiting
                place = QueuePlace(lock.place(ticket))
                for item in [*self._reading, *self._rows]:
                    item.tell_place(place)
                self._drop_stopped_active()
                if not (self._reading or self._rows):
                    return False
            ticket = None
            for item in [*self._reading, *self._rows]:
                item.place = None
            return True
        finally:
            if ticket is not None:
                lock.cancel(ticket)

    def _drop_stopped_active(self) -> None:
        for item in [i for i in self._reading if i.stop.is_set()]:
            self._reading.remove(item)
            item.finish("stopped")
            self.stopped += 1
        if any(r.stop.is_set() for r in self._rows):
            for item in [r for r in self._rows if r.stop.is_set()]:
                item.finish("stopped")
                self.stopped += 1
            self._reset_batch([r for r in self._rows if not r.stop.is_set()])

    def _step(self) -> None:
        """One prompt chunk for the oldest newcomer, then one token for every row."""
        self._drop_stopped_active()
        if self._reading:
            self._read_chunk(self._reading[0])
        if self._rows:
            start = time.perf_counter()
            self._decode()
            self.step_s = 0.8 * self.step_s + 0.2 * (time.perf_counter() - start)

    def _read_chunk(self, item: _Request) -> None:
        from lmlab.kv_batch import new_cache

        model = self._prefill.model_for(len(item.prompt))  # float32 for long prompts on a CPU
        if item.cache is None:
            item.cache = new_cache(model)
        end = min(len(item.prompt), item.read + self.prefill_chunk)
        chunk = torch.tensor([item.prompt[item.read:end]], device=self.device)  # (1, t)
        positions = torch.arange(item.read, end, device=self.device)[None]  # (1, t)
        out = model(input_ids=chunk, position_ids=positions, past_key_values=item.cache,
                    use_cache=True)
        item.read = end
        if end < len(item.prompt):
            return
        self._reading.popleft()
        logits = out.logits[0, -1].float()  # (V,)
        if self._emit(item, logits):
            self._join(item)

    def _decode(self) -> None:
        rows = self._rows
        tokens = torch.tensor([[r.pending] for r in rows], device=self.device)  # (B, 1)
        positions = torch.tensor([[r.length] for r in rows], device=self.device)  # (B, 1)
        ones = torch.ones(len(rows), 1, dtype=self._mask.dtype, device=self.device)
        self._mask = torch.cat([self._mask, ones], dim=1)  # (B, L + 1)
        out = self.loaded.model(input_ids=tokens, attention_mask=self._mask,
                                position_ids=positions, past_key_values=self._cache,
                                use_cache=True)
        logits = out.logits[:, -1].float()  # (B, V)
        keep = [r for r, row_logits in zip(rows, logits) if self._emit(r, row_logits)]
        if len(keep) < len(rows):
            self._reset_batch(keep)

    def _emit(self, item: _Request, logits: torch.Tensor) -> bool:
        """Pick this row's next token, send it; False when the row is finished."""
        params = item.params
        scores = process_logits(logits, params, item.seen, item.generated, item.eos_ids)
        token = choose_token(scores, params, item.generator)
        probs = torch.softmax(logits, dim=-1)  # (V,) the model's own distribution
        top = ()
        if item.req.top_alternatives:
            values, ids = probs.topk(int(item.req.top_alternatives))
            top = tuple((self._token_text(i), p) for i, p in zip(ids.tolist(), values.tolist()))
        item.generated += 1
        item.pending = token
        if params.repetition_penalty != 1.0:
            item.seen = torch.cat([item.seen, item.seen.new_tensor([token])])
        piece = item.text.add(token)
        reason = None
        if token in item.eos_ids:
            reason = "eos"
        elif item.text.stopped:
            reason = "stop_string"
        elif item.stop.is_set():
            reason = "stopped"
        elif item.generated >= int(params.max_new_tokens):
            reason = "length"
        item.outbox.put([TokenEvent(token, piece, float(probs[token]), top)])
        if reason is not None:
            self.stopped += reason == "stopped"
            item.finish(reason)
        return reason is None

    def _token_text(self, token_id: int) -> str:
        if token_id not in self._texts:
            self._texts[token_id] = self.tokenizer.decode([token_id])
        return self._texts[token_id]

    def _join(self, item: _Request) -> None:
        cast_cache(item.cache, self.loaded.model.dtype)
        self._cache, self._mask = append_row(self._cache, self._mask, item.cache,
                                             len(item.prompt))
        item.cache = None
        self._rows.append(item)
        self.peak_rows = max(self.peak_rows, len(self._rows))

    def _reset_batch(self, keep: list[_Request]) -> None:
        index = [self._rows.index(r) for r in keep]
        self._rows = list(keep)
        if not keep:
            self._cache = self._mask = None
        else:
            self._cache, self._mask = select_rows(self._cache, self._mask, index)


_engines_lock = threading.Lock()


def local_engine(loaded) -> LocalEngine:
    """The one engine of this loaded model (made on first use, kept with the model)."""
    with _engines_lock:
        engine = getattr(loaded, "_engine", None)
        if engine is None:
            engine = LocalEngine(loaded)
            loaded._engine = engine
        return engine
