"""Sentiment and text classification: zero-shot from a causal LM, a fine-tuned classifier,
and a classifier trained live on MiniLM sentence embeddings."""

import pandas as pd
import streamlit as st

from components.errors import shown_errors
from components.hub_models import hub_model_choice
from components.i18n import t
from components.lessons import show_lesson
from components.memo import session_memo
from components.model_cache import load_model
from components.navigation import use_router
from components.sidebar import model_picker
from lmlab import classify, embedding_classifier
from lmlab.viz.applications import confusion_heatmap, probability_bars

# This page's widget and session keys (keys shared between pages live in components.state).
CLS_TEXT = "classify_text"
CLS_LABELS = "classify_labels"
CLS_HUB_MODEL = "classify_hub_model"
CLS_HELD_OUT = "classify_held_out"
CLS_TRAIN = "classify_train"
MINILM = "sentence-transformers/all-MiniLM-L6-v2"

use_router()

SAMPLE = "The soup was cold, but the waiter was so kind that we still had a lovely evening."


def zero_shot_tab(loaded, text: str) -> None:
    st.caption(t("The text goes into a prompt that asks for one of the labels; each label is "
                 "scored by the probability the model gives it as the next tokens, then the "
                 "scores are renormalized over the labels so they sum to 1."))
    labels = st.text_input(t("Labels (comma-separated)"), "positive, negative, neutral",
                           key=CLS_LABELS, max_chars=300)
    if loaded is None:
        return
    with shown_errors():
        result = session_memo("classify_zero_shot", (loaded.spec.id, text, labels),
                              lambda: classify.zero_shot(loaded, text, labels))
        st.plotly_chart(probability_bars(result.labels, result.probs,
                                         f"{loaded.spec.name}: “{result.best}”"),
                        width="stretch", key="classify_zero_shot_chart")
        table = pd.DataFrame({"label": result.labels, "renormalized": result.probs,
                              "P(label | prompt)": result.label_mass,
                              "continuations scored": [" + ".join(v) for v in result.variants]})
        st.dataframe(table, hide_index=True, width="stretch")
        st.download_button(t("Download CSV"), table.to_csv(index=False), "zero_shot.csv",
                           "text/csv", key="classify_zero_shot_csv")
        st.caption(t("Of all the model's probability for its next token, {share} went to the "
                     "labels.", share=f"{sum(result.label_mass):.1%}"))
        with st.expander(t("The prompt the model read")):
            st.code(result.prompt, language=None)


def finetuned_tab(text: str) -> None:
    spec = hub_model_choice("classify", t("Classifier"), CLS_HUB_MODEL, t(
        "This classifier comes from the Hugging Face Hub, which is not reachable "
        "here; the zero-shot and MiniLM tabs work offline."))
    if spec is None:
        return
    model_id = spec.id
    loaded = load_model(model_id)
    if loaded is None:
        return
    with shown_errors():
        result = session_memo("classify_finetuned", (model_id, text),
                              lambda: classify.classify_finetuned(loaded, text))
        st.plotly_chart(probability_bars(result.labels, result.probs,
                                         f"{spec.name}: “{result.best}”"),
                        width="stretch", key="classify_finetuned_chart")


def minilm_tab(text: str) -> None:
    examples = embedding_classifier.load_examples()
    counts = pd.Series([e.label for e in examples]).value_counts().to_dict()
    st.caption(t("A logistic regression learns from MiniLM sentence embeddings of LM Lab's own "
                 "{n} labelled sentences ({counts}); the held-out part is never seen in "
                 "training.", n=len(examples),
                 counts=", ".join(f"{k} {v}" for k, v in sorted(counts.items()))))
    held_out = st.slider(t("Held-out share"), 0.1, 0.5, 0.25, 0.05, key=CLS_HELD_OUT)
    encoder = load_model(MINILM)
    if encoder is None:
        return
    with shown_errors():
        with st.spinner(t("Embedding the sentences and training…")):
            trained = session_memo("classify_minilm", held_out,
                                   lambda: embedding_classifier.train(encoder, examples, held_out))
        left, right = st.columns(2)
        left.metric(t("Held-out accuracy"), f"{trained.accuracy:.1%}",
                    f"{len(trained.test)} held out · {trained.train_size} trained on",
                    delta_color="off")
        result = embedding_classifier.predict(trained, encoder, text)
        left.plotly_chart(probability_bars(result.labels, result.probs, f"“{result.best}”"),
                          width="stretch", key="classify_minilm_chart")
        right.plotly_chart(confusion_heatmap(trained.confusion, trained.labels,
                                             "Held-out confusion matrix"),
                           width="stretch", key="classify_confusion_chart")
        wrong = pd.DataFrame([(e.text, e.label, p) for e, p in zip(trained.test, trained.predicted)
                              if e.label != p], columns=["sentence", "true", "predicted"])
        st.caption(t("Held-out sentences it got wrong: {n}", n=len(wrong)))
        st.dataframe(wrong, hide_index=True, width="stretch")
        st.download_button(t("Download CSV"), wrong.to_csv(index=False), "minilm_errors.csv",
                           "text/csv", key="classify_minilm_csv")


st.title(f"😊 {t('Sentiment')}")
show_lesson("classify")
loaded = model_picker("generate")
text = st.text_area(t("Text to classify (up to {n} characters)", n=f"{classify.MAX_TEXT_CHARS:,}"),
                    SAMPLE, key=CLS_TEXT, height=100, max_chars=classify.MAX_TEXT_CHARS)
zero_tab, hub_tab, minilm = st.tabs([t("Zero-shot (language model)"), t("Fine-tuned classifier"),
                                     t("Trained live on MiniLM")])
with zero_tab:
    zero_shot_tab(loaded, text)
with hub_tab:
    finetuned_tab(text)
with minilm:
    minilm_tab(text)
