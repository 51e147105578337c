"""GloVe: arithmetic on the real 400k GloVe vectors, and GloVe trained from scratch."""

import hashlib

import pandas as pd
import streamlit as st

from components.analogy_view import analogy_benchmark
from components.navigation import use_router
from components.memo import session_memo
from components.errors import shown_errors, shown_result
from components.i18n import t
from components import url_state
from components.lessons import show_lesson
from components.presenter import show_chart
from components.model_cache import load_model
from lmlab import glove_training, word_arithmetic
from lmlab.embeddings import project
from lmlab.viz.embeddings import (cooccurrence_heatmap, loss_curve, neighbour_bars,
                                  projection_scatter, vector_bars, weighting_curve)

# This page's widget and session keys (keys shared between pages live in components.state).
GLOVE_EXAMPLE = "glove_example"
GLOVE_EXPR = "glove_expr"
GLOVE_TOPK = "glove_topk"
GLOVE_NEIGHBOUR_WORD = "glove_neighbour_word"
GLOVE_SIM_A = "glove_sim_a"
GLOVE_SIM_B = "glove_sim_b"
GLOVE_CORPUS = "glove_corpus"
GLOVE_CORPUS_TEXT = "glove_corpus_text"
GLOVE_WINDOW = "glove_window"
GLOVE_DISTANCE = "glove_distance"
GLOVE_VOCAB = "glove_vocab"
GLOVE_SHOW_WORDS = "glove_show_words"
GLOVE_XMAX = "glove_xmax"
GLOVE_ALPHA = "glove_alpha"
GLOVE_DIM = "glove_dim"
GLOVE_EPOCHS = "glove_epochs"
GLOVE_OPTIMIZER = "glove_optimizer"
GLOVE_LR = "glove_lr"
GLOVE_TRAIN = "glove_train"
GLOVE_TRAINED = "glove_trained"  # the last training result of this session
GLOVE_PROBE = "glove_probe"


use_router()

EXAMPLES = {
    "king - man + woman": "royalty: the classic analogy",
    "paris - france + italy": "capitals",
    "walked - walk + swim": "verb tenses",
    "bigger - big + small": "comparatives",
    "tokyo - japan + germany": "capitals",
    "doctor - man + woman": "bias: what the corpus taught about gender",
    "programmer - man + woman": "bias: what the corpus taught about gender",
}
TYPE_OWN = "Type your own text"


def _set_example() -> None:
    st.session_state[GLOVE_EXPR] = st.session_state[GLOVE_EXAMPLE]


def calculator(vectors) -> None:
    st.markdown(t("**{n} words × {dim} dimensions.** Type an expression of words joined by "
                  "+ and − (a number before a word weighs it). The answers are the words "
                  "whose vectors point closest to the result (cosine similarity); the "
                  "words you typed are left out.",
                  n=f"{len(vectors.words):,}", dim=vectors.dim))
    url.bind(url_state.text("expr", GLOVE_EXPR, "king - man + woman",
                            max_chars=word_arithmetic.MAX_EXPRESSION_CHARS, what="expression"),
             url_state.number("answers", GLOVE_TOPK, 10, low=1, high=word_arithmetic.MAX_TOP_K,
                              what="number of answers"),
             url_state.text("word", GLOVE_NEIGHBOUR_WORD, "frog", max_chars=60, what="word"),
             url_state.text("a", GLOVE_SIM_A, "cat", max_chars=60, what="first word"),
             url_state.text("b", GLOVE_SIM_B, "dog", max_chars=60, what="second word"))
    col1, col2, col3 = st.columns([3, 2, 1])
    col2.selectbox(t("Examples"), list(EXAMPLES), key=GLOVE_EXAMPLE,
                   format_func=lambda e: f"{e}  ({t(EXAMPLES[e])})", on_change=_set_example)
    expression = col1.text_input(t("Expression"), key=GLOVE_EXPR, disabled=url.locked("expr"))
    k = col3.number_input(t("Answers"), 1, word_arithmetic.MAX_TOP_K, 10, key=GLOVE_TOPK,
                          disabled=url.locked("answers"))
    answers = shown_result(lambda: word_arithmetic.evaluate(vectors, expression, int(k)))
    if answers is None:
        return
    terms = word_arithmetic.parse_expression(expression)  # evaluate() has checked it
    with st.container(key="glove_answers"):
        left, right = st.columns([2, 3])
        left.dataframe(pd.DataFrame([(a.word, round(a.cosine, 4)) for a in answers],
                                    columns=["word", "cosine"]), hide_index=True, width="stretch")
        show_chart(right, neighbour_bars([a.word for a in answers], [a.cosine for a in answers],
                                          f"{expression.strip()} ≈ {answers[0].word}"),
                           width="stretch", key="glove_answer_chart")
    words = list(dict.fromkeys([term.word for term in terms] + [answers[0].word]))[:6]
    rows = vectors.vectors[[vectors.index[w] for w in words]]
    show_chart(st, vector_bars(words, rows, f"The {vectors.dim} numbers of each word "
                                "(raw GloVe vectors)"), width="stretch", key="glove_vector_bars")

    st.subheader(t("Nearest neighbours"))
    n1, n2 = st.columns([1, 2])
    word = n1.text_input(t("Word"), "frog", key=GLOVE_NEIGHBOUR_WORD, disabled=url.locked("word"))
    with n2, shown_errors():
        near = word_arithmetic.nearest(vectors, word, 10)
        show_chart(n2, neighbour_bars([n.word for n in near], [n.cosine for n in near],
                                       f"Closest to “{word.strip().lower()}”"), width="stretch",
                       key="glove_neighbour_chart")

    st.subheader(t("Similarity of two words"))
    s1, s2, s3 = st.columns(3)
    a = s1.text_input(t("First word"), "cat", key=GLOVE_SIM_A, disabled=url.locked("a"))
    b = s2.text_input(t("Second word"), "dog", key=GLOVE_SIM_B, disabled=url.locked("b"))
    with s3, shown_errors():
        s3.metric(t("cosine similarity"), f"{word_arithmetic.similarity(vectors, a, b):.3f}")


