import contextlib
import threading

import pytest
import torch

from lmlab.errors import InputError
from lmlab.generation import GenerationParams, encode_prompt, generate_stream, stream_ids



def free_for_another_thread(loaded) -> bool:
    """Whether a thread other than the test's can take the model's lock (an RLock would
    let the test's own thread in again even while it is held)."""
    results: list[bool] = []

    def take_and_give_back():
        results.append(loaded.lock.acquire(timeout=5))
        if results[-1]:
            loaded.lock.release()

    other = threading.Thread(target=take_and_give_back)
    other.start()
    other.join()
    return results == [True]


@contextlib.contextmanager
def held_by_another_user(loaded):
    """Hold the model's lock from another thread until the block ends."""
    held, release = threading.Event(), threading.Event()

    def hold():
        with loaded.lock:
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        yield release
    finally:
        release.set()
        holder.join()

def test_stream_matches_plain_generate(tiny_gpt2):
    params = GenerationParams(max_new_tokens=12)
    ids = encode_prompt(tiny_gpt2, "the cat sat", 12)
    streamed = [t for chunk in stream_ids(tiny_gpt2, ids, params) for t in chunk]
    with torch.inference_mode():
        raw = tiny_gpt2.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                       max_new_tokens=12, pad_token_id=tiny_gpt2.tokenizer.pad_token_id)
    assert streamed == raw[0, ids.shape[1]:].tolist()
    text = "".join(generate_stream(tiny_gpt2, "the cat sat", params))
    assert text == tiny_gpt2.tokenizer.decode(streamed, skip_special_tokens=True)


def test_sampling_is_repeatable_with_a_seed(tiny_llama):
    params = GenerationParams(max_new_tokens=10, do_sample=True, temperature=1.5, seed=7)
    first = "".join(generate_stream(tiny_llama, "once upon a time", params))
    again = "".join(generate_stream(tiny_llama, "once upon a time", params))
    other = "".join(generate_stream(tiny_llama, "once upon a time",
                                    GenerationParams(max_new_tokens=10, do_sample=True,
                                                     temperature=1.5, seed=8)))
    assert first == again and first != other


def test_stop_ends_the_stream_early_and_releases_the_lock(tiny_gpt2):
    # The stop is pressed from inside the model's third forward: a fast machine makes the tiny
    # model's 100 tokens inside one screen interval, so a consumer-side press could come late.
    stop = threading.Event()
    forwards = []

    def press_stop_on_third_forward(*_):
        forwards.append(1)
        if len(forwards) == 3:
            stop.set()

    hook = tiny_gpt2.model.register_forward_hook(press_stop_on_third_forward)
    try:
        ids = encode_prompt(tiny_gpt2, "the dog", 100)
        got = []
        for chunk in stream_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=100), stop):
            got.extend(chunk)
    finally:
        hook.remove()
    assert 2 <= len(got) < 10
    assert free_for_another_thread(tiny_gpt2)


def test_abandoned_stream_releases_the_lock(tiny_gpt2):
    gen = generate_stream(tiny_gpt2, "the dog", GenerationParams(max_new_tokens=50))
    next(gen)
    gen.close()  # a Streamlit rerun closes the generator like this
    assert free_for_another_thread(tiny_gpt2)


def test_stream_resumed_from_other_threads_releases_the_lock(tiny_gpt2):
    # Gradio resumes a sync generator on a pool thread per step; the lock must still be freed.
    gen = generate_stream(tiny_gpt2, "the dog", GenerationParams(max_new_tokens=8))
    pieces: list = []
    stepped, finish = threading.Event(), threading.Event()
    threads = []

    def step():
        try:
            pieces.append(next(gen, None))
        except Exception as error:  # e.g. a lock released by a thread that does not own it
            pieces.append(error)
        stepped.set()
        finish.wait(60)  # stay alive, so no later step reuses this thread's identity

    while not pieces or isinstance(pieces[-1], str):
        stepped.clear()
        threads.append(threading.Thread(target=step))  # a new thread for every step
        threads[-1].start()
        stepped.wait(60)
    finish.set()
    for thread in threads:
        thread.join()
    assert pieces.pop() is None  # the stream ended cleanly
    assert pieces and free_for_another_thread(tiny_gpt2)


