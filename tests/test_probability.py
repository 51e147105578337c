import math

import pytest
import torch

from lmlab.errors import InputError
from lmlab.probability import entropy_bits, score_text, softmax_with_temperature


@pytest.mark.parametrize("model_id", ["tiny/gpt2", "tiny/llama-chat"])
def test_perplexity_equals_exp_of_the_models_own_loss(store, model_id):
    loaded = store.get(model_id, "inspect")
    text = "the cat sat on the mat . a king and a queen ruled the land ."
    score = score_text(loaded, text)
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        loss = loaded.model(ids, labels=ids).loss
    assert score.perplexity == pytest.approx(math.exp(float(loss)), rel=1e-5)
    assert len(score.tokens) == ids.shape[1] - 1
    for tok in score.tokens:
        assert 0 < tok.prob <= 1
        assert tok.surprisal_bits == pytest.approx(-math.log2(tok.prob), rel=1e-6)
        assert tok.top[0][1] >= tok.top[-1][1] and tok.prob <= tok.top[0][1] + 1e-6


def test_smollm2_scores_every_token_after_its_document_start(smollm):
    """SmolLM2's tokenizer adds no start token; its training documents begin with
    <|endoftext|>. The text is scored after it: every token gets a probability, and the
    perplexity is the model's own loss on that sequence."""
    from lmlab.probability import DOCUMENT_START

    text = "The cat sat on the mat."
    ids = smollm.tokenizer(text, return_tensors="pt")["input_ids"]  # (1, T)
    score = score_text(smollm, text)
    assert score.document_start and score.first_token == DOCUMENT_START
    assert [t.token_id for t in score.tokens] == ids[0].tolist()
    assert [t.index for t in score.tokens] == list(range(ids.shape[1]))  # positions in the text
    start = smollm.tokenizer.convert_tokens_to_ids(DOCUMENT_START)
    full = torch.cat([torch.tensor([[start]]), ids], dim=1)
    with torch.inference_mode():
        loss = smollm.model(full, labels=full).loss  # every text token, none before the start
        bare = smollm.model(ids, labels=ids).loss  # the text alone: its first token unscored
    assert score.perplexity == pytest.approx(math.exp(float(loss)), rel=1e-4)
    assert score.perplexity < math.exp(float(bare))  # 20 against 210 here


def test_no_document_start_where_the_tokenizer_has_none_or_adds_its_own(store):
    from lmlab.probability import document_start_id

    tok = store.get("tiny/gpt2", "inspect").tokenizer  # no <|endoftext|> in its vocabulary
    assert document_start_id(tok, [5, 6]) is None
    assert document_start_id(tok, [tok.bos_token_id, 5]) is None


def test_temperature_reshapes_and_entropy():
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0])
    cold, warm = softmax_with_temperature(logits, 0.5), softmax_with_temperature(logits, 2.0)
    assert cold.sum() == pytest.approx(1) and warm.sum() == pytest.approx(1)
    assert entropy_bits(cold) < entropy_bits(softmax_with_temperature(logits, 1)) < entropy_bits(warm)
    greedy = softmax_with_temperature(logits, 0)
    assert greedy.tolist() == [1, 0, 0, 0] and entropy_bits(greedy) == 0
    assert entropy_bits(torch.full((8,), 1 / 8)) == pytest.approx(3)


def test_scoring_bad_input(store):
    loaded = store.get("tiny/gpt2", "inspect")
    for text in ["", "   "]:
        with pytest.raises(InputError):
            score_text(loaded, text)
    with pytest.raises(InputError):
        score_text(loaded, "the cat " * 200)  # over the tiny model's 128-token context


def test_continuation_scores_match_the_lens_on_the_same_tokens(store):
    from lmlab.probability import score_continuation

    loaded = store.get("tiny/llama-chat", "inspect")
    text = "the cat sat on the mat ."
    ids = loaded.tokenizer(text)["input_ids"]
    lens = score_text(loaded, text)
    tail = score_continuation(loaded, ids[:3], ids[3:])
    assert [t.token_id for t in tail] == ids[3:]
    for a, b in zip(tail, lens.tokens[2:]):
        assert a.index == b.index and a.prob == pytest.approx(b.prob, rel=1e-5)
        assert [x for x, _ in a.top] == [x for x, _ in b.top]
    assert score_continuation(loaded, ids, []) == []


def test_next_tokens_come_from_the_models_last_logits(store):
    from lmlab.probability import prompt_next_logits, top_next_tokens

    loaded = store.get("tiny/gpt2", "inspect")
    logits = prompt_next_logits(loaded, "the cat sat on")
    ids = loaded.tokenizer("the cat sat on", return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        expected = loaded.model(ids).logits[0, -1]
    assert torch.allclose(logits, expected, atol=1e-5)
    view = top_next_tokens(loaded, logits, temperature=1.0, k=5)
    probs = torch.softmax(expected, -1)
    assert view.token_ids == probs.topk(5).indices.tolist()
    assert view.probs == pytest.approx(probs.topk(5).values.tolist(), abs=1e-6)
    assert view.rest == pytest.approx(1 - sum(view.probs), abs=1e-6)
    assert view.entropy_bits == pytest.approx(entropy_bits(probs), rel=1e-6)
    hot = top_next_tokens(loaded, logits, temperature=3.0, k=5)
    assert hot.entropy_bits > view.entropy_bits and hot.token_ids == view.token_ids
    frozen = top_next_tokens(loaded, logits, temperature=0, k=3)
    assert frozen.probs[0] == 1 and frozen.entropy_bits == 0
    for bad in ["", "  "]:
        with pytest.raises(InputError):
            prompt_next_logits(loaded, bad)
    with pytest.raises(InputError):
        top_next_tokens(loaded, logits, k=0)


def test_loose_bytes_of_a_split_character_are_shown_as_bytes(smollm):
    """SmolLM2 splits 😀 into byte tokens; each shows its bytes, and the bytes of a word's
    tokens put together are the word's UTF-8."""
    from lmlab.probability import readable_tokens
    from lmlab.token_text import show_bytes, token_bytes

    text = "I love 😀 and é"
    ids = smollm.tokenizer(text)["input_ids"]
    shown = readable_tokens(smollm.tokenizer, ids)
    assert "\ufffd" not in "".join(shown) and " ⟨f0 9f 98⟩" in shown and "⟨80⟩" in shown
    assert " é" in shown and " love" in shown  # whole characters stay text
    assert b"".join(token_bytes(smollm.tokenizer, i) for i in ids) == text.encode()
    assert show_bytes("é".encode()[:1] + b"x") == "⟨c3⟩x"


def test_next_token_view_shows_loose_bytes_and_appends_only_whole_characters(smollm):
    from lmlab.probability import top_next_tokens

    ids = smollm.tokenizer("I love 😀 and")["input_ids"]
    emoji_start, word = ids[2], ids[-1]  # " ⟨f0 9f 98⟩" and " and"
    logits = torch.full((len(smollm.tokenizer),), -10.0)
    logits[emoji_start], logits[word] = 5.0, 4.0
    view = top_next_tokens(smollm, logits, k=3)
    assert view.token_ids[:2] == [emoji_start, word]
    assert view.texts[:2] == [" ⟨f0 9f 98⟩", " and"]
    assert view.appendable(0) is None  # a text box cannot hold part of a character
    assert view.appendable(1) == " and"
