"""Chat: streamed replies through the model's chat template, history per browser session."""

import streamlit as st

from components.navigation import use_router
from components.controls import busy_notice, stream_into_page
from components.errors import shown_errors
from components.i18n import t, tm
from components import url_state, working_text
from components.lessons import show_lesson
from components.sidebar import model_picker
from lmlab.markup import escape_markdown
from lmlab.chat import (DEFAULT_SYSTEM_PROMPT, MAX_MESSAGE_CHARS, MAX_SYSTEM_CHARS,
                        base_model_note, build_chat_prompt, small_model_note,
                        what_the_model_reads, chat_params, chat_stream,
                        check_message, check_system_prompt, has_chat_template)

# This page's widget and session keys (keys shared between pages live in components.state).
CHAT_HISTORY = "chat_history"
CHAT_SYSTEM = "chat_system_prompt"
CHAT_INPUT = "chat_input"
EMPTY_REPLY = ("The model ended this reply without writing any visible text. Press Regenerate "
               "to sample another reply.")
CHAT_PENDING = "chat_pending_reply"
CHAT_STOP = "chat_stop"
CHAT_REGENERATE = "chat_regenerate"
CHAT_CLEAR = "chat_clear"
CHAT_NOTICE = "chat_notice"
CHAT_MAX_NEW_TOKENS = "chat_max_new_tokens"
CHAT_TEMPERATURE = "chat_temperature"


use_router()

st.title(f"💬 {t('Chat')}")
show_lesson("chat")

# st.session_state is per browser session: no user ever sees another's conversation.
history: list[dict] = st.session_state.setdefault(CHAT_HISTORY, [])

# A reply that was streaming when the last run ended early (Stop, or a click
# elsewhere): keep what had arrived, marked as stopped.
pending = st.session_state.pop(CHAT_PENDING, None)
if pending is not None:
    history.append({"role": "assistant", "content": pending["text"], "stopped": True})


def clear_history() -> None:
    history.clear()
    st.session_state.pop(CHAT_NOTICE, None)


def regenerate() -> None:
    if history and history[-1]["role"] == "assistant":
        history.pop()
    st.session_state[CHAT_REGENERATE + "_wanted"] = True


url = url_state.PageURL("chat")  # ?model=…&system=…&max_new=…&temperature=…
url.bind(working_text.model_setting("generate"),
         url_state.text("system", CHAT_SYSTEM, DEFAULT_SYSTEM_PROMPT, max_chars=MAX_SYSTEM_CHARS,
                        what="system prompt"),
         url_state.number("max_new", CHAT_MAX_NEW_TOKENS, 256, low=16, high=512,
                          what="number of new tokens"),
         url_state.number("temperature", CHAT_TEMPERATURE, 0.3, low=0.0, high=1.5,
                          what="temperature", integer=False))
loaded = model_picker("generate")
with st.expander("⚙️ " + t("System prompt & settings"), expanded=False):
    system_prompt = st.text_area(t("System prompt (up to {max_system_chars} characters)",
                                   max_system_chars=f"{MAX_SYSTEM_CHARS:,}"),
                                 value=DEFAULT_SYSTEM_PROMPT, key=CHAT_SYSTEM, height=80,
                                 disabled=url.locked("system"),
                                 help=t("Instructions the model reads before the conversation."))
    col1, col2 = st.columns(2)
    max_new = col1.slider(t("Max new tokens"), 16, 512, 256, 16, key=CHAT_MAX_NEW_TOKENS,
                          disabled=url.locked("max_new"))
    temperature = col2.slider(t("Temperature"), 0.0, 1.5, 0.3, 0.05, key=CHAT_TEMPERATURE,
                              disabled=url.locked("temperature"),
                              help=t("0 = greedy: the same reply every time."))

chat_ready = loaded is not None and has_chat_template(loaded)
if loaded is not None and not chat_ready:
    st.warning(tm(base_model_note(loaded)))
