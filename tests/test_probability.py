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
