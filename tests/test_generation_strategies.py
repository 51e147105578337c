"""Every decoding strategy against the model's own generate(), on tiny models."""

import math

import pytest
import torch
from test_generation import held_by_another_user  # the lock held from another thread

from lmlab.errors import InputError, LMLabError
from lmlab.generation import (STRATEGY_PRESETS, GenerationParams, acquire, compare_strategies,
                              encode_prompt, generate_ids, generate_outputs, normalize_params)

PROMPT = "the cat sat"


def raw_generate(loaded, seed=None, **kwargs):
    ids = encode_prompt(loaded, PROMPT, kwargs.get("max_new_tokens", 8))
    if seed is not None:
        torch.manual_seed(seed)
    with torch.inference_mode():
        out = loaded.model.generate(ids, attention_mask=torch.ones_like(ids),
                                    pad_token_id=loaded.tokenizer.pad_token_id, **kwargs)
    return ids, out[:, ids.shape[1]:].tolist()


def test_greedy_matches_generate(tiny_gpt2):
    ids, raw = raw_generate(tiny_gpt2, max_new_tokens=8, do_sample=False)
    assert generate_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=8)) == raw


def test_sampling_knobs_match_generate_with_the_same_seed(tiny_llama):
    for knobs in [dict(temperature=1.3, top_k=0, top_p=1.0), dict(temperature=1.0, top_k=5, top_p=1.0),
                  dict(temperature=1.0, top_k=0, top_p=0.8)]:
        params = GenerationParams(max_new_tokens=8, do_sample=True, seed=3, **knobs)
        ids, raw = raw_generate(tiny_llama, seed=3, max_new_tokens=8, do_sample=True, **knobs)
        ours = generate_ids(tiny_llama, ids, params)
        assert [o == r[:len(o)] for o, r in zip(ours, raw)] == [True]


def test_top_k_one_is_greedy(tiny_gpt2):
    ids = encode_prompt(tiny_gpt2, PROMPT, 8)
    greedy = generate_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=8))
    for seed in (1, 2):
        sampled = generate_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=8, do_sample=True,
                                                                 top_k=1, temperature=1.5, seed=seed))
        assert sampled == greedy


def test_beam_search_and_several_outputs(tiny_gpt2):
    ids, raw = raw_generate(tiny_gpt2, max_new_tokens=6, num_beams=3, num_return_sequences=3,
                            do_sample=False)
    ours = generate_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=6, num_beams=3,
                                                         num_return_sequences=3))
    assert len(ours) == 3 and ours == [r[:len(o)] for o, r in zip(ours, raw)]
    sampled = generate_outputs(tiny_gpt2, PROMPT, GenerationParams(
        max_new_tokens=6, do_sample=True, temperature=2.0, num_return_sequences=4, seed=0))
    assert len(sampled) == 4 and len({tuple(o.token_ids) for o in sampled}) > 1


def test_repetition_penalty_matches_generate(tiny_gpt2):
    ids, raw = raw_generate(tiny_gpt2, max_new_tokens=12, do_sample=False, repetition_penalty=2.0)
    ours = generate_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=12, repetition_penalty=2.0))
    plain = generate_ids(tiny_gpt2, ids, GenerationParams(max_new_tokens=12))
    assert ours == raw and ours != plain


def test_output_probabilities_are_the_models_next_token_probabilities(store):
    """The colour of each generated token is softmax(raw logits)[token] at that step."""
    tiny_llama = store.get("tiny/llama-chat", "inspect")  # float32: compare to 1e-5
    params = GenerationParams(max_new_tokens=6)
    (output,) = generate_outputs(tiny_llama, PROMPT, params)
    ids = encode_prompt(tiny_llama, PROMPT, 6)
    with torch.inference_mode():
        out = tiny_llama.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                        max_new_tokens=6, output_logits=True,
                                        return_dict_in_generate=True,
                                        pad_token_id=tiny_llama.tokenizer.pad_token_id)
    assert len(output.tokens) == len(output.token_ids) > 0
    for step, token in enumerate(output.tokens):
        probs = torch.softmax(out.logits[step][0].float(), -1)
        assert token.token_id == output.token_ids[step]
        assert token.prob == pytest.approx(float(probs[token.token_id]), abs=1e-5)
        assert token.top[0][1] == pytest.approx(float(probs.max()), abs=1e-5)
        assert token.surprisal_bits == pytest.approx(-math.log2(token.prob), rel=1e-6)


