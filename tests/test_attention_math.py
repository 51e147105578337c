"""Attention recomputed from captured q/k/v matches the model's own attention weights."""

import math

import pytest
import torch

from lmlab.attention_math import (MAX_MATH_TOKENS, capture_text, cell_math, encode_for_math,
                                  max_recompute_error, recompute_attention)
from lmlab.errors import InputError
from lmlab.toy_attention import ToyExample, compute_toy, default_toy

TEXT = "the cat sat on the mat . the dog sat on the rug ."


@torch.inference_mode()
def model_attentions(loaded, text):
    """The model's own attention weights: float32, eager attention, output_attentions."""
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    with loaded.eager_attention() as model:
        out = model(ids, output_attentions=True, use_cache=False)
    return [a[0] for a in out.attentions]  # each (H, T, T)


@pytest.mark.parametrize("model_id", ["tiny/llama-chat", "tiny/gpt2", "tiny/bert"])
def test_recomputed_attention_matches_the_model(store, model_id):
    loaded = store.get(model_id, "inspect")
    assert loaded.dtype == torch.float32
    capture = capture_text(loaded, TEXT)
    expected = model_attentions(loaded, TEXT)
    assert capture.n_layers == len(expected) == loaded.model.config.num_hidden_layers
    for layer, reference in zip(capture.layers, expected):
        weights, outputs = recompute_attention(layer)
        assert weights.shape == reference.shape
        assert torch.allclose(weights, reference, atol=1e-5, rtol=0), \
            float((weights - reference).abs().max())
        assert torch.allclose(weights.sum(-1), torch.ones(weights.shape[:2]), atol=1e-5)
        assert max_recompute_error(layer) < 1e-5  # the page's live check agrees
    # The model's implementation is back to what it was.
    assert loaded.model.config._attn_implementation == "sdpa"


def test_llama_keys_are_grouped_and_rotated(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    capture = capture_text(loaded, TEXT)
    layer = capture.layers[0]
    assert (layer.n_heads, layer.n_kv_heads) == (4, 2)  # grouped-query attention
    attn = loaded.model.model.layers[0].self_attn
    ids = torch.tensor([capture.token_ids])
    with torch.inference_mode():
        hidden = loaded.model.model.layers[0].input_layernorm(loaded.model.model.embed_tokens(ids))
        k_plain = attn.k_proj(hidden)[0].view(-1, 2, layer.head_dim).transpose(0, 1)  # (H_kv, T, d)
    # Position 0 is not rotated; later positions are (rotary embedding happened before capture).
    assert torch.allclose(layer.k[:, 0], k_plain[:, 0], atol=1e-5)
    assert not torch.allclose(layer.k[:, 1:], k_plain[:, 1:], atol=1e-3)


def test_cell_math_adds_up(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    capture = capture_text(loaded, TEXT)
    weights, outputs = recompute_attention(capture.layers[1])
    i, j, head = 5, 2, 3
    cell = cell_math(capture, 1, head, i, j)
    assert cell.kv_head == 1  # heads 2 and 3 share kv head 1
    assert math.isclose(sum(cell.products), cell.dot, rel_tol=1e-5, abs_tol=1e-6)
    assert math.isclose(cell.scaled, cell.dot / math.sqrt(cell.d_k), rel_tol=1e-5)
    assert math.isclose(sum(cell.row_weights), 1.0, abs_tol=1e-6)
    assert torch.allclose(torch.tensor(cell.row_weights), weights[head, i], atol=1e-6)
    assert torch.allclose(torch.tensor(cell.output), outputs[head, i], atol=1e-6)
    assert cell.mask == 0.0
    future = cell_math(capture, 1, head, 2, 5)  # a decoder cannot look ahead
    assert future.mask == float("-inf") and future.weight == 0.0


def test_encoder_sees_every_position(store):
    capture = capture_text(store.get("tiny/bert", "inspect"), TEXT)
    cell = cell_math(capture, 0, 0, 1, 4)
    assert cell.mask == 0.0 and cell.weight > 0


def test_bad_inputs_get_one_sentence(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    with pytest.raises(InputError, match="enter some text"):
        encode_for_math(loaded, "  ")
    with pytest.raises(InputError, match=f"at most {MAX_MATH_TOKENS}"):
        encode_for_math(loaded, "the cat sat on the mat . " * 30)
    capture = capture_text(loaded, TEXT)
    with pytest.raises(InputError, match="Query position must be between 0 and"):
        cell_math(capture, 0, 0, capture.n_tokens, 0)
    with pytest.raises(InputError, match="Head must be between 0 and 3"):
        cell_math(capture, 0, 4, 0, 0)
    with pytest.raises(InputError, match="Layer must be between 0 and 1"):
        cell_math(capture, -1, 0, 0, 0)


def test_toy_rows_sum_to_one():
    toy = compute_toy(default_toy())
    assert toy.weights.shape == (5, 5)
    assert abs(toy.weights.sum(axis=1) - 1).max() < 1e-12
    assert (toy.weights >= 0).all()
    assert abs(toy.output - toy.weights @ toy.values).max() < 1e-12


def test_toy_follows_the_formula_and_the_sliders():
    example = default_toy()
    toy = compute_toy(example, causal=True)
    q, k = toy.queries, toy.keys
    i = 3
    scores = [sum(a * b for a, b in zip(q[i], k[j])) / math.sqrt(q.shape[1]) for j in range(i + 1)]
    exp = [math.exp(s) for s in scores]
    assert toy.weights[i, :i + 1] == pytest.approx([e / sum(exp) for e in exp], abs=1e-12)
    assert (toy.weights[i, i + 1:] == 0).all()
    moved = example.with_embedding(2, [2.0, -1.0, 0.5, 0.0])
    changed = compute_toy(moved, causal=True)
    assert not (changed.weights[2:] == toy.weights[2:]).all()  # tokens that see token 2 change
    assert (changed.weights[:2] == toy.weights[:2]).all()  # earlier ones cannot see it
    with pytest.raises(InputError):
        example.with_embedding(7, [0, 0, 0, 0])
    assert isinstance(example, ToyExample)
