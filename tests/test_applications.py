"""The applications core: analogy evaluation, classification, bias measures, compute, QA."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lmlab import analogy_eval, classify, embedding_classifier
from lmlab.errors import InputError
from lmlab.registry import get_spec
from lmlab.sources import offline_available
from lmlab.wordvectors import WordVectors


@pytest.fixture(scope="module")
def real_glove() -> WordVectors:
    if not offline_available(get_spec("glove-6B-50d")):
        pytest.skip("offline GloVe package not installed")
    from lmlab.loading import ModelStore

    return ModelStore(device="cpu").get("glove-6B-50d").model


# ---------------------------------------------------------------- analogy test set

def test_questions_file_has_the_published_sections():
    questions = analogy_eval.load_questions()
    assert len(questions) == 19_544
    sections = list(dict.fromkeys(q.section for q in questions))
    assert len(sections) == 14 and sections[0] == "capital-common-countries"
    assert sum(s.startswith("gram") for s in sections) == 9


def test_toy_analogies_counted_per_section_with_skips():
    words = ["king", "queen", "man", "woman", "apple", "prince"]
    vecs = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, 0, 0.1], [0.9, 1.1, 0]],
                    dtype=np.float32)
    vectors = WordVectors.from_arrays(words, vecs)
    questions = analogy_eval.parse_questions(
        ": family\nman king woman queen\nman woman king queen\n"
        ": other\nman king woman apple\nman king woman dragon\n")
    report = analogy_eval.evaluate_analogies(vectors, questions, restrict_vocab=6, batch=1)
    family, other = report.sections
    assert (family.correct, family.incorrect, family.skipped) == (2, 0, 0)
    assert (other.correct, other.incorrect, other.skipped) == (0, 1, 1)
    assert report.total.accuracy == pytest.approx(2 / 3)
    assert report.failures[0].predicted == "queen" and report.failures[0].expected == "apple"
    # Restricting the vocabulary drops rarer rows: "prince" (row 5) is out with restrict_vocab=5.
    only5 = analogy_eval.evaluate_analogies(
        vectors, analogy_eval.parse_questions(": x\nman king woman prince\n"), restrict_vocab=5)
    assert only5.total.skipped == 1 and only5.total.scored == 0


def test_batched_evaluation_equals_a_plain_loop_on_real_glove(real_glove):
    questions = analogy_eval.load_questions()
    rng = np.random.default_rng(1)
    sample = [questions[i] for i in rng.choice(len(questions), 60, replace=False)]
    report = analogy_eval.evaluate_analogies(real_glove, sample, batch=16)
    index = {w: i for i, w in enumerate(real_glove.words[:analogy_eval.RESTRICT_VOCAB])}
    correct = skipped = 0
    wrong = {}
    for q in sample:
        guess = analogy_eval.answer_one(real_glove, q, index=index)
        if guess is None:
            skipped += 1
        elif guess == q.expected:
            correct += 1
        else:
            wrong[(q.a, q.b, q.c)] = guess
    assert report.total.correct == correct and report.total.skipped == skipped
    assert {(f.a, f.b, f.c): f.predicted for f in report.failures} == wrong


def test_bad_analogy_files_and_limits_give_one_sentence(real_glove):
    with pytest.raises(InputError, match="Line 2"):
        analogy_eval.parse_questions(": s\nonly three words\n")
    with pytest.raises(InputError, match="no questions"):
        analogy_eval.parse_questions("\n")
    with pytest.raises(InputError, match="vocabulary limit"):
        analogy_eval.evaluate_analogies(real_glove, restrict_vocab=0)


# ---------------------------------------------------------------- zero-shot classification

def _full_forward_mass(loaded, prompt_ids: list[int], label_ids: list[int]) -> float:
    """P(label | prompt) from one plain forward over prompt + label, no cache."""
    ids = torch.tensor([prompt_ids + label_ids])
    with torch.no_grad():
        logp = torch.log_softmax(loaded.model(input_ids=ids).logits[0].float(), dim=-1)
    start = len(prompt_ids)
    return math.exp(sum(float(logp[start - 1 + t, tok]) for t, tok in enumerate(label_ids)))


@pytest.mark.parametrize("model", ["tiny/gpt2", "tiny/llama-chat"])
def test_zero_shot_probabilities_sum_to_one_and_match_a_plain_forward(store, model):
    loaded = store.get(model, "inspect")  # float32: the two ways agree to rounding
    result = classify.zero_shot(loaded, "the cat sat on the mat .", "positive, negative, mat")
    assert result.labels == ["positive", "negative", "mat"]
    assert sum(result.probs) == pytest.approx(1.0, abs=1e-6)
    tok = loaded.tokenizer
    chat = bool(getattr(tok, "chat_template", None))
    prompt_ids = list(tok(result.prompt, add_special_tokens=not chat)["input_ids"])
    before = "" if chat else " "
    for label, variants, mass in zip(result.labels, result.variants, result.label_mass):
        expected = sum(_full_forward_mass(loaded, prompt_ids,
                                          list(tok(before + v, add_special_tokens=False)["input_ids"]))
                       for v in variants)
        assert mass == pytest.approx(expected, rel=1e-5), label
    assert result.probs[0] == pytest.approx(result.label_mass[0] / sum(result.label_mass))
    assert "the cat sat on the mat ." in result.prompt  # the prompt is shown as read


@pytest.mark.parametrize("labels, message", [
    ("", "at least two labels"), ("positive", "at least two labels"),
    ("good, Good", "the same word"), (", ".join(f"l{i}" for i in range(9)), "at most 8"),
    ("positive, " + "x" * 40, "longer than")])
def test_bad_labels_give_one_sentence(tiny_gpt2, labels, message):
    with pytest.raises(InputError, match=message):
        classify.zero_shot(tiny_gpt2, "a text", labels)


def test_empty_or_long_text_gives_one_sentence(tiny_gpt2):
    with pytest.raises(InputError, match="empty"):
        classify.zero_shot(tiny_gpt2, "   ", "yes, no")
    with pytest.raises(InputError, match="limit"):
        classify.zero_shot(tiny_gpt2, "the cat " * 300, "yes, no")


# ---------------------------------------------------------------- fine-tuned classifier, QA

@pytest.fixture(scope="module")
def tiny_distilbert(tmp_path_factory):
    """A tiny DistilBERT with a sequence-classification and a QA head, saved and registered."""
    from transformers import (DistilBertConfig, DistilBertForQuestionAnswering,
                              DistilBertForSequenceClassification)
    from tiny_models import build_tokenizer
    from lmlab import registry

    torch.manual_seed(0)
    tok = build_tokenizer()
    config = DistilBertConfig(dim=32, hidden_dim=64, n_layers=2, n_heads=4, vocab_size=len(tok),
                              max_position_embeddings=128, pad_token_id=tok.pad_token_id,
                              id2label={0: "NEGATIVE", 1: "POSITIVE"},
                              label2id={"NEGATIVE": 0, "POSITIVE": 1})
    specs = {}
    for model_id, cls, kind, task in [
            ("tiny/distilbert-sst2", DistilBertForSequenceClassification, "seq-classifier", "classify"),
            ("tiny/distilbert-squad", DistilBertForQuestionAnswering, "extractive-qa", "answer")]:
        folder = tmp_path_factory.mktemp(model_id.replace("/", "_"))
        cls(config).save_pretrained(folder)
        tok.save_pretrained(folder)
        specs[model_id] = registry.ModelSpec(
            id=model_id, name=model_id, kind=kind, tasks=frozenset([task]), license="test",
            params_m=0.05, offline=registry.OfflineSource("local", path=str(folder)))
        registry.register(specs[model_id])
    yield specs
    for model_id in specs:
        registry.unregister(model_id)


def test_finetuned_classifier_is_softmax_of_its_logits(store, tiny_distilbert):
    loaded = store.get("tiny/distilbert-sst2", "inspect")
    result = classify.classify_finetuned(loaded, "the dog sat on the rug .")
    assert result.labels == ["negative", "positive"]
    ids = loaded.tokenizer("the dog sat on the rug .", return_tensors="pt")["input_ids"]
    with torch.no_grad():
        logits = loaded.model(input_ids=ids).logits[0]
    assert result.probs == pytest.approx(torch.softmax(logits, -1).tolist(), abs=1e-6)
    with pytest.raises(InputError, match="empty"):
        classify.classify_finetuned(loaded, "")


# ---------------------------------------------------------------- MiniLM classifier

def test_split_is_stratified_and_the_confusion_matrix_counts():
    examples = embedding_classifier.load_examples()
    assert len(examples) == 300
    train, test = embedding_classifier.split(examples, 0.2, seed=3)
    assert len(test) == 60 and len(train) == 240
    assert sorted({e.label for e in test}) == ["negative", "neutral", "positive"]
    assert sum(e.label == "positive" for e in test) == 20
    assert not {e.text for e in train} & {e.text for e in test}
    matrix = embedding_classifier.confusion_matrix(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert matrix.tolist() == [[1, 1], [0, 1]]
    with pytest.raises(InputError, match="at least"):
        embedding_classifier.split(examples[:3], 0.25)


def test_minilm_classifier_trained_on_tiny_encoder(store):
    encoder = store.get("tiny/bert")
    examples = embedding_classifier.load_examples()[::5]  # 60 sentences, 20 per label
    trained = embedding_classifier.train(encoder, examples, 0.25)
    assert trained.confusion.sum() == len(trained.test) == 15
    assert 0.0 <= trained.accuracy <= 1.0
    result = embedding_classifier.predict(trained, encoder, "a lovely day")
    assert result.labels == trained.labels and sum(result.probs) == pytest.approx(1.0)


# ---------------------------------------------------------------- bias

def test_weat_matches_its_formula_on_a_hand_made_example():
    from lmlab import bias

    def unit(*v):
        v = np.array(v, dtype=np.float64)
        return v / np.linalg.norm(v)

    x = np.array([unit(1, 0.2), unit(1, 0.5)])
    y = np.array([unit(0.1, 1), unit(0.4, 1)])
    a = np.array([unit(1, 0), unit(1, 0.1)])
    b = np.array([unit(0, 1)])

    def s(w):  # s(w, A, B) written out by hand
        return np.mean([w @ ai for ai in a]) - np.mean([w @ bi for bi in b])

    sx, sy = [s(w) for w in x], [s(w) for w in y]
    all_s = sx + sy
    mean = sum(all_s) / 4
    std = math.sqrt(sum((v - mean) ** 2 for v in all_s) / 3)
    result = bias.weat_from_rows(x, y, a, b, permutations=2000)
    assert result.statistic == pytest.approx(sum(sx) - sum(sy))
    assert result.effect_size == pytest.approx((np.mean(sx) - np.mean(sy)) / std)
    # Of the 6 ways to split 4 words into 2 + 2, only the real split scores as high: p ≈ 0.
    assert result.p_value < 0.05
    swapped = bias.weat_from_rows(y, x, a, b, permutations=2000)
    assert swapped.effect_size == pytest.approx(-result.effect_size)
    assert swapped.p_value > 0.5


def test_gender_direction_and_unknown_words(real_glove):
    from lmlab import bias

    direction = bias.gender_direction(real_glove, "pca")
    assert np.linalg.norm(direction.vector) == pytest.approx(1.0, abs=1e-5)
    assert 0 < direction.explained < 1
    she, he = bias.project(real_glove, "she, he", direction)
    assert she > 0 > he  # oriented towards "she"
    diff = bias.gender_direction(real_glove, "difference")
    expected = real_glove.unit[real_glove.index["she"]] - real_glove.unit[real_glove.index["he"]]
    assert diff.vector == pytest.approx(expected / np.linalg.norm(expected), abs=1e-6)
    with pytest.raises(InputError, match="“qwxzzy” is not among the 400,000 GloVe words"):
        bias.weat(real_glove, "john, paul", "amy, lisa", "office, qwxzzy", "home")
    with pytest.raises(InputError, match="at least one word"):
        bias.weat(real_glove, "john, paul", "amy, lisa", "", "home")
    kept = bias.weat(real_glove, "john, paul", "amy, lisa", "office, qwxzzy", "home",
                     skip_unknown=True)
    assert kept.dropped == ["qwxzzy"]


def test_pronoun_probabilities_equal_a_plain_forward(store):
    from lmlab import bias

    loaded = store.get("tiny/gpt2", "inspect")
    rows = bias.pronoun_probabilities(loaded, "The {occupation} said that", "king, dog")
    tok = loaded.tokenizer
    for row in rows:
        ids = list(tok(row.prompt)["input_ids"])
        for pronoun, got in (("he", row.first), ("she", row.second)):
            cont = list(tok(" " + pronoun, add_special_tokens=False)["input_ids"])
            assert got == pytest.approx(_full_forward_mass(loaded, ids, cont), rel=1e-5)
    with pytest.raises(InputError, match="needs \\{occupation\\}"):
        bias.pronoun_probabilities(loaded, "The doctor said that", "king")


# ---------------------------------------------------------------- compute

def test_compute_counts_tied_weights_once_and_scales_by_parameters(store):
    from lmlab import compute

    loaded = store.get("tiny/gpt2", "inspect")
    model = loaded.model
    by_name = dict(model.named_parameters(remove_duplicate=False))
    distinct = {id(p): p.numel() for p in by_name.values()}
    cost = compute.model_cost(loaded)
    assert cost.parameters == sum(distinct.values())
    assert cost.parameters < sum(p.numel() for p in by_name.values())  # the head is tied
    assert cost.weight_bytes == 4 * cost.parameters and cost.dtype == "float32"
    assert cost.flops_per_token == 2 * cost.parameters
    assert (cost.layers, cost.width) == (2, 32)
    assert compute.memory_bytes(70e9)["float16"] == 140e9
    speed = compute.measure_speed(loaded, 8)
    assert 1 <= speed.tokens <= 8 and speed.tokens_per_second > 0
    rows = compute.scaled(cost, speed)
    assert [r.name for r in rows][1:] == ["GPT-2 (124M)", "GPT-3 (175B)", "Llama 2 70B"]
    assert rows[0].seconds_per_token == pytest.approx(1 / speed.tokens_per_second)
    # At one FLOP rate, seconds per token grow in proportion to the parameters.
    assert rows[2].seconds_per_token / rows[1].seconds_per_token == pytest.approx(175e9 / 124e6)
    assert rows[2].training_flops == pytest.approx(6 * 175e9 * 300e9)
    with pytest.raises(InputError, match="between 1 and"):
        compute.measure_speed(loaded, 0)


# ---------------------------------------------------------------- question answering

def test_best_span_on_constructed_probabilities():
    from lmlab import qa

    start = torch.tensor([0.1, 0.6, 0.1, 0.1, 0.1])
    end = torch.tensor([0.5, 0.05, 0.05, 0.3, 0.1])  # the best end (0) is before the best start
    assert qa.best_span(start, end) == (1, 3)  # start <= end: 0.6 * 0.3
    assert qa.best_span(start, end, max_len=2) == (0, 0)  # at most 2 tokens: 0.1 * 0.5 > 0.6 * 0.05
    assert qa.best_span(torch.tensor([1.0]), torch.tensor([1.0])) == (0, 0)


def test_extractive_answer_maps_back_to_the_context(store, tiny_distilbert):
    from lmlab import qa

    loaded = store.get("tiny/distilbert-squad", "inspect")
    context = "the king and a queen ruled the land . the cat sat on the mat ."
    span = qa.extract_answer(loaded, "who ruled the land ?", context)
    assert span.answer == context[span.start_char:span.end_char] and span.answer
    assert "".join(span.tokens) == context  # the pieces cover the context exactly
    assert sum(span.start_probs) == pytest.approx(1.0) and sum(span.end_probs) == pytest.approx(1.0)
    assert span.start_token <= span.end_token
    assert span.start_prob == pytest.approx(span.start_probs[span.start_token])
    # No other allowed span scores higher.
    best = max(span.start_probs[i] * span.end_probs[j] for i in range(len(span.tokens))
               for j in range(i, min(len(span.tokens), i + qa.MAX_ANSWER_TOKENS)))
    assert span.score == pytest.approx(best)


@pytest.mark.parametrize("question, context, message", [
    ("who?", "", "paste a context"), ("", "the cat sat", "type a question"),
    ("what did the cat do on the mat today?", "the cat sat", "longer than the context")])
def test_bad_qa_inputs_give_one_sentence(tiny_llama, question, context, message):
    from lmlab import qa

    with pytest.raises(InputError, match=message):
        qa.generate_answer(tiny_llama, question, context)


def test_generated_answer_saliency_covers_the_context(store):
    from lmlab import qa

    loaded = store.get("tiny/llama-chat", "inspect")
    context = "the king and a queen ruled the land ."
    result = qa.generate_answer(loaded, "who ruled ?", context)
    assert "".join(result.tokens) == context
    assert sum(result.saliency) == pytest.approx(1.0) and min(result.saliency) >= 0
    assert context in result.prompt and "who ruled ?" in result.prompt