def _corpus_text() -> tuple[str, str]:
    corpora = glove_training.sample_corpora()
    choice = st.radio(t("Corpus"), [*corpora, TYPE_OWN], key=GLOVE_CORPUS, horizontal=True,
                      format_func=t)
    if choice == TYPE_OWN:
        text = st.text_area(t("Your corpus (up to {max_corpus_chars} characters; a window never "
                              "crosses a line break)",
                              max_corpus_chars=f"{glove_training.MAX_CORPUS_CHARS:,}"), height=160,
                            key=GLOVE_CORPUS_TEXT,
                            value="the cat sat on the mat\nthe dog sat on the rug\n")
        return choice, text
    return choice, corpora[choice].read_text(encoding="utf-8")


def _counts(text: str, window: int, weighted: bool, vocab_cap: int):
    """Co-occurrence counts, kept per session for the same corpus and settings."""
    digest = hashlib.sha1(text.encode()).hexdigest()
    key = (digest, window, weighted, vocab_cap)

    def count():
        lines = glove_training.tokenize_corpus(text)
        vocab = glove_training.build_vocabulary(lines, vocab_cap)
        return lines, vocab, glove_training.cooccurrence(lines, vocab, window, weighted)

    return session_memo("glove_counts", key, count)


def from_scratch() -> None:
    name, text = _corpus_text()
    c1, c2, c3 = st.columns(3)
    window = c1.slider(t("Window (words each side)"), 1, 10, 5, key=GLOVE_WINDOW)
    weighted = c2.checkbox(t("Weight by 1 / distance"), True, key=GLOVE_DISTANCE)
    vocab_cap = c3.slider(t("Vocabulary: most frequent words kept"), 20, glove_training.MAX_TRAIN_VOCAB,
                          1000, 20, key=GLOVE_VOCAB)
    counts = shown_result(lambda: _counts(text, window, weighted, vocab_cap))
    if counts is None:
        return
    lines, vocab, X = counts
    stats = glove_training.corpus_stats(lines)
    st.caption(t("Words: {tokens} · lines: {lines} · distinct: {distinct} · kept: {n} · "
                 "non-zero X_ij: {int}.",
                 tokens=f"{stats['tokens']:,}", lines=f"{stats['lines']:,}", distinct=f"{stats['distinct']:,}", n=f"{len(vocab):,}", int=f"{int((X > 0).sum()):,}"))
    if vocab.dropped:
        st.info(t("{dropped} rarer words are left out of the vocabulary (cap: "
                  "{vocab_cap}); they still take up room in the window.",
                  dropped=f"{vocab.dropped:,}", vocab_cap=f"{vocab_cap:,}"))
    most = min(40, len(vocab))  # a slider needs a maximum above its minimum of 5
    show = most if most <= 5 else st.slider(t("Words in the heatmap (most frequent first)"),
                                            5, most, min(20, most), key=GLOVE_SHOW_WORDS)
    show_chart(st, cooccurrence_heatmap(X, vocab.words[:show],
                                         f"X: how often each word appears near each other word "
                                         f"(window {window}{', 1/distance' if weighted else ''})"),
                    width="stretch", key="glove_cooc_chart")

    st.subheader(t("Weighting and training"))
    w1, w2 = st.columns([1, 2])
    with w1:
        x_max = st.number_input(t("x_max"), 1.0, 1000.0, 10.0, 1.0, key=GLOVE_XMAX)
        alpha = st.slider(t("alpha"), 0.05, 1.5, 0.75, 0.05, key=GLOVE_ALPHA)
        dim = st.slider(t("Vector size"), 2, 100, 10, key=GLOVE_DIM)
        epochs = st.slider(t("Epochs"), 1, 500, 50, key=GLOVE_EPOCHS)
        optimizer = st.radio(t("Optimizer"), ["adagrad", "adam"], horizontal=True,
                             format_func=lambda k: t({"adagrad": "AdaGrad", "adam": "Adam"}[k]),
                             key=GLOVE_OPTIMIZER)
        lr = st.number_input(t("Learning rate"), 0.001, 1.0, 0.1 if optimizer == "adagrad" else 0.03,
                             0.01, format="%.3f", key=GLOVE_LR)
        run = st.button(t("Train GloVe"), type="primary", key=GLOVE_TRAIN)
    show_chart(w2, weighting_curve(x_max, alpha, max(2 * x_max, float(X.max()))), width="stretch",
                  key="glove_weighting_chart")

    if run:
        config = glove_training.GloveConfig(dim=dim, epochs=epochs, x_max=x_max, alpha=alpha,
                                            optimizer=optimizer, learning_rate=lr)
        _train_live(name, X, vocab, config)

    trained = st.session_state.get(GLOVE_TRAINED)
    if trained and trained["result"].words == vocab.words:
        _show_trained(trained["corpus"], trained["result"])
    elif trained:
        st.caption(t("The corpus or vocabulary changed since the last training: train again."))