def test_closing_ends_the_worker_even_while_frames_stay_alive(tiny_gpt2):
    # A Streamlit rerun raises inside the page; the exception's traceback keeps the frames
    # (and the inner generators) alive. close() must still end the worker and free the lock.
    import inspect

    gen = generate_stream(tiny_gpt2, "the dog", GenerationParams(max_new_tokens=100))
    next(gen)
    text_stream = gen.gi_yieldfrom
    kept = [v for v in text_stream.gi_frame.f_locals.values() if inspect.isgenerator(v)]
    assert kept  # the stream of token ids, held on purpose as a traceback would
    gen.close()
    assert all(g.gi_frame is None for g in kept)  # finished, not left to the garbage collector
    assert free_for_another_thread(tiny_gpt2)


def test_a_second_user_waits_and_is_told(tiny_gpt2):
    waits = []
    with held_by_another_user(tiny_gpt2) as release:
        gen = generate_stream(tiny_gpt2, "the dog", GenerationParams(max_new_tokens=4),
                              on_wait=lambda: (waits.append(1), release.set()))
        text = "".join(gen)
    assert waits == [1] and text


def test_stop_while_waiting_ends_without_running(tiny_gpt2):
    stop = threading.Event()
    with held_by_another_user(tiny_gpt2):
        gen = generate_stream(tiny_gpt2, "the dog", GenerationParams(max_new_tokens=4), stop,
                              on_wait=stop.set)
        assert list(gen) == []
    assert free_for_another_thread(tiny_gpt2)


@pytest.mark.parametrize("prompt, fragment", [("", "type a prompt"), ("   \n", "type a prompt"),
                                              ("x" * 30_000, "limit here is")])
def test_bad_prompts_get_one_sentence(tiny_gpt2, prompt, fragment):
    with pytest.raises(InputError) as info:
        list(generate_stream(tiny_gpt2, prompt, GenerationParams()))
    assert fragment in str(info.value)


def test_prompt_longer_than_the_context(tiny_gpt2):
    long_prompt = "the cat sat on the mat . " * 40  # well over 128 tokens
    with pytest.raises(InputError) as info:
        list(generate_stream(tiny_gpt2, long_prompt, GenerationParams(max_new_tokens=16)))
    assert "context" in str(info.value)


@pytest.mark.parametrize("params", [GenerationParams(max_new_tokens=0),
                                    GenerationParams(max_new_tokens=5000),
                                    GenerationParams(do_sample=True, temperature=0),
                                    GenerationParams(top_p=0)])
def test_out_of_range_settings(tiny_gpt2, params):
    with pytest.raises(InputError):
        list(generate_stream(tiny_gpt2, "hello", params))


def test_odd_unicode_streams(tiny_llama):
    prompt = "héllo 👋 مرحبا \u200b 猫"
    ids = encode_prompt(tiny_llama, prompt, 8)
    assert tiny_llama.tokenizer.decode(ids[0]) == prompt  # nothing of the prompt is lost
    pieces = list(generate_stream(tiny_llama, prompt, GenerationParams(max_new_tokens=8)))
    assert all(isinstance(p, str) for p in pieces) and pieces


def test_the_last_chunk_is_not_held_for_the_screen_interval(tiny_gpt2, monkeypatch):
    # Chunks are paced for the screen; a reply that ends meanwhile must show at once.
    import time

    from lmlab import streaming

    monkeypatch.setattr(streaming, "STREAM_INTERVAL_S", 30.0)
    hook = tiny_gpt2.model.register_forward_hook(lambda *_: time.sleep(0.05))  # tokens trickle
    try:
        ids = encode_prompt(tiny_gpt2, "the dog", 100)
        start = time.monotonic()
        chunks = list(stream_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=12)))
    finally:
        hook.remove()
    assert sum(len(c) for c in chunks) == 12
    assert len(chunks) >= 2 and time.monotonic() - start < 20.0
