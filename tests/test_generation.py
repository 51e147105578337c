import threading

import pytest
import torch

from lmlab.errors import InputError
from lmlab.generation import GenerationParams, encode_prompt, generate_stream, stream_ids


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
    stop = threading.Event()
    ids = encode_prompt(tiny_gpt2, "the dog", 100)
    got = []
    for chunk in stream_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=100), stop):
        got.extend(chunk)
        if len(got) >= 3:
            stop.set()
    assert 3 <= len(got) < 100
    assert tiny_gpt2.lock.acquire(blocking=False)
    tiny_gpt2.lock.release()


def test_abandoned_stream_releases_the_lock(tiny_gpt2):
    gen = generate_stream(tiny_gpt2, "the dog", GenerationParams(max_new_tokens=50))
    next(gen)
    gen.close()  # a Streamlit rerun closes the generator like this
    assert tiny_gpt2.lock.acquire(blocking=False)
    tiny_gpt2.lock.release()


@pytest.mark.parametrize("prompt, fragment", [("", "type a prompt"), ("   \n", "type a prompt"),
                                              ("x" * 30_000, "limit is")])
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
