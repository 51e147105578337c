"""GloVe: the expression parser, queries on word vectors, co-occurrence counts, training."""

import inspect
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from lmlab import glove_training, int8_scores, word_arithmetic
from lmlab.errors import InputError
from lmlab.registry import get_spec
from lmlab.sources import offline_available
from lmlab.wordvectors import WordVectors


@pytest.fixture(scope="module")
def toy_vectors() -> WordVectors:
    # Axes: royalty, maleness, femaleness. king - man + woman lands on queen.
    words = ["king", "queen", "man", "woman", "apple", "prince", "queens"]
    vecs = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1], [-1, 0, 0.1],
                     [0.9, 1.1, 0], [1, 0.1, 1]], dtype=np.float32)
    return WordVectors.from_arrays(words, vecs)


@pytest.fixture(scope="module")
def real_glove() -> WordVectors:
    if not offline_available(get_spec("glove-6B-50d")):
        pytest.skip("offline GloVe package not installed")
    from lmlab.loading import ModelStore

    return ModelStore(device="cpu").get("glove-6B-50d").model


# ---------------------------------------------------------------- parser

def test_parser_reads_words_numbers_and_signs():
    terms = word_arithmetic.parse_expression("King − man + 0.5 woman")
    assert terms == [word_arithmetic.Term(1.0, "king"), word_arithmetic.Term(-1.0, "man"), word_arithmetic.Term(0.5, "woman")]
    assert word_arithmetic.parse_expression("-man") == [word_arithmetic.Term(-1.0, "man")]
    assert word_arithmetic.parse_expression("2 paris - 1.5 france") == [word_arithmetic.Term(2.0, "paris"),
                                                              word_arithmetic.Term(-1.5, "france")]


@pytest.mark.parametrize("text", [
    "king * 2", "king; import os", "__import__('os')", "king / man", "(king)", "king = queen",
    "king + <script>", "king,queen", "os.system", "", "   ", "king +", "+ + king", "2", "3 4 king",
    "king man", "1e5 king", "king @ man",
])
def test_parser_rejects_anything_but_words_numbers_and_signs(text):
    with pytest.raises(InputError) as info:
        word_arithmetic.parse_expression(text)
    message = str(info.value)
    assert message and "\n" not in message


def test_parser_never_evaluates_code():
    source = inspect.getsource(word_arithmetic)
    assert "eval(" not in source and "exec(" not in source


def test_too_many_terms_and_too_long_are_refused():
    with pytest.raises(InputError, match="limit"):
        word_arithmetic.parse_expression(" + ".join(["king"] * (word_arithmetic.MAX_TERMS + 1)))
    with pytest.raises(InputError, match="characters"):
        word_arithmetic.parse_expression("a" * (word_arithmetic.MAX_EXPRESSION_CHARS + 1))


# ---------------------------------------------------------------- queries

def test_analogy_on_hand_made_vectors(toy_vectors):
    answers = word_arithmetic.evaluate(toy_vectors, "king - man + woman", k=3)
    assert answers[0].word == "queen"
    assert {"king", "man", "woman"}.isdisjoint(a.word for a in answers)
    assert word_arithmetic.analogy(toy_vectors, "man", "king", "woman", k=1)[0].word == "queen"
    # The score is the cosine between the query and the answer, computed by hand.
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    v = toy_vectors.vectors
    q = unit(v[0]) - unit(v[2]) + unit(v[3])
    assert answers[0].cosine == pytest.approx(float(unit(q) @ unit(v[1])), abs=1e-6)


@pytest.mark.parametrize("n_words, dim", [(3000, 16), (120_000, 8)])  # small: argpartition
def test_fast_query_matches_the_naive_full_sort(n_words, dim):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(n_words)]
    vectors = WordVectors.from_arrays(words, rng.standard_normal((n_words, dim)).astype(np.float32))
    fast = word_arithmetic.evaluate(vectors, "w1 - w2 + w3", k=20)
    slow = word_arithmetic.naive_evaluate(vectors, "w1 - w2 + w3", k=20)
    assert [n.word for n in fast] == [n.word for n in slow]
    assert np.allclose([n.cosine for n in fast], [n.cosine for n in slow], atol=1e-5)


