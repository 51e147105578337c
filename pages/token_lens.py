"""Token probability lens: every token's probability, its surprisal, and the perplexity."""

import streamlit as st

from components.navigation import use_router
from components import url_state, working_text
from components.controls import busy_notice
from components.errors import shown_errors
from components.i18n import t, labels
from components.lessons import show_lesson
from components.quiz import offer
from lmlab.quiz_answers import most_surprising_token
from components.presenter import show_chart
from components.sidebar import model_picker
from components.token_view import show_token_chips
from lmlab.probability import MAX_LENS_TOKENS, score_text
from lmlab.viz.tokens import surprisal_figure, visible_token

# This page's widget and session keys (keys shared between pages live in components.state).
LENS_TEXT = "lens_text"
LENS_RUN = "lens_run"
LENS_OUTPUT = "lens_output"


use_router()

SAMPLE = ("The cat sat on the mat. Language models give every possible next token a "
          "probability, and surprising words get a low one: the cat sat on the refrigerator.")

st.title(f"🔎 {t('Token probabilities')}")
show_lesson("token_lens")
arrived = LENS_TEXT not in st.session_state  # a first visit, a link, or another page's text
url = url_state.PageURL("token_lens")  # ?model=…&text=…
url.bind(working_text.model_setting("generate"), working_text.text_setting(LENS_TEXT, SAMPLE))
loaded = model_picker("generate", purpose="inspect")
text = st.text_area(url.label("text", t("Text (up to {max_lens_tokens} tokens)",
                      max_lens_tokens=f"{MAX_LENS_TOKENS:,}")), height=120, **url.kw("text"))
run = st.button(t("Score"), type="primary", disabled=loaded is None, key=LENS_RUN)

saved = st.session_state.get(LENS_OUTPUT)
# A text that arrived (first visit, a shared link, another page) is scored at once.
first_visit = saved is None or (arrived and saved["text"] != text)
if loaded is not None and (run or first_visit):
    with shown_errors():
        on_wait = busy_notice()
        score = score_text(loaded, text, top_k=5, on_wait=on_wait)
        on_wait.clear()
        saved = {"text": text, "score": score, "model": loaded.spec.name}
        st.session_state[LENS_OUTPUT] = saved
if saved:
    score = saved["score"]
    if len(score.tokens) >= 2:
        offer(most_surprising_token(score.tokens, visible_token))  # the end-of-page quiz
    if saved["text"] != text:
        st.caption(t("Showing the last scored text; press Score for the new one."))
    m1, m2, m3 = st.columns(3)
    m1.metric(t("Perplexity"), f"{score.perplexity:,.2f}",
              help=t("exp(mean negative log-likelihood per token): the number of equally likely "
                   "choices the model was, on average, torn between."))
    m2.metric(t("Mean surprisal"), t("{value} bits/token", value=f"{score.mean_nll / 0.6931471805599453:.2f}"))
    m3.metric(t("Tokens scored"), f"{len(score.tokens):,}",
              help=t("Every token is scored, the first one after the model's start-of-text "
                     "token {token}, which its training documents begin with.",
                     token=score.first_token) if score.document_start
              else t("The first token has no context, so it gets no probability."))
    st.caption(t("Each token is coloured by the probability the model gave it after the tokens "
               "before it; hover a token for the model's top-5 guesses at that position."))
    show_token_chips(score.tokens, prefix=score.first_token)
    show_chart(st, surprisal_figure(score.tokens, labels=labels()), key="lens_surprisal")
    rows = [{"position": tok.index, "token": visible_token(tok.text), "probability": tok.prob,
             "surprisal (bits)": tok.surprisal_bits,
             "top-5": [f"\u2066{visible_token(x)}\u2069 {p:.1%}" for x, p in tok.top]}
            for tok in score.tokens]
    # A list column draws each guess as its own chip, left to right, and the left-to-right
    # isolate keeps a right-to-left token before its probability: in one text cell such a
    # token turned the whole cell around and scrambled the guesses.
    st.dataframe(rows, hide_index=True, key="lens_table",
                 column_config={"top-5": st.column_config.ListColumn("top-5", width="large")})
    if loaded is not None:  # how one token was predicted, in the logit lens and the flow view
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        # Look deeper reads the prediction of token i at position i - 1 of the text.
        by_index = {tok.index: tok for tok in score.tokens if tok.index >= 1}
        chosen = pick.selectbox(t("Token to look deeper at"), list(by_index),
                                index=len(by_index) - 1, key="lens_deeper_token",
                                format_func=lambda i: f"#{i} {visible_token(by_index[i].text)}")
        working_text.open_in("pages/interpret.py", working_text.open_in_label("Look deeper"),
                             text=saved["text"], key="lens_open_deeper", where=go,
                             position=chosen - 1, model=loaded.spec.id)
    st.caption(t("Scored by {model} (float32).", model=saved['model']))
