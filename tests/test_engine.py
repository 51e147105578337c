"""The batching engine: batched requests get exactly what they would get alone."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
import torch

from lmlab.batching import LocalEngine
from lmlab.engine import EngineRequest, TextEngine, engine_for
from lmlab.errors import InputError, LMLabError
from lmlab.generation import GenerationParams
from lmlab.turns import FairLock, QueuePlace, model_turn
from test_generation import held_by_another_user

PROMPTS = ["the cat sat", "once upon a time there was", "hello", "a king and a queen ruled the"]
GREEDY = GenerationParams(max_new_tokens=24)
SAMPLED = [GenerationParams(max_new_tokens=20, do_sample=True, temperature=1.3, top_k=0, seed=1),
           GenerationParams(max_new_tokens=20, do_sample=True, temperature=0.9, top_k=20, seed=2),
           GenerationParams(max_new_tokens=20, do_sample=True, top_p=0.8, seed=3,
                            repetition_penalty=1.3),
           GenerationParams(max_new_tokens=20, repetition_penalty=1.5)]


@pytest.fixture()
def llama32(store):
    """float32 weights: batched and solo runs then agree to the last bit that matters."""
    return store.get("tiny/llama-chat", "inspect")


def ids_of(loaded, text: str) -> list[int]:
    return loaded.tokenizer(text)["input_ids"]


def run(engine, loaded, prompt, params, stop=None, after_each=None) -> list[int]:
    got = []
    for chunk in engine.submit(EngineRequest(params, input_ids=ids_of(loaded, prompt)), stop):
        got.extend(e.token_id for e in chunk if e.token_id is not None)
        if after_each is not None:
            after_each(got)
    return got


def run_together(engine, loaded, jobs, start_gaps=None) -> list:
    """Each job (prompt, params[, stop, after_each]) in its own thread; results in job order."""
    results: list = [None] * len(jobs)

    def one(i, job):
        try:
            results[i] = run(engine, loaded, *job)
        except Exception as error:  # kept to assert on
            results[i] = error

    threads = [threading.Thread(target=one, args=(i, job)) for i, job in enumerate(jobs)]
    for i, thread in enumerate(threads):
        thread.start()
        if start_gaps:
            start_gaps[i]()
    for thread in threads:
        thread.join(60)
    return results


def arrived_by(engine, n: int, timeout: float = 30) -> None:
    """Wait until n requests are in the engine (admitted or in line)."""
    deadline = time.monotonic() + timeout
    while engine.active_rows() + engine.queue_length() < n and time.monotonic() < deadline:
        time.sleep(0.005)


def test_the_local_engine_speaks_the_protocol(llama32):
    assert isinstance(engine_for(llama32, local=True), TextEngine)
    assert engine_for(llama32, local=True) is engine_for(llama32, local=True)  # one per model


def test_solo_greedy_run_equals_generate(llama32):
    ids = ids_of(llama32, "the cat sat")
    got = run(LocalEngine(llama32), llama32, "the cat sat", GREEDY)
    with torch.inference_mode():
        raw = llama32.model.generate(torch.tensor([ids]), max_new_tokens=24, do_sample=False,
                                     pad_token_id=llama32.tokenizer.pad_token_id)
    assert got == raw[0, len(ids):].tolist()


def test_batched_greedy_equals_each_request_alone(llama32):
    engine = LocalEngine(llama32)
    alone = [run(engine, llama32, p, GREEDY) for p in PROMPTS]
    with held_by_another_user(llama32) as release:  # all four arrive before the first step
        def after_start(i):
            if i == len(PROMPTS) - 1:
                arrived_by(engine, len(PROMPTS))
                release.set()
        together = run_together(engine, llama32, [(p, GREEDY) for p in PROMPTS],
                                start_gaps=[lambda i=i: after_start(i) for i in range(len(PROMPTS))])
    assert engine.peak_rows == len(PROMPTS)  # they really shared the batch
    assert together == alone
    assert len({len(ids_of(llama32, p)) for p in PROMPTS}) > 1  # rows were left-padded


def test_seeded_sampling_gives_the_same_text_alone_or_batched(llama32):
    engine = LocalEngine(llama32)
    alone = [run(engine, llama32, p, params) for p, params in zip(PROMPTS, SAMPLED)]
    together = run_together(engine, llama32, list(zip(PROMPTS, SAMPLED)))
    assert together == alone
    reseeded = run(engine, llama32, PROMPTS[0], replace(SAMPLED[0], seed=99))
    assert reseeded != alone[0]  # the seed matters, so the equality above means something


def test_join_mid_batch_stop_mid_way_and_bad_input_leave_the_others_alone(llama32):
    engine = LocalEngine(llama32)
    long = GenerationParams(max_new_tokens=40)
    alone_a = run(engine, llama32, PROMPTS[0], long)
    alone_b = run(engine, llama32, PROMPTS[1], GREEDY)
    stop = threading.Event()
    a_started = threading.Event()
    stop_after_3 = lambda got: stop.set() if len(got) >= 3 else None  # noqa: E731
    mark_a = lambda got: a_started.set() if len(got) >= 5 else None  # noqa: E731
    jobs = [(PROMPTS[0], long, None, mark_a), (PROMPTS[2], long, stop, stop_after_3),
            (PROMPTS[1], GREEDY)]
    gaps = [lambda: a_started.wait(30), lambda: None, lambda: None]  # b and c join mid-way
    bad = {}

    def bad_request():
        a_started.wait(30)
        try:
            list(engine.submit(EngineRequest(GREEDY, input_ids=[10**6, 3])))
        except InputError as error:
            bad["error"] = str(error)

    spoiler = threading.Thread(target=bad_request)
    spoiler.start()
    a, c, b = run_together(engine, llama32, jobs, gaps)
    spoiler.join()
    assert a == alone_a and b == alone_b
    assert 3 <= len(c) < 40  # stopped mid-way
    assert "token ids" in bad["error"]
    assert engine.peak_rows >= 2


def test_stop_strings_end_the_text_before_them(llama32):
    engine = LocalEngine(llama32)
    request = EngineRequest(GREEDY, input_ids=ids_of(llama32, "the cat sat"))
    full = "".join(e.text for chunk in engine.submit(request) for e in chunk)
    stop_at = full[len(full) // 2:len(full) // 2 + 2]
    assert stop_at.strip()
    cut = "".join(e.text for chunk in engine.submit(replace(request, stop_strings=(stop_at,)))
                  for e in chunk)
    assert cut == full[:full.index(stop_at)]


def test_events_carry_the_models_probabilities(llama32):
    ids = ids_of(llama32, "the cat sat")
    request = EngineRequest(GenerationParams(max_new_tokens=3), input_ids=ids,
                            top_alternatives=3)
    events = [e for chunk in LocalEngine(llama32).submit(request) for e in chunk
              if e.token_id is not None]
    with torch.inference_mode():
        logits = llama32.model(torch.tensor([ids])).logits[0, -1]
    first = torch.softmax(logits.float(), -1)
    assert events[0].prob == pytest.approx(float(first[events[0].token_id]), abs=1e-6)
    assert len(events[0].top) == 3 and events[0].top[0][1] >= events[0].top[1][1]
    assert events[-1].finish_reason is None or events[-1].finish_reason in ("length", "eos")


def test_inspection_waits_at_most_a_step_and_generation_resumes_unchanged(llama32):
    engine = LocalEngine(llama32)
    params = GenerationParams(max_new_tokens=60)
    alone = run(engine, llama32, PROMPTS[1], params)
    inspected = {}
    halfway = threading.Event()

    def inspect_view():
        halfway.wait(30)
        with model_turn(llama32, timeout=10):  # the engine pauses between two steps
            made = lambda: sum(row.generated for row in engine._rows)  # noqa: E731
            inspected["during"] = made()
            with torch.inference_mode():
                llama32.model(torch.tensor([ids_of(llama32, "hello")]))
            time.sleep(0.2)
            inspected["after_sleep"] = made()

    progress: list[int] = []

    def watch(got):
        progress[:] = got
        if len(got) >= 10:
            halfway.set()

    viewer = threading.Thread(target=inspect_view)
    viewer.start()
    got = run(engine, llama32, PROMPTS[1], params, after_each=watch)
    viewer.join()
    assert got == alone
    assert 10 <= inspected["during"] < 60  # it came in mid-way
    assert inspected["after_sleep"] == inspected["during"]  # no token step while it looked


def test_inspection_views_show_the_wait_then_time_out_with_a_sentence(llama32):
    places = []
    with held_by_another_user(llama32):
        with pytest.raises(LMLabError) as info:
            with model_turn(llama32, on_wait=places.append, timeout=0.3):
                pass
    assert places == [QueuePlace(1)]
    assert "busy" in str(info.value) and "try this view again" in str(info.value)
    with model_turn(llama32, timeout=1):  # free again
        pass


def test_a_waiter_whose_page_was_left_gives_up_its_place_in_line(llama32):
    """Streamlit raises inside the waiting notice once the user reran the page or left."""
    class PageLeft(Exception):
        pass

    calls = []

    def notice(place):
        calls.append(place)
        if len(calls) > 1:  # the first call drew the notice; the page is gone by the next
            raise PageLeft

    left = []

    def abandoned():
        try:
            with model_turn(llama32, on_wait=notice, timeout=60):
                pass
        except PageLeft:
            left.append(time.monotonic())

    with held_by_another_user(llama32):
        waiter = threading.Thread(target=abandoned)
        waiter.start()
        waiter.join(10)
        assert left, "the abandoned waiter was still in line"
        assert llama32.lock.waiting() == 0  # its ticket is gone while the model is still busy
    assert calls == [QueuePlace(1), QueuePlace(1)]  # same place: the call was the heartbeat


def test_the_lock_serves_waiters_in_arrival_order():
    lock, order = FairLock(), []
    lock.acquire()
    threads = []
    for n in range(6):
        threads.append(threading.Thread(target=lambda n=n: (lock.acquire(), order.append(n),
                                                            lock.release())))
        threads[-1].start()
        while lock.waiting() < n + 1:  # the n-th waiter is in line before the next comes
            time.sleep(0.005)
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == list(range(6))


def test_a_full_engine_serves_waiting_requests_in_order_and_tells_their_place(llama32):
    engine = LocalEngine(llama32, max_batch=1)
    places: dict[int, list[int]] = {n: [] for n in range(4)}
    done = []

    prompts = [ids_of(llama32, p) for p in PROMPTS]
    served: list[int] = []  # whose prompt the model read, in the scheduler thread's order

    def record_prefill(module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None and ids.shape[1] > 1:
            served.extend(n for n, p in enumerate(prompts) if ids[0].tolist() == p[:ids.shape[1]])

    def user(n):
        request = EngineRequest(GenerationParams(max_new_tokens=8), input_ids=prompts[n],
                                on_wait=lambda place: places[n].append(place.position))
        for _ in engine.submit(request):
            pass
        done.append(n)

    threads = []
    hook = llama32.model.register_forward_pre_hook(record_prefill, with_kwargs=True)
    try:
        with model_turn(llama32):  # an inspection holds the model while the class arrives
            for n in range(4):
                threads.append(threading.Thread(target=user, args=(n,)))
                threads[-1].start()
                arrived_by(engine, n + 1)  # user n is in the engine before the next comes
        for thread in threads:
            thread.join(60)
    finally:
        hook.remove()
    assert sorted(done) == [0, 1, 2, 3]  # nobody failed for waiting
    # Served in arrival order. Read in the scheduler: a consumer thread's own clock is late
    # by however long a loaded machine leaves it unscheduled.
    assert served == [0, 1, 2, 3]
    assert places[3] and places[3][0] > 1 and places[3][-1] == 1  # moved up the line


def test_a_request_whose_page_was_left_leaves_the_engines_queue(llama32):
    """The waiting notice is called again every second; Streamlit raises there once the
    page was rerun or left, and the request gives its place up before its turn."""
    engine = LocalEngine(llama32, max_batch=1)
    calls: dict[int, list] = {0: [], 1: []}
    outcome: dict[int, str] = {}

    def notice(n, place):
        calls[n].append(place)
        if n == 1 and len(calls[1]) > 1:
            raise RuntimeError("page left")

    def user(n):
        request = EngineRequest(GenerationParams(max_new_tokens=4), input_ids=ids_of(llama32, PROMPTS[n]),
                                on_wait=lambda place: notice(n, place))
        try:
            for _ in engine.submit(request):
                pass
            outcome[n] = "done"
        except RuntimeError:
            outcome[n] = "left"

    with model_turn(llama32):  # an inspection holds the model while two requests arrive
        first = threading.Thread(target=user, args=(0,))
        first.start()
        while engine.active_rows() < 1:
            time.sleep(0.005)
        second = threading.Thread(target=user, args=(1,))
        second.start()
        second.join(10)
        assert outcome.get(1) == "left"
        deadline = time.monotonic() + 5
        while engine.queue_length() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.queue_length() == 0  # its place is free while the model is still busy
        assert [p.position for p in calls[1][:2]] == [1, 1]  # the second call was the heartbeat
    first.join(30)
    assert outcome[0] == "done"


def test_long_prompts_are_read_in_float32_and_decoded_in_the_models_dtype(store, monkeypatch):
    from lmlab import prefill

    loaded = store.get("tiny/llama-chat")  # the generation copy: bfloat16 on a CPU
    assert loaded.model.dtype == torch.bfloat16
    monkeypatch.setattr(prefill, "PREFILL_FLOAT32_MIN_TOKENS", 4)
    monkeypatch.setenv("LMLAB_PREFILL_FLOAT32", "1")  # as on a CPU without bfloat16 matmuls
    engine = LocalEngine(loaded, prefill_chunk=3)  # several chunks per prompt
    ids = ids_of(loaded, PROMPTS[1])
    request = EngineRequest(GenerationParams(max_new_tokens=12), input_ids=ids)
    events = [e for chunk in engine.submit(request) for e in chunk if e.token_id is not None]
    copy32 = engine._prefill.model_for(len(ids))
    assert copy32 is not loaded.model and next(copy32.parameters()).dtype == torch.float32
    assert next(loaded.model.parameters()).dtype == torch.bfloat16  # decoding copy untouched
    with torch.inference_mode():
        first = torch.softmax(copy32(torch.tensor([ids])).logits[0, -1].float(), -1)
    assert events[0].token_id == int(first.argmax())
    assert events[0].prob == pytest.approx(float(first.max()), abs=1e-4)
    assert len(events) == 12
