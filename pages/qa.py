"""Question answering from a context: an extractive model's answer span with its start/end
probabilities, or the instruct model's answer with the context coloured by saliency."""

import pandas as pd
import streamlit as st

from components import url_state, working_text
from components.downloads import csv_button
from components.errors import shown_errors
from components.hub_models import hub_model_loaded, hub_model_settings
from components.i18n import t, tm
from components.lessons import show_lesson
from components.memo import peek, session_memo
from components.navigation import use_router
from components.quiz import offer
from components.sidebar import model_picker
from lmlab import qa
from lmlab.quiz_applications import most_salient_token
from lmlab.viz.applications import token_weights_html
from lmlab.viz.tokens import visible_token

# This page's widget and session keys (keys shared between pages live in components.state).
QA_CONTEXT = "qa_context"
QA_QUESTION = "qa_question"
QA_EXTRACTIVE_MODEL = "qa_extractive_model"
QA_GENERATE = "qa_generate"

use_router()

CONTEXT = ("The Eiffel Tower was built for the 1889 World's Fair in Paris. It was designed by "
           "the engineering company of Gustave Eiffel and is 330 metres tall. For 41 years it "
           "was the tallest man-made structure in the world.")
QUESTION = "Who designed the Eiffel Tower?"


def bind_settings() -> url_state.PageURL:
    """?model=…&context=…&question=…&extractive=…: the view a link opens."""
    url = url_state.PageURL("qa")
    url.bind(working_text.model_setting("chat"),
             url_state.text("context", QA_CONTEXT, CONTEXT, max_chars=qa.MAX_CONTEXT_CHARS,
                            what="context"),
             url_state.text("question", QA_QUESTION, QUESTION, max_chars=qa.MAX_QUESTION_CHARS,
                            what="question"),
             *hub_model_settings("answer", "extractive", QA_EXTRACTIVE_MODEL,
                                 what="model for extractive answers"))
    return url


def extractive_tab(url: url_state.PageURL, question: str, context: str) -> None:
    chosen = hub_model_loaded("answer", url.label("extractive", t("Extractive model")),
                              QA_EXTRACTIVE_MODEL,
                              t("This model comes from the Hugging Face Hub, which is not "
                                "reachable here; the instruct-model tab works offline."),
                              purpose="inspect", disabled=url.locked("extractive"))
    if chosen is None:
        return
    spec, loaded = chosen
    model_id = spec.id
    with shown_errors():
        span = session_memo("qa_extractive", (model_id, question, context),
                            lambda: qa.extract_answer(loaded, question, context))
        c1, c2, c3 = st.columns(3)
        c1.metric(t("Answer"), span.answer or "—")
        c2.metric(t("P(start)"), f"{span.start_prob:.1%}")
        c3.metric(t("P(end)"), f"{span.end_prob:.1%}")
        weights = [s + e for s, e in zip(span.start_probs, span.end_probs)]
        marked = [span.start_token <= i <= span.end_token for i in range(len(span.tokens))]
        st.caption(t("Each context token shaded by P(start) + P(end); the answer span is "
                     "underlined."))
        st.html(token_weights_html(span.tokens, weights, marked))
        table = pd.DataFrame({t("token"): span.tokens, t("P(start)"): span.start_probs,
                              t("P(end)"): span.end_probs})
        st.dataframe(table, hide_index=True, width="stretch", height=260)
        csv_button(table, "qa_span", "qa_span_csv")


def generative_tab(loaded, question: str, context: str) -> None:
    st.caption(t("The instruct model writes an answer from the context; then each context token "
                 "is coloured by its saliency: gradient × input of the answer's log-probability "
                 "with respect to that token's embedding."))
    if loaded is None:
        return
    key = (loaded.spec.id, question, context)
    if st.button(t("Answer"), type="primary", key=QA_GENERATE) or peek("qa_generated", key):
        with shown_errors():
            with st.spinner(t("Generating the answer and its saliency…")):
                result = session_memo("qa_generated", key,
                                      lambda: qa.generate_answer(loaded, question, context))
            quiz = most_salient_token(result.tokens, result.saliency, visible_token)
            if quiz is not None:  # the end-of-page quiz, from these saliency values
                offer(quiz)
            st.markdown(f"**{t('Answer')}**")
            st.text(result.answer)  # model text, shown as plain text
            st.caption(t("Context tokens shaded by saliency ({method}); hover for the value.",
                         method=tm(result.method)))
            st.html(token_weights_html(result.tokens, result.saliency))
            with st.expander(t("The prompt the model read")):
                st.code(result.prompt, language=None)


st.title(f"❓ {t('Question answering')}")
show_lesson("qa")
url = bind_settings()
context = st.text_area(url.label("context", t("Context (up to {n} characters)",
                                              n=f"{qa.MAX_CONTEXT_CHARS:,}")),
                       height=140, **url.kw("context"))
question = st.text_input(url.label("question", t("Question")), **url.kw("question"))
gen_tab, span_tab = st.tabs([t("Instruct model (offline)"), t("Extractive model")])
with gen_tab:
    generative_tab(model_picker("chat", purpose="inspect"), question, context)
with span_tab:
    extractive_tab(url, question, context)
