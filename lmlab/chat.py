"""Chat on a causal LM: a history of turns -> the model's chat template -> a streamed reply.

The history is a plain list of {"role": "user" | "assistant", "content": str}
owned by the caller (one per browser session), so nothing is shared between users.
When the history no longer fits in the context, the oldest turns are left out of
the prompt (never out of the caller's history) and the caller gets a note to show.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

import torch

from lmlab import inputs
from lmlab.errors import InputError
from lmlab.generation import GenerationParams, normalize_params, stream_text
from lmlab.loading import LoadedModel

MAX_MESSAGE_CHARS = 20_000
# SmolLM2's own default system prompt (its template inserts it when none is given).
DEFAULT_SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
MAX_SYSTEM_CHARS = 4_000


class NoChatTemplate(InputError):
    """The model is a base model: it continues text but was never taught turns."""


@dataclass
class ChatPrompt:
    input_ids: torch.Tensor  # (1, T)
    dropped_turns: int  # older messages left out to fit the context
    max_new_tokens: int  # the reply's room (at most half the context)
    messages: list[dict] = field(default_factory=list)  # what the model actually sees

    @property
    def note(self) -> str | None:
        if not self.dropped_turns:
            return None
        n = self.dropped_turns
        return (f"The conversation is longer than the model's context, so the oldest {n} "
                f"message{'s' if n != 1 else ''} {'were' if n != 1 else 'was'} left out of "
                "what the model sees (they stay in your history).")


def has_chat_template(loaded: LoadedModel) -> bool:
    return bool(getattr(loaded.tokenizer, "chat_template", None))


def base_model_note(loaded: LoadedModel) -> str:
    return (f"{loaded.spec.name} is a base model: it was trained only to continue text and has "
            "no chat template, so it cannot take turns in a conversation. Try it on the Text "
            "generation page, or pick an instruction-tuned (chat) model here.")


SMALL_MODEL_PARAMS_M = 1_000  # below about a billion parameters, instructions are weak


def small_model_note(loaded: LoadedModel) -> str | None:
    """Say so when a chat model is small enough to ignore its instructions."""
    if loaded.spec.params_m >= SMALL_MODEL_PARAMS_M:
        return None
    return (f"{loaded.spec.name} is a small model ({loaded.spec.size_label}): it often ignores "
            "instructions in the system prompt (a persona, a style, a language). “What the model "
            "reads” below shows that they do reach it; following them well takes a larger model.")


def what_the_model_reads(loaded: LoadedModel, system_prompt: str, history: list[dict]) -> str:
    """The conversation as the chat template writes it, special tokens included.

    This is the text the model continues: the ids of build_chat_prompt, decoded.
    After a user turn it ends with the template's opening of the assistant's turn.
    """
    messages = _messages(check_system_prompt(system_prompt), history)
    if not messages:
        return ""
    ids = _template_ids(loaded, messages, generation_prompt=history[-1:] != []
                        and history[-1]["role"] == "user")
    return loaded.tokenizer.decode(ids, skip_special_tokens=False)


def check_message(text: str | None) -> str:
    """The message as sent, or one clear sentence about why it cannot be."""
    if isinstance(text, str) and len(text) > MAX_MESSAGE_CHARS:
        unchanged = " It was not sent, and your conversation is unchanged."
    else:
        unchanged = ""
    try:
        return inputs.check_text(text, what="Your message", max_chars=MAX_MESSAGE_CHARS,
                                 empty="Please type a message first.")
    except InputError as error:
        raise InputError(f"{error}{unchanged}") from None


def chat_params(max_new_tokens: int, temperature: float) -> tuple[GenerationParams, list[str]]:
    """The sampling settings of a chat reply, the same for every front end.

    Nucleus sampling (top-p 0.9, no top-k cut) at the user's temperature; 0 means
    greedy. Returns the settings and the notes about anything that was adjusted.
    """
    return normalize_params(GenerationParams(
        max_new_tokens=int(max_new_tokens), do_sample=True, temperature=float(temperature),
        top_k=0, top_p=0.9, seed=None))


def check_system_prompt(text: str | None) -> str:
    """The system prompt as the model will read it (empty is allowed: the template's default)."""
    return inputs.check_text(text, what="The system prompt", max_chars=MAX_SYSTEM_CHARS,
                             allow_empty=True)


def _messages(system_prompt: str, turns: list[dict]) -> list[dict]:
    system = [{"role": "system", "content": system_prompt}] if system_prompt.strip() else []
    return system + [{"role": m["role"], "content": m["content"]} for m in turns]


def _template_ids(loaded: LoadedModel, messages: list[dict], generation_prompt: bool = True
                  ) -> list[int]:
    out = loaded.tokenizer.apply_chat_template(messages, add_generation_prompt=generation_prompt,
                                               tokenize=True)
    if isinstance(out, dict) or hasattr(out, "keys"):  # newer tokenizers return a BatchEncoding
        out = out["input_ids"]
    return list(out)


def build_chat_prompt(loaded: LoadedModel, system_prompt: str, history: list[dict],
                      max_new_tokens: int) -> ChatPrompt:
    """Template ids for the history, dropping the oldest turns if it does not fit.

    The system prompt and the newest user message are always kept; older messages
    go first, one at a time, so the model keeps as much recent context as fits.
    """
    if not has_chat_template(loaded):
        raise NoChatTemplate(base_model_note(loaded))
    system_prompt = check_system_prompt(system_prompt)
    if not history or history[-1]["role"] != "user":
        raise InputError("Please type a message first.")
    # A long reply setting must not crowd out the conversation on a short-context model.
    max_new_tokens = min(int(max_new_tokens), loaded.context_length // 2)
    room = loaded.context_length - max_new_tokens
    turns = list(history)
    dropped = 0
    while True:
        messages = _messages(system_prompt, turns)
        ids = _template_ids(loaded, messages)
        if len(ids) <= room:
            return ChatPrompt(torch.tensor([ids]), dropped, max_new_tokens, messages)
        if len(turns) == 1:
            raise InputError(f"Your message is {len(ids):,} tokens with the system prompt; with "
                             f"{max_new_tokens} tokens for the reply it must stay under {room:,} "
                             f"(the model's context is {loaded.context_length:,}).")
        turns.pop(0)
        dropped += 1
        while len(turns) > 1 and turns[0]["role"] != "user":  # start on a user turn
            turns.pop(0)
            dropped += 1


def chat_stream(loaded: LoadedModel, prompt: ChatPrompt, params: GenerationParams,
                stop: threading.Event | None = None, on_wait: Callable[[], None] | None = None,
                collect_ids: list[int] | None = None) -> Iterator[str]:
    """Stream the assistant's reply to a prepared chat prompt."""
    params = replace(params, max_new_tokens=min(params.max_new_tokens, prompt.max_new_tokens))
    yield from stream_text(loaded, prompt.input_ids, params, stop, skip_special_tokens=True,
                           collect_ids=collect_ids, on_wait=on_wait, messages=prompt.messages)


def reply_stream(loaded: LoadedModel, system_prompt: str, history: list[dict],
                 params: GenerationParams, stop: threading.Event | None = None,
                 on_wait: Callable[[], None] | None = None,
                 collect_ids: list[int] | None = None) -> Iterator[str]:
    """Template + stream in one call (the benchmark and the Gradio app use this)."""
    params.validate()
    prompt = build_chat_prompt(loaded, system_prompt, history, params.max_new_tokens)
    yield from chat_stream(loaded, prompt, params, stop, on_wait, collect_ids)