def test_compare_uses_the_same_seed_and_length(tiny_llama):
    chosen = {k: STRATEGY_PRESETS[k] for k in ["Greedy", "Sampling, temperature 1.5",
                                               "Beam search, 4 beams"]}
    first = compare_strategies(tiny_llama, PROMPT, chosen, max_new_tokens=6, seed=11)
    again = compare_strategies(tiny_llama, PROMPT, chosen, max_new_tokens=6, seed=11)
    assert [r.name for r in first] == list(chosen)
    assert [r.outputs[0].token_ids for r in first] == [r.outputs[0].token_ids for r in again]
    assert all(r.params.max_new_tokens == 6 and r.params.seed == 11 for r in first)
    assert all(0 < len(r.outputs[0].token_ids) <= 6 for r in first)
    with pytest.raises(InputError):
        compare_strategies(tiny_llama, PROMPT, {}, 6, 0)
    with pytest.raises(InputError):
        compare_strategies(tiny_llama, "  ", chosen, 6, 0)


def test_one_refused_strategy_does_not_hide_the_others(tiny_gpt2):
    results = compare_strategies(tiny_gpt2, PROMPT, {
        "ok": GenerationParams(), "bad": GenerationParams(num_beams=2, num_return_sequences=5)}, 4, 0)
    assert results[0].outputs and results[0].error is None
    assert not results[1].outputs and "beams" in results[1].error


def test_temperature_zero_and_top_p_zero_become_greedy_with_a_note():
    params, notes = normalize_params(GenerationParams(do_sample=True, temperature=0))
    assert not params.do_sample and "greedy" in notes[0]
    params, notes = normalize_params(GenerationParams(do_sample=True, temperature=0.8, top_p=0))
    assert not params.do_sample and params.top_p == 1 and "Top-p 0" in notes[0]
    params.validate()
    params, notes = normalize_params(GenerationParams(num_return_sequences=3))
    assert params.num_return_sequences == 1 and notes
    params, notes = normalize_params(GenerationParams(do_sample=True, temperature=0.7))
    assert params.do_sample and notes == []


@pytest.mark.parametrize("params, fragment", [
    (GenerationParams(num_return_sequences=2), "Greedy"),
    (GenerationParams(num_beams=2, num_return_sequences=3), "beams"),
    (GenerationParams(num_return_sequences=99, do_sample=True), "between 1 and"),
])
def test_refused_combinations(tiny_gpt2, params, fragment):
    with pytest.raises(InputError) as info:
        generate_outputs(tiny_gpt2, PROMPT, params)
    assert fragment in str(info.value)


def test_a_busy_model_calls_on_wait_then_runs(tiny_gpt2):
    """Another session holds the lock: we are told to wait, then get our turn."""
    waited = []
    with held_by_another_user(tiny_gpt2) as release:
        def on_wait():
            waited.append(True)
            release.set()

        outputs = generate_outputs(tiny_gpt2, PROMPT, GenerationParams(max_new_tokens=3),
                                   on_wait=on_wait)
    assert waited == [True] and outputs[0].token_ids


def test_a_model_busy_too_long_says_so(tiny_gpt2):
    with held_by_another_user(tiny_gpt2):
        with pytest.raises(LMLabError) as info:
            acquire(tiny_gpt2, timeout=0.1)
        assert "busy" in str(info.value)