elif chat_ready and small_model_note(loaded):
    st.caption("ℹ️ " + tm(small_model_note(loaded)))

for message in history:
    with st.chat_message(message["role"]):
        # Raw HTML shows as text; what the user typed shows as typed, links and images too.
        user_typed = message["role"] == "user"
        st.markdown(escape_markdown(message["content"]) if user_typed else message["content"])
        if message.get("stopped"):
            st.caption("⏹ " + t("Stopped: this reply is what had arrived."))
        elif not user_typed and not message["content"].strip():
            st.caption(t(EMPTY_REPLY))

if st.session_state.get(CHAT_NOTICE):
    st.info(st.session_state[CHAT_NOTICE])

col1, col2, _ = st.columns([1, 1, 4])
# Always enabled: a reply that finishes in this run must not leave them greyed out.
col1.button(f"🔄 {t('Regenerate')}", on_click=regenerate, key=CHAT_REGENERATE,
            disabled=not chat_ready, help=t("A new reply to your last message."))
col2.button(f"🗑 {t('Clear')}", on_click=clear_history, key=CHAT_CLEAR,
            help=t("Start a new conversation."))

message = st.chat_input(t("Message (up to {max_message_chars} characters)",
                          max_message_chars=f"{MAX_MESSAGE_CHARS:,}"),
                        key=CHAT_INPUT, disabled=not chat_ready)
wants_reply = st.session_state.pop(CHAT_REGENERATE + "_wanted", False)
params, param_notes = chat_params(max_new, temperature)
if message is not None:
    # Empty, too long, a bad system prompt, or a message that cannot fit the model's context
    # even alone: refused before it joins the history, which stays as it was.
    with shown_errors():
        turn = {"role": "user", "content": check_message(message)}
        if chat_ready:
            build_chat_prompt(loaded, system_prompt, [*history, turn], params.max_new_tokens)
        else:
            check_system_prompt(system_prompt)
        history.append(turn)
        with st.chat_message("user"):
            st.markdown(escape_markdown(turn["content"]))
        wants_reply = True


def forget_pending() -> None:
    st.session_state.pop(CHAT_PENDING, None)


if wants_reply and chat_ready and history and history[-1]["role"] == "user":
    for note in param_notes:
        st.caption(tm(note))
    with shown_errors(on_error=forget_pending):
        prompt = build_chat_prompt(loaded, system_prompt, history, params.max_new_tokens)
        if prompt.note:
            st.session_state[CHAT_NOTICE] = prompt.note
            st.info(prompt.note)
        else:
            st.session_state.pop(CHAT_NOTICE, None)
        with st.chat_message("assistant"):
            on_wait = busy_notice()
            stop_slot = st.empty()
            stop_slot.button(f"⏹ {t('Stop')}", key=CHAT_STOP,
                             help=t("Stops the reply; what has arrived is kept."))
            reply = {"text": ""}
            st.session_state[CHAT_PENDING] = reply
            stream_into_page(chat_stream(loaded, prompt, params, on_wait=on_wait), reply)
            stop_slot.empty()
            on_wait.clear()
            if not reply["text"].strip():
                st.caption(t(EMPTY_REPLY))
        forget_pending()
        history.append({"role": "assistant", "content": reply["text"]})


def show_what_the_model_reads() -> None:
    """The prompt the chat template builds, special tokens visible: the text the model continues."""
    with st.expander("🔎 " + t("What the model reads"), expanded=False):
        with shown_errors():
            text = what_the_model_reads(loaded, system_prompt, history)
            if text:
                st.code(text, language=None, wrap_lines=True)  # shown as typed, never markdown
            st.caption(t("The chat template writes the system prompt and every turn into one "
                         "text; special tokens such as `<|im_start|>` mark who speaks. The model "
                         "only ever continues this text."))


if chat_ready:
    show_what_the_model_reads()
