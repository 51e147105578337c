"""Attention capture, token labels and per-head summaries on tiny models."""

import numpy as np
import pytest
import torch

from lmlab.attention import (CONTINUES, MAX_TOKENS, attention_rollout, capture_attention,
                             display_label, first_token_score, head_entropy_bits,
                             labels_by_decoding, labels_from_offsets, previous_token_score,
                             self_score, shares_without_first, summarize_heads)
from lmlab.errors import InputError

TEXT = "the cat sat on the mat . the dog sat on the rug ."


def _direct_attentions(loaded, ids):
    with loaded.eager_attention() as model, torch.inference_mode():
        out = model(input_ids=torch.tensor([ids]), output_attentions=True)
    return torch.stack(out.attentions)[:, 0].numpy()


@pytest.mark.parametrize("model_id", ["tiny/llama-chat", "tiny/gpt2", "tiny/bert"])
def test_capture_is_the_models_own_attention(store, model_id):
    loaded = store.get(model_id, "inspect")
    capture = capture_attention(loaded, TEXT)
    config = loaded.model.config
    T = len(loaded.tokenizer(TEXT)["input_ids"])
    assert capture.attentions.shape == (config.num_hidden_layers, config.num_attention_heads, T, T)
    np.testing.assert_allclose(capture.attentions.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(capture.attentions, _direct_attentions(loaded, capture.token_ids),
                               atol=1e-6)
    upper = np.triu(np.ones((T, T), bool), k=1)
    if capture.causal:  # decoders never look ahead
        assert np.abs(capture.attentions[..., upper]).max() == 0
    else:
        assert capture.attentions[..., upper].max() > 0.01
    assert capture.n_prompt == T and capture.n_generated == 0 and not capture.notes
    # Inspection must not leave the model on the slow attention path.
    assert loaded.model.config._attn_implementation != "eager"


def test_labels_are_readable_text_not_byte_symbols(tiny_gpt2, store):
    loaded = store.get("tiny/gpt2", "inspect")
    text = "the cat sat on the rug\n猫"
    capture = capture_attention(loaded, text)
    raw = loaded.tokenizer.convert_ids_to_tokens(capture.token_ids)
    assert any("Ġ" in r for r in raw)  # the tokenizer's own pieces carry byte symbols
    assert not any("Ġ" in label or "Ċ" in label for label in capture.tokens)
    assert capture.tokens[:5] == ["the", "cat", "sat", "on", "the"]
    shown = "".join(label for label in capture.tokens if label != CONTINUES)
    assert shown == text.replace(" ", "").replace("\n", "↵")
    assert "↵" in capture.tokens
    # 猫 is three bytes: the first piece shows it, the others say they continue it.
    assert capture.tokens.count("猫") == 1
    tail = capture.tokens[capture.tokens.index("猫") + 1:]
    assert tail and set(tail) == {CONTINUES}


def test_labels_from_offsets_keep_special_token_names():
    text = "hi there"
    labels = labels_from_offsets(text, [1, 2, 3, 4], [(0, 0), (0, 2), (2, 8), (0, 0)],
                                 ["[CLS]", "hi", "Ġthere", "[SEP]"])
    assert labels == ["[CLS]", "hi", "there", "[SEP]"]


def test_display_label_makes_whitespace_visible():
    assert display_label(" cat") == "cat"
    assert display_label("\n") == "↵"
    assert display_label(" ") == "␣"
    assert display_label("\t") == "⇥"


def test_labels_by_decoding_keep_multibyte_characters_whole(store):
    tokenizer = store.get("tiny/gpt2", "inspect").tokenizer
    ids = tokenizer("猫 坐")["input_ids"]
    labels = labels_by_decoding(tokenizer, ids)
    assert len(labels) == len(ids)
    assert "".join(label for label in labels if label != CONTINUES) == "猫坐"


def test_continuation_is_the_greedy_continuation(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    capture = capture_attention(loaded, "the cat sat", continue_tokens=5)
    assert capture.n_generated == 5 and len(capture.tokens) == capture.n_tokens
    prompt = torch.tensor([capture.token_ids[:capture.n_prompt]])
    with torch.inference_mode():
        greedy = loaded.model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt),
                                       max_new_tokens=5, do_sample=False,
                                       pad_token_id=loaded.tokenizer.pad_token_id)
    assert capture.token_ids == greedy[0].tolist()
    np.testing.assert_allclose(capture.attentions, _direct_attentions(loaded, capture.token_ids),
                               atol=1e-6)


