"""Knocking out a head changes exactly that head's output, and the predictions after it."""

import pytest
import torch

from lmlab.ablation import Ablation, ablated, head_sweep, output_projections, run_ablation
from lmlab.attention_math import capture_text, recompute_attention
from lmlab.errors import InputError
from lmlab.probability import score_text

TEXT = "the cat sat on the mat . the dog sat on the rug ."


@torch.inference_mode()
def projection_inputs(loaded, ids, layer):
    """What enters the attention output projection of `layer`: every head's output, side by side."""
    seen = []
    handle = output_projections(loaded.model)[layer].register_forward_pre_hook(
        lambda module, args: seen.append(args[0][0].clone()))  # (T, H * d)
    try:
        loaded.model(ids, use_cache=False)
    finally:
        handle.remove()
    return seen[0]


@pytest.mark.parametrize("model_id", ["tiny/llama-chat", "tiny/gpt2", "tiny/bert"])
def test_only_the_ablated_head_changes(store, model_id):
    loaded = store.get(model_id, "inspect")
    ids = loaded.tokenizer(TEXT, return_tensors="pt")["input_ids"]
    layer, head = 1, 2
    heads = loaded.model.config.num_attention_heads
    before = projection_inputs(loaded, ids, layer)
    d = before.shape[-1] // heads
    # The projection input really is the per-head attention outputs (weights @ v).
    _, outputs = recompute_attention(capture_text(loaded, TEXT).layers[layer])  # (H, T, d)
    assert torch.allclose(before.view(-1, heads, d).transpose(0, 1), outputs, atol=1e-5)
    with ablated(loaded, Ablation(layer, head)):
        after = projection_inputs(loaded, ids, layer)
    for h in range(heads):
        span = slice(h * d, (h + 1) * d)
        if h == head:
            assert before[:, span].abs().max() > 0
            assert (after[:, span] == 0).all()
        else:
            assert torch.equal(after[:, span], before[:, span])
    # The hook is gone after the block.
    assert torch.equal(projection_inputs(loaded, ids, layer), before)


def test_ablation_changes_predictions_and_perplexity(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    result = run_ablation(loaded, TEXT, Ablation(0, 1), top_k=5)
    assert result.base.perplexity == pytest.approx(score_text(loaded, TEXT).perplexity, rel=1e-6)
    assert result.ablated.perplexity != pytest.approx(result.base.perplexity, rel=1e-6)
    assert result.kl_bits > 0
    assert abs(float(result.base.probs.sum()) - 1) < 1e-5
    assert len(result.top_tokens) >= 5 and len(result.base_probs) == len(result.top_tokens)
    # Whole-layer knockout: the layer's attention adds nothing to the residual stream.
    layer = run_ablation(loaded, TEXT, Ablation(1), top_k=5)
    assert layer.ablated.perplexity != pytest.approx(layer.base.perplexity, rel=1e-6)
    ids = loaded.tokenizer(TEXT, return_tensors="pt")["input_ids"]
    seen = []
    with ablated(loaded, Ablation(1)), torch.inference_mode():
        handle = output_projections(loaded.model)[1].register_forward_hook(
            lambda m, a, out: seen.append(out))
        loaded.model(ids)
        handle.remove()
    assert torch.equal(seen[0], torch.zeros_like(seen[0]))


def test_head_sweep_matches_single_ablations(store):
    loaded = store.get("tiny/gpt2", "inspect")
    base, without = head_sweep(loaded, TEXT, layer=0)
    assert len(without) == 4
    single = run_ablation(loaded, TEXT, Ablation(0, 3))
    assert without[3] == pytest.approx(single.ablated.perplexity, rel=1e-6)
    assert base == pytest.approx(single.base.perplexity, rel=1e-6)


def test_bad_ablation_inputs_get_one_sentence(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    with pytest.raises(InputError, match="Head must be between 0 and 3"):
        run_ablation(loaded, TEXT, Ablation(0, 9))
    with pytest.raises(InputError, match="Layer must be between 0 and 1"):
        run_ablation(loaded, TEXT, Ablation(5))
    with pytest.raises(InputError, match="enter some text"):
        run_ablation(loaded, " ", Ablation(0, 0))
    cap = min(256, loaded.context_length)  # the tiny model's context is shorter
    with pytest.raises(InputError, match=f"limit here is {cap}"):
        run_ablation(loaded, "the cat sat on the mat . " * 60, Ablation(0, 0))
    with pytest.raises(InputError, match="text-generation model"):
        run_ablation(store.get("tiny/bert", "inspect"), TEXT, Ablation(0, 0))
