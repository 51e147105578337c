"""Next-token explorer: the model's top-k next tokens, reshaped live by temperature."""

from functools import partial

import streamlit as st

from components.navigation import use_router
from components import url_state, working_text
from components.controls import busy_notice
from components.memo import session_memo
from components.errors import shown_errors
from components.i18n import t, labels
from components.lessons import show_lesson
from components.quiz import offer
from lmlab.quiz_answers import greedy_next_token
from components.presenter import show_chart
from components.sidebar import model_picker
from lmlab.probability import prompt_next_logits, top_next_tokens
from lmlab.viz.tokens import next_token_bar, visible_token

# This page's widget and session keys (keys shared between pages live in components.state).
NEXT_PROMPT = "next_prompt"
NEXT_TEMPERATURE = "next_temperature"
NEXT_TOP_K = "next_top_k"
NEXT_CHART = "next_chart"
NEXT_LOGITS = "next_logits_cache"
NEXT_BACK = "next_back"
NEXT_PARTIAL = "next_partial"  # the part-of-a-character token a click could not append


use_router()

STEPS = "next_prompt_steps"  # earlier prompts, for Back

st.title(f"🎯 {t('Next token')}")
show_lesson("next_token")
url = url_state.PageURL("next_token")  # ?model=…&text=…&temperature=…&top_k=…
url.bind(working_text.model_setting("generate"),
         working_text.text_setting(NEXT_PROMPT, "The capital of France is"),
         url_state.number("temperature", NEXT_TEMPERATURE, 1.0, low=0.0, high=3.0,
                          what="temperature", integer=False),
         url_state.number("top_k", NEXT_TOP_K, 10, low=3, high=30, what="top-k"))
loaded = model_picker("generate", purpose="inspect")
steps: list[str] = st.session_state.setdefault(STEPS, [])


def append_token(text: str) -> None:
    """Runs before the script: the prompt widget can still be changed."""
    current = st.session_state.get(NEXT_PROMPT, "")
    steps.append(current)
    st.session_state[NEXT_PROMPT] = current + text


def append_choice(view, i: int) -> None:
    text = view.appendable(i)
    if text is None:
        st.session_state[NEXT_PARTIAL] = view.texts[i]
    else:
        append_token(text)


def on_chart_select(chart_key: str, view) -> None:
    points = st.session_state[chart_key].selection.get("points", [])
    if points:
        token_id = points[0].get("customdata")
        token_id = token_id[0] if isinstance(token_id, list) else token_id
        index = (view.token_ids.index(int(token_id)) if token_id is not None
                 else points[0]["point_index"])  # some plotly versions send only the index
        append_choice(view, index)


def go_back() -> None:
    if steps:
        st.session_state[NEXT_PROMPT] = steps.pop()


prompt = st.text_area(url.label("text", t("Prompt")), height=90, **url.kw("text"))
col1, col2 = st.columns(2)
temperature = col1.slider(url.label("temperature", t("Temperature")), 0.0, 3.0, 1.0, 0.05,
                          key=NEXT_TEMPERATURE, disabled=url.locked("temperature"),
                          help=t("softmax(logits / T): below 1 sharpens, above 1 flattens; 0 = greedy."))
top_k = col2.slider(url.label("top_k", t("Top-k shown")), 3, 30, 10, key=NEXT_TOP_K,
                    disabled=url.locked("top_k"))

def next_logits():
    on_wait = busy_notice()  # "another user is using the model" while it waits
    logits = prompt_next_logits(loaded, prompt, on_wait)
    on_wait.clear()
    return logits


if loaded is not None:
    with shown_errors():
        # One forward pass per prompt; moving the temperature slider only reshapes the softmax.
        logits = session_memo(NEXT_LOGITS, (loaded.spec.id, prompt), next_logits)
        view = top_next_tokens(loaded, logits, temperature, top_k)
        offer(greedy_next_token(view, logits, visible_token))  # the end-of-page quiz
        if temperature == 0:
            st.info(t("Temperature 0 puts all probability on the most likely token: this is greedy "
                    "decoding, and the entropy is 0 bits."))
        m1, m2, m3 = st.columns(3)
        m1.metric(t("Entropy"), t("{value} bits", value=f"{view.entropy_bits:.2f}"),
                  help=t("How uncertain the whole distribution is: 0 bits = certain."))
        m2.metric(t("Most likely"), visible_token(view.texts[0]), f"{view.probs[0]:.1%}",
                  delta_color="off", delta_arrow="off")
        m3.metric(t("Outside the top {top_k}", top_k=top_k), f"{view.rest:.1%}")
        chart_key = f"{NEXT_CHART}_{len(steps)}"  # a fresh selection after every step
        show_chart(st, next_token_bar(view, labels=labels()), key=chart_key, selection_mode="points",
                        on_select=partial(on_chart_select, chart_key, view))
        st.caption(t("Click a bar, or a button below, to append that token to the prompt and "
                   "step forward."))
        partial_token = st.session_state.pop(NEXT_PARTIAL, None)
        if partial_token is not None:
            st.info(t("{token} is only part of a character's bytes, and a text box cannot hold "
                      "part of a character; the model writes the rest with the next token.",
                      token=partial_token))
        buttons = st.columns(5)
        for i, text in enumerate(view.texts[:5]):
            whole = view.appendable(i) is not None
            buttons[i].button(f"➕ {visible_token(text)}", key=f"next_add_{i}",
                              on_click=append_choice, args=(view, i), width="stretch",
                              disabled=url.locked("text") or not whole,
                              help=None if whole else t("Only part of a character's bytes: it "
                                                        "cannot be typed alone."))
        back, to_attention, to_lens, to_deeper = st.columns(4)
        back.button(f"↩ {t('Back')}", on_click=go_back, disabled=not steps or url.locked("text"),
                    key=NEXT_BACK)
        # The same text in the other views: Attention opens on the last token.
        working_text.open_in("pages/attention.py", working_text.open_in_label("Attention"),
                             text=prompt, key="next_open_attention", where=to_attention,
                             position=-1, model=loaded.spec.id)
        working_text.open_in("pages/token_lens.py",
                             working_text.open_in_label("Token probabilities"),
                             text=prompt, key="next_open_lens", where=to_lens,
                             model=loaded.spec.id)
        working_text.open_in("pages/interpret.py", working_text.open_in_label("Look deeper"),
                             text=prompt, key="next_open_deeper", where=to_deeper,
                             position=-1, model=loaded.spec.id)
