"""Chat: gr.ChatInterface streaming a real model's reply; the history comes from the session."""

from __future__ import annotations

from contextlib import closing

import gradio as gr

from lmlab_gradio.plain_chatbot import PlainChatbot
from lmlab.chat import (DEFAULT_SYSTEM_PROMPT, MAX_MESSAGE_CHARS, chat_params, check_message,
                        check_system_prompt, reply_stream)
from lmlab_gradio.common import (LM_QUEUE, as_number, as_text, handler, harden_inputs, join_queue,
                                 load, model_dropdown, seconds_for_tokens)


def plain_messages(history) -> list[dict]:
    """Gradio's message dicts (content as text or as a list of parts) -> plain text turns."""
    turns = []
    for message in history or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # [{"type": "text", "text": ...}, files...]
            content = "".join(part.get("text", "") for part in content
                              if isinstance(part, dict) and part.get("type") == "text")
        if isinstance(content, str) and message.get("role") in ("user", "assistant"):
            turns.append({"role": message["role"], "content": content})
    return turns


@handler(seconds=seconds_for_tokens(0.1))
def chat(message, history, model_id, system_prompt=DEFAULT_SYSTEM_PROMPT, max_new_tokens=256,
         temperature=0.3):
    """Stream the assistant's reply to a message, after the conversation so far.

    Args:
        message: The user's new message.
        history: The conversation so far (the chat window keeps it per session).
        model_id: A chat model from LM Lab's catalog (default: the embedded SmolLM2).
        system_prompt: Instructions the model reads before the conversation.
        max_new_tokens: The longest reply in tokens, 1 to 1024.
        temperature: Sampling temperature from 0 to 2; 0 always picks the most likely token.
    Returns:
        The reply so far (streamed).
    """
    message = check_message(as_text(message, "The message"))
    system_prompt = check_system_prompt(as_text(system_prompt, "The system prompt"))
    params, _ = chat_params(as_number(max_new_tokens, "Max new tokens", 1, 1024, integer=True),
                            as_number(temperature, "Temperature", 0, 2))
    turns = plain_messages(history) + [{"role": "user", "content": message}]
    reply = ""
    pieces = reply_stream(load(model_id), system_prompt, turns, params)
    with closing(pieces):  # a cancel ends the worker
        for piece in pieces:
            reply += piece
            yield reply


def build(blocks: gr.Blocks) -> None:
    model = model_dropdown("chat")
    system = gr.Textbox(DEFAULT_SYSTEM_PROMPT, label="System prompt", lines=2, render=False)
    max_new = gr.Slider(1, 1024, value=256, step=1, precision=0, label="Max new tokens (1–1024)",
                        render=False)
    temperature = gr.Slider(0, 2, value=0.3, step=0.05, label="Temperature (0 = greedy)",
                            render=False)
    gr.ChatInterface(
        chat, additional_inputs=[model, system, max_new, temperature],
        additional_inputs_accordion=gr.Accordion("Settings", open=False, render=False),
        textbox=gr.Textbox(placeholder=f"Message (up to {MAX_MESSAGE_CHARS:,} characters)",
                           label="Message", show_label=False,
                           max_length=MAX_MESSAGE_CHARS, submit_btn=True, stop_btn=True),
        chatbot=PlainChatbot(height=420, label="Chat"),  # messages shown as text, never HTML
        examples=[["Explain attention in a transformer in two sentences."],
                  ["What is a token?"]],
        api_name="chat", fill_height=False)
    join_queue(blocks, chat, LM_QUEUE)
    harden_inputs(max_new, temperature)