def test_long_text_is_capped_with_a_note(store):
    loaded = store.get("tiny/gpt2", "inspect")
    capture = capture_attention(loaded, TEXT * 20, max_tokens=40)
    assert capture.n_tokens == 40 and capture.n_text_tokens > 40
    assert "only the first 40" in capture.notes[0]
    full = capture_attention(loaded, TEXT * 20, continue_tokens=4, max_tokens=40)
    assert full.n_generated == 0 and "No continuation" in full.notes[-1]
    assert MAX_TOKENS == 128


@pytest.mark.parametrize("bad, message", [("  ", "Please type some text"),
                                          ("x" * 5000, "limit here is 4,000")])
def test_bad_text_gets_one_sentence(store, bad, message):
    with pytest.raises(InputError, match=message):
        capture_attention(store.get("tiny/gpt2", "inspect"), bad)


def test_encoders_do_not_continue_and_seq2seq_is_refused(store):
    with pytest.raises(InputError, match="encoder"):
        capture_attention(store.get("tiny/bert", "inspect"), "the cat", continue_tokens=3)
    with pytest.raises(InputError, match="seq2seq"):
        capture_attention(store.get("tiny/t5", "inspect"), "the cat")


@pytest.mark.parametrize("model_id", ["tiny/gpt2", "tiny/bert"])
def test_captured_queries_and_keys_give_the_attention(store, model_id):
    """The neuron view's q and k are the model's: softmax(q k^T / sqrt(d)) rebuilds it."""
    capture = capture_attention(store.get(model_id, "inspect"), TEXT)
    q, k = capture.queries, capture.keys  # (L, H, T, d)
    assert q.shape[:3] == capture.attentions.shape[:3] and q.shape == k.shape
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])  # (L, H, T, T)
    if capture.causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(weights, capture.attentions, atol=1e-5)


def test_llama_has_no_neuron_view_vectors(store):
    capture = capture_attention(store.get("tiny/llama-chat", "inspect"), "the cat")
    assert capture.queries is None and capture.model_type == "llama"


def _heads(*patterns):
    return np.stack([np.stack(patterns)])  # (1, H, T, T)


def test_summaries_name_the_pattern_each_head_follows():
    T = 6
    previous = np.eye(T, k=-1)
    previous[0, 0] = 1.0
    first = np.zeros((T, T))
    first[:, 0] = 1.0
    causal_uniform = np.tril(np.ones((T, T)))
    causal_uniform /= causal_uniform.sum(-1, keepdims=True)
    weights = _heads(previous, first, np.eye(T), causal_uniform)
    assert previous_token_score(weights)[0].tolist() == [1.0, 0.2, 0.0, pytest.approx(
        np.mean([1 / (i + 1) for i in range(1, T)]))]
    assert first_token_score(weights)[0, :3].tolist() == [0.2, 1.0, 0.0]
    assert self_score(weights)[0, 2] == 1.0
    entropy = head_entropy_bits(weights)[0]
    assert entropy[:3].tolist() == pytest.approx([0, 0, 0], abs=1e-9)
    assert entropy[3] == pytest.approx(np.mean([np.log2(i + 1) for i in range(T)]))
    patterns = [s.pattern for s in summarize_heads(weights)]
    assert patterns == ["attends to previous token", "attends to first token",
                        "attends to itself", "spread / mixed"]


def test_rollout_chains_layers_with_the_residual():
    rng = np.random.default_rng(0)
    raw = rng.random((3, 2, 5, 5))
    weights = raw / raw.sum(-1, keepdims=True)
    rollout = attention_rollout(weights)
    np.testing.assert_allclose(rollout.sum(-1), 1.0)
    eye = np.eye(5)
    step = [0.5 * w.mean(0) + 0.5 * eye for w in weights]
    np.testing.assert_allclose(rollout[0], step[0])
    np.testing.assert_allclose(rollout[2], step[2] @ step[1] @ step[0])
    # Heads that only look at themselves carry nothing anywhere: identity throughout.
    np.testing.assert_allclose(attention_rollout(np.broadcast_to(eye, (2, 2, 5, 5)))[-1], eye)


def test_shares_without_first_split_the_rest():
    rollout = np.array([[[1.0, 0.0, 0.0], [0.9, 0.1, 0.0], [0.8, 0.05, 0.15]]])
    rest = shares_without_first(rollout)
    np.testing.assert_allclose(rest[0], [[0, 0, 0], [0, 1, 0], [0, 0.25, 0.75]])
