"""Sentiment and text classification: zero-shot from a causal LM, a fine-tuned classifier,
and a classifier trained live on MiniLM sentence embeddings."""

import pandas as pd
import streamlit as st

from components import url_state, working_text
from components.downloads import csv_button
from components.errors import shown_errors, shown_result
from components.hub_models import hub_model_loaded, hub_model_settings
from components.i18n import labels as figure_texts, t
from components.lessons import show_lesson
from components.memo import session_memo
from components.model_cache import load_model
from components.navigation import use_router
from components.presenter import show_chart
from components.quiz import offer
from components.sidebar import model_picker
from lmlab import classify, embedding_classifier
from lmlab.quiz_applications import top_label
from lmlab.viz.applications import confusion_heatmap, probability_bars
from lmlab.viz.common import safe_texts

# This page's widget and session keys (keys shared between pages live in components.state).
CLS_TEXT = "classify_text"
CLS_LABELS = "classify_labels"
CLS_HUB_MODEL = "classify_hub_model"
CLS_HELD_OUT = "classify_held_out"
CLS_TRAIN = "classify_train"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"

use_router()

SAMPLE = "The soup was cold, but the waiter was so kind that we still had a lovely evening."
LABELS = "positive, negative, neutral"
MAX_LABELS_CHARS = 300


def bind_settings() -> url_state.PageURL:
    """?model=…&text=…&labels=…&classifier=…&held_out=…: the view a link opens."""
    url = url_state.PageURL("classify")
    url.bind(working_text.model_setting("generate"),
             url_state.text("text", CLS_TEXT, SAMPLE, max_chars=classify.MAX_TEXT_CHARS),
             url_state.checked(url_state.text("labels", CLS_LABELS, LABELS,
                                              max_chars=MAX_LABELS_CHARS, what="labels"),
                               classify.check_labels, what="labels"),
             url_state.number("held_out", CLS_HELD_OUT, 0.25, low=0.1, high=0.5,
                              what="held-out share", integer=False),
             *hub_model_settings("classify", "classifier", CLS_HUB_MODEL, what="classifier"))
    return url


def zero_shot_tab(url: url_state.PageURL, loaded, text: str) -> None:
    st.caption(t("The text goes into a prompt that asks for one of the labels; each label is "
                 "scored by the probability the model gives it as the next tokens, then the "
                 "scores are renormalized over the labels so they sum to 1."))
    labels = st.text_input(url.label("labels", t("Labels (comma-separated)")),
                           **url.kw("labels"))
    if loaded is None:
        return
    with shown_errors():
        result = session_memo("classify_zero_shot", (loaded.spec.id, text, labels),
                              lambda: classify.zero_shot(loaded, text, labels))
        quiz = top_label(result.labels, result.probs)
        if quiz is not None:  # the end-of-page quiz, from these probabilities
            offer(quiz)
        best = safe_texts([result.best])[0]
        show_chart(st, probability_bars(result.labels, result.probs,
                                        f"{loaded.spec.name}: “{best}”", texts=figure_texts()),
                   width="stretch", key="classify_zero_shot_chart")
        table = pd.DataFrame({t("label"): result.labels, t("renormalized"): result.probs,
                              t("P(label | prompt)"): result.label_mass,
                              t("continuations scored"): [" + ".join(v) for v in result.variants]})
        st.dataframe(table, hide_index=True, width="stretch")
        csv_button(table, "zero_shot", "classify_zero_shot_csv")
        st.caption(t("Of all the model's probability for its next token, {share} went to the "
                     "labels.", share=f"{sum(result.label_mass):.1%}"))
        with st.expander(t("The prompt the model read")):
            st.code(result.prompt, language=None)


def finetuned_tab(url: url_state.PageURL, text: str) -> None:
    chosen = hub_model_loaded("classify", url.label("classifier", t("Classifier")), CLS_HUB_MODEL,
                              t("This classifier comes from the Hugging Face Hub, which is not "
                                "reachable here; the zero-shot and MiniLM tabs work offline."),
                              disabled=url.locked("classifier"))
    if chosen is None:
        return
    spec, loaded = chosen
    model_id = spec.id
    with shown_errors():
        result = session_memo("classify_finetuned", (model_id, text),
                              lambda: classify.classify_finetuned(loaded, text))
        best = safe_texts([result.best])[0]
        show_chart(st, probability_bars(result.labels, result.probs, f"{spec.name}: “{best}”",
                                        texts=figure_texts()),
                   width="stretch", key="classify_finetuned_chart")


def minilm_tab(url: url_state.PageURL, text: str) -> None:
    examples = embedding_classifier.load_examples()
    counts = pd.Series([e.label for e in examples]).value_counts().to_dict()
    st.caption(t("A logistic regression learns from MiniLM sentence embeddings of LM Lab's own "
                 "{n} labelled sentences ({counts}); the held-out part is never seen in "
                 "training.", n=len(examples),
                 counts=", ".join(f"{t(k)} {v}" for k, v in sorted(counts.items()))))
    held_out = st.slider(url.label("held_out", t("Held-out share")), 0.1, 0.5, step=0.05,
                         **url.kw("held_out"))
    encoder = load_model(MINILM)
    if encoder is None:
        return
    with st.spinner(t("Embedding the sentences and training…")):
        trained = shown_result(lambda: session_memo(
            "classify_minilm", held_out,
            lambda: embedding_classifier.train(encoder, examples, held_out)))
    if trained is None:
        return
    left, right = st.columns(2)
    left.metric(t("Held-out accuracy"), f"{trained.accuracy:.1%}",
                t("{held_out} held out · {trained} trained on", held_out=len(trained.test),
                  trained=trained.train_size), delta_color="off", delta_arrow="off")
    with left, shown_errors():  # a bad text costs its own chart, not the held-out results
        result = embedding_classifier.predict(trained, encoder, text)
        show_chart(left, probability_bars([t(k) for k in result.labels], result.probs,
                                          f"“{t(result.best)}”", texts=figure_texts()),
                   width="stretch", key="classify_minilm_chart")
    show_chart(right, confusion_heatmap(trained.confusion, [t(k) for k in trained.labels],
                                        t("Held-out confusion matrix"), texts=figure_texts()),
               width="stretch", key="classify_confusion_chart")
    wrong = pd.DataFrame([(e.text, t(e.label), t(p))
                          for e, p in zip(trained.test, trained.predicted) if e.label != p],
                         columns=[t("sentence"), t("true label"), t("predicted label")])
    st.caption(t("Held-out sentences it got wrong: {n}", n=len(wrong)))
    st.dataframe(wrong, hide_index=True, width="stretch")
    csv_button(wrong, "minilm_errors", "classify_minilm_csv")


st.title(f"😊 {t('Sentiment')}")
show_lesson("classify")
url = bind_settings()
loaded = model_picker("generate")
text = st.text_area(url.label("text", t("Text to classify (up to {n} characters)",
                                        n=f"{classify.MAX_TEXT_CHARS:,}")),
                    height=100, **url.kw("text"))
zero_tab, hub_tab, minilm = st.tabs([t("Zero-shot (language model)"), t("Fine-tuned classifier"),
                                     t("Trained live on MiniLM")])
with zero_tab:
    zero_shot_tab(url, loaded, text)
with hub_tab:
    finetuned_tab(url, text)
with minilm:
    minilm_tab(url, text)