@pytest.mark.parametrize("dim", [50, 100])
def test_int8_copy_finds_the_exact_top_k(dim):
    rng = np.random.default_rng(dim)
    n = int8_scores.MIN_ROWS + 1234
    raw = rng.standard_normal((n, dim)).astype(np.float32)
    raw[n // 2] = raw[7]  # a tie, found by both paths
    vectors = WordVectors.from_arrays([f"w{i}" for i in range(n)], raw)
    assert vectors.int8 is not None and vectors.int8.n_rows == n  # the last block part-filled
    assert n % int8_scores.BLOCK != 0
    for trial in range(20):
        q = vectors.unit[7] + 0.3 * rng.standard_normal(dim).astype(np.float32)
        q /= np.linalg.norm(q)
        approx = int8_scores.approx_scores(vectors.int8, q, np.empty(n, np.float32))
        assert np.abs(approx - vectors.unit @ q).max() <= int8_scores.error_bound(vectors.int8, q)
        exclude = set(rng.choice(n, trial % 4, replace=False).tolist())
        k = 1 + 7 * trial % word_arithmetic.MAX_TOP_K
        fast = word_arithmetic.top_k(vectors.unit, q, k, exclude, vectors.int8)
        exact = word_arithmetic.top_k(vectors.unit, q, k, exclude)  # float32, every row
        assert {i for i, _ in fast} == {i for i, _ in exact} and not exclude & {i for i, _ in fast}
        assert np.allclose([s for _, s in fast], [s for _, s in exact], atol=1e-6)
        assert all(a >= b for (_, a), (_, b) in zip(fast, fast[1:]))


def test_a_class_querying_at_once_gets_each_its_own_answer():
    rng = np.random.default_rng(1)
    n = int8_scores.MIN_ROWS
    vectors = WordVectors.from_arrays([f"w{i}" for i in range(n)],
                                      rng.standard_normal((n, 50)).astype(np.float32))
    expressions = [f"w{i} - w{i + 1} + w{i + 2}" for i in range(0, 24, 3)]
    alone = {e: word_arithmetic.evaluate(vectors, e, 10) for e in expressions}
    barrier = threading.Barrier(len(expressions))

    def student(expression):  # every thread shares the int8 copy, each has its own scores
        barrier.wait()
        return [word_arithmetic.evaluate(vectors, expression, 10) for _ in range(20)]

    with ThreadPoolExecutor(len(expressions)) as pool:
        together = dict(zip(expressions, pool.map(student, expressions)))
    for expression, runs in together.items():
        assert all(run == alone[expression] for run in runs)


def test_small_vocabularies_keep_the_float32_path(toy_vectors):
    assert toy_vectors.int8 is None


@pytest.mark.parametrize("want", [1, 13, 60])
def test_top_candidates_hold_the_true_top_scores(want):
    rng = np.random.default_rng(want)
    scores = rng.standard_normal(300_001).astype(np.float32)  # a tail after the last block
    scores[-1] = 10.0  # the best score sits in that tail
    truth = set(np.argsort(-scores)[:want].tolist())
    cands = word_arithmetic.top_candidates(scores, want)
    assert truth <= set(cands.tolist()) and len(cands) < 64 * want
    tied = np.zeros(300_000, dtype=np.float32)  # every score tied: the fallback answers
    assert len(word_arithmetic.top_candidates(tied, want)) == want


def test_nearest_and_similarity(toy_vectors):
    assert word_arithmetic.nearest(toy_vectors, "king", 1)[0].word == "prince"
    assert word_arithmetic.similarity(toy_vectors, "man", "woman") == pytest.approx(0.0, abs=1e-6)
    assert word_arithmetic.similarity(toy_vectors, "king", "KING ") == pytest.approx(1.0, abs=1e-6)


def test_unknown_word_gets_close_spellings(toy_vectors):
    with pytest.raises(InputError) as info:
        word_arithmetic.evaluate(toy_vectors, "qeen - man")
    assert "qeen" in str(info.value) and "queen" in str(info.value)


def test_a_swapped_letter_suggests_the_common_word_first():
    # Among words one typo away: same first letter first, then the commoner (rows are in
    # frequency order).
    words = ["the", "king", "sign", "kin", "kings", "skin"]
    vectors = WordVectors.from_arrays(words, np.eye(6, dtype=np.float32))
    assert word_arithmetic.suggest(vectors, "kign") == ["king", "kin", "sign"]
    assert word_arithmetic.suggest(vectors, "zzzzzz") == []


def test_words_that_cancel_out_get_a_sentence(toy_vectors):
    with pytest.raises(InputError, match="zero vector"):
        word_arithmetic.evaluate(toy_vectors, "king - king")


def test_k_out_of_range_is_refused(toy_vectors):
    with pytest.raises(InputError):
        word_arithmetic.evaluate(toy_vectors, "king", k=0)


def test_real_glove_answers_queen(real_glove):
    assert word_arithmetic.evaluate(real_glove, "king - man + woman", 5)[0].word == "queen"
    assert word_arithmetic.analogy(real_glove, "france", "paris", "italy", 1)[0].word == "rome"
    with pytest.raises(InputError, match="queen"):
        word_arithmetic.nearest(real_glove, "qeen")


# ---------------------------------------------------------------- co-occurrence

TEN = "the cat sat on the mat the dog sat down"


def test_cooccurrence_matches_a_hand_count():
    lines = glove_training.tokenize_corpus(TEN)
    assert sum(len(line) for line in lines) == 10
    vocab = glove_training.build_vocabulary(lines)
    X = glove_training.cooccurrence(lines, vocab, window=2, distance_weighting=True)
    at = lambda a, b: X[vocab.index[a], vocab.index[b]]  # noqa: E731
    # the@0-sat@2, sat@2-the@4, the@6-sat@8: three pairs at distance 2.
    assert at("the", "sat") == pytest.approx(1.5)
    assert at("the", "mat") == pytest.approx(2.0)  # the@4-mat@5, mat@5-the@6
    assert at("the", "the") == pytest.approx(1.0)  # the@4-the@6 at distance 2, both ways
    assert at("sat", "on") == pytest.approx(1.0)
    assert at("dog", "down") == pytest.approx(0.5)
    assert at("cat", "dog") == 0.0
    assert np.allclose(X, X.T)
    # 9 pairs at distance 1 and 8 at distance 2, each counted both ways.
    assert X.sum() == pytest.approx(2 * (9 * 1 + 8 * 0.5))
    flat = glove_training.cooccurrence(lines, vocab, window=2, distance_weighting=False)
    assert flat.sum() == pytest.approx(2 * (9 + 8))
    assert flat[vocab.index["the"], vocab.index["sat"]] == pytest.approx(3.0)


def test_windows_do_not_cross_lines_and_rare_words_keep_their_place():
    lines = glove_training.tokenize_corpus("a b\nc d")
    vocab = glove_training.build_vocabulary(lines)
    X = glove_training.cooccurrence(lines, vocab, window=5)
    assert X[vocab.index["b"], vocab.index["c"]] == 0.0
    vocab = glove_training.build_vocabulary(glove_training.tokenize_corpus("y y z z rare"), max_size=2)
    assert "rare" not in vocab.index and vocab.dropped == 1
    X = glove_training.cooccurrence(glove_training.tokenize_corpus("y rare z"), vocab, window=2)
    assert X[vocab.index["y"], vocab.index["z"]] == pytest.approx(0.5)  # still 2 apart


def test_weighting_function():
    f = glove_training.weighting(np.array([0.0, 50.0, 100.0, 400.0]), x_max=100, alpha=0.75)
    assert np.allclose(f, [0.0, 0.5 ** 0.75, 1.0, 1.0])


def test_bad_corpora_get_one_sentence():
    for text in ("", "   \n ", "word", "123 456"):
        with pytest.raises(InputError):
            glove_training.build_vocabulary(glove_training.tokenize_corpus(text))
    with pytest.raises(InputError):
        glove_training.tokenize_corpus("a " * glove_training.MAX_CORPUS_CHARS)


# ---------------------------------------------------------------- training

@pytest.fixture(scope="module")
def fruit_counts():
    text = glove_training.sample_corpora()["Toy corpus: fruit and vehicles"].read_text()
    lines = glove_training.tokenize_corpus(text)
    vocab = glove_training.build_vocabulary(lines)
    return vocab, glove_training.cooccurrence(lines, vocab, window=5)


def test_hand_written_gradients_match_autograd(fruit_counts):
    vocab, X = fruit_counts
    trainer = glove_training.GloveTrainer(X, glove_training.GloveConfig(dim=6, seed=3))
    for p in trainer.params:  # move off the zero biases so every term matters
        p.add_(0.1 * torch.randn_like(p))
    idx = torch.arange(trainer.entries)
    grads, loss = trainer.gradients(idx)
    grads = [g.clone() for g in grads]
    W, Wc, b, bc = (p.clone().requires_grad_(True) for p in trainer.params)
    i, j = trainer.i, trainer.j
    J = (trainer.f * ((W[i] * Wc[j]).sum(1) + b[i] + bc[j] - trainer.log_x) ** 2).sum()
    J.backward()
    assert loss == pytest.approx(J.item(), rel=1e-5)
    assert loss == pytest.approx(trainer.loss(), rel=1e-5)
    for mine, auto in zip(grads, (W.grad, Wc.grad, b.grad, bc.grad)):
        assert torch.allclose(mine, auto, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("optimizer, lr", [("adagrad", 0.1), ("adam", 0.03)])
def test_training_lowers_J_and_calls_progress(fruit_counts, optimizer, lr):
    vocab, X = fruit_counts
    seen = []
    result = glove_training.train_glove(X, vocab.words, glove_training.GloveConfig(
        dim=10, epochs=30, optimizer=optimizer, learning_rate=lr),
        progress=lambda e, n, loss: seen.append((e, n, loss)))
    assert [e for e, _, _ in seen] == list(range(1, 31)) and seen[0][1] == 30
    assert result.final_loss < 0.2 * result.initial_loss
    assert result.loss_history[-1] < result.loss_history[0]
    assert result.vectors.shape == (len(vocab), 10)


def test_related_words_end_up_closer_than_unrelated(fruit_counts):
    vocab, X = fruit_counts
    result = glove_training.train_glove(X, vocab.words, glove_training.GloveConfig(dim=10, epochs=50))
    fruit, vehicles = ["apple", "banana", "orange", "pear", "mango"], ["car", "truck", "bus",
                                                                     "van", "taxi"]
    cos = lambda a, b: glove_training.cosine_between(result.vectors, result.words, a, b)  # noqa: E731
    within = np.mean([cos(a, b) for group in (fruit, vehicles) for a in group for b in group
                      if a < b])
    across = np.mean([cos(a, b) for a in fruit for b in vehicles])
    assert within > across + 0.2


def test_final_vectors_are_w_plus_w_tilde_and_stop_works(fruit_counts):
    vocab, X = fruit_counts
    trainer = glove_training.GloveTrainer(X, glove_training.GloveConfig(dim=4, epochs=2))
    trainer.step()
    assert np.allclose(trainer.vectors(), (trainer.W + trainer.Wc).numpy())
    result = glove_training.train_glove(X, vocab.words, glove_training.GloveConfig(dim=4, epochs=20),
                               progress=lambda e, n, loss: e < 3)
    assert len(result.loss_history) == 3


def test_bad_training_settings_are_refused(fruit_counts):
    vocab, X = fruit_counts
    for config in (glove_training.GloveConfig(dim=1), glove_training.GloveConfig(epochs=0),
                   glove_training.GloveConfig(optimizer="sgd"), glove_training.GloveConfig(learning_rate=0)):
        with pytest.raises(InputError):
            glove_training.train_glove(X, vocab.words, config)
    with pytest.raises(InputError, match="co-occur"):
        glove_training.GloveTrainer(np.zeros((3, 3)), glove_training.GloveConfig())