def _train_live(name: str, X, vocab, config) -> None:
    """Train GloVe in this script run, drawing the loss between epochs; keep the result."""
    epochs = config.epochs
    bar = st.progress(0.0, text=t("Starting…"))
    chart = st.empty()
    history: list[float] = []
    every = max(1, epochs // 40)

    def progress(epoch: int, total: int, loss: float) -> None:
        # Called in this script run between epochs: safe to draw here.
        history.append(loss)
        bar.progress(epoch / total, text=t("Epoch {epoch}/{total} · J = {loss}",
                                           epoch=epoch, total=total, loss=f"{loss:,.2f}"))
        if epoch % every == 0 or epoch == total:
            show_chart(chart, loss_curve(history, total), width="stretch",
                               key=f"glove_live_loss_{epoch}")

    result = shown_result(lambda: glove_training.train_glove(X, vocab.words, config, progress))
    if result is None:
        return
    chart.empty()
    bar.empty()
    st.session_state[GLOVE_TRAINED] = {"corpus": name, "result": result}


def _show_trained(name: str, result: glove_training.GloveResult) -> None:
    with st.container(key="glove_trained_box"):
        st.success(t("Trained on “{name}”: J went from {initial_loss} to {final_loss} in "
                     "{epochs} epochs ({seconds} s). Each word's final vector is w + w̃.",
                     name=name, initial_loss=f"{result.initial_loss:,.2f}", final_loss=f"{result.final_loss:,.2f}", epochs=result.config.epochs, seconds=f"{result.seconds:.2f}"))
        left, right = st.columns(2)
        show_chart(left, loss_curve(result.loss_history, result.config.epochs), width="stretch",
                          key="glove_loss_chart")
        top = result.words[:min(80, len(result.words))]
        if len(top) >= 3:
            coords = project(result.vectors[:len(top)], "pca", 2)
            show_chart(right, projection_scatter(coords, top, ["word"] * len(top),
                                                  t("The {n} most frequent words (PCA)", n=len(top))),
                               width="stretch", key="glove_trained_map")
        choices = result.words[:300]
        if st.session_state.get(GLOVE_PROBE) not in choices:
            st.session_state[GLOVE_PROBE] = "apple" if "apple" in choices else choices[0]
        probe = st.selectbox(t("Nearest neighbours in the trained vectors"), choices,
                             key=GLOVE_PROBE)
        near = glove_training.small_neighbours(result.vectors, result.words, probe, 8)
        st.dataframe(pd.DataFrame([(n.word, round(n.cosine, 3)) for n in near],
                                  columns=[t("word"), t("cosine")]), hide_index=True)


st.title(f"➕ {t('GloVe')}")
show_lesson("glove")
url = url_state.PageURL("glove")  # ?expr=…&answers=…&word=…&a=…&b=…
calc_tab, eval_tab, scratch_tab = st.tabs([t("Calculator on real GloVe"),
                                           t("Analogy test set"), t("GloVe from scratch")])
with calc_tab:
    loaded = load_model("glove-6B-50d")
    if loaded is not None:
        with shown_errors():
            calculator(loaded.model)
with eval_tab:
    if loaded is not None:
        analogy_benchmark(loaded.model)
with scratch_tab:
    with shown_errors():
        from_scratch()
