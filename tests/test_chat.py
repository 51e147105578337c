"""Chat: template ids, context trimming, base models and bad messages, on tiny models."""

import pytest

from lmlab.chat import (MAX_MESSAGE_CHARS, NoChatTemplate, build_chat_prompt, check_message,
                        has_chat_template, reply_stream)
from lmlab.errors import InputError
from lmlab.generation import GenerationParams

SYSTEM = "You are a kind tutor."


def turns(*texts):
    return [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(texts)]


def test_prompt_is_the_models_own_chat_template(tiny_llama):
    history = turns("hello", "hi there", "how are you ?")
    prompt = build_chat_prompt(tiny_llama, SYSTEM, history, 16)
    expected = tiny_llama.tokenizer.apply_chat_template(
        [{"role": "system", "content": SYSTEM}] + history, add_generation_prompt=True, tokenize=False)
    assert tiny_llama.tokenizer.decode(prompt.input_ids[0]) == expected
    assert prompt.dropped_turns == 0 and prompt.note is None


def test_empty_system_prompt_is_left_out(tiny_llama):
    prompt = build_chat_prompt(tiny_llama, "  ", turns("hello"), 16)
    assert [m["role"] for m in prompt.messages] == ["user"]


def test_old_turns_are_dropped_to_fit_the_context_with_a_note(tiny_llama):
    long = "the cat sat on the mat . " * 4
    history = turns(*[f"{long} {i}" for i in range(9)])  # far over the 128-token context
    prompt = build_chat_prompt(tiny_llama, SYSTEM, history, 16)
    assert prompt.input_ids.shape[1] <= tiny_llama.context_length - 16
    assert prompt.dropped_turns > 0 and "oldest" in prompt.note
    kept = prompt.messages
    assert kept[0] == {"role": "system", "content": SYSTEM}  # the system prompt stays
    assert kept[1]["role"] == "user"  # the kept part starts on a user turn
    assert kept[-1] == history[-1]  # the newest message stays
    assert len(kept) - 1 + prompt.dropped_turns == len(history)
    assert len(history) == 9  # the caller's history is untouched


def test_a_single_message_over_the_context_is_refused(tiny_llama):
    with pytest.raises(InputError) as info:
        build_chat_prompt(tiny_llama, SYSTEM, turns("the cat sat on the mat . " * 40), 16)
    assert "context" in str(info.value)


def test_base_model_gets_a_clear_note(tiny_gpt2):
    assert not has_chat_template(tiny_gpt2)
    with pytest.raises(NoChatTemplate) as info:
        build_chat_prompt(tiny_gpt2, SYSTEM, turns("hello"), 16)
    assert "base model" in str(info.value) and "Text generation" in str(info.value)


@pytest.mark.parametrize("text, fragment", [("", "type a message"), (" \n\t", "type a message"),
                                            ("x" * 100_000, "100,000 characters")])
def test_bad_messages(text, fragment):
    with pytest.raises(InputError) as info:
        check_message(text)
    assert fragment in str(info.value)
    assert len(text) <= MAX_MESSAGE_CHARS or "not sent" in str(info.value)


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "مرحبا بالعالم", "zero\u200bwidth 👋🏽"])
def test_odd_messages_reach_the_model_unchanged(tiny_llama, text):
    assert check_message(text) == text
    prompt = build_chat_prompt(tiny_llama, SYSTEM, turns(text), 8)
    assert text in tiny_llama.tokenizer.decode(prompt.input_ids[0])


def test_reply_streams_and_equals_greedy_generate(tiny_llama):
    params = GenerationParams(max_new_tokens=8)
    history = turns("hello", "hi", "tell me a story")
    reply = "".join(reply_stream(tiny_llama, SYSTEM, history, params))
    prompt = build_chat_prompt(tiny_llama, SYSTEM, history, 8)
    out = tiny_llama.model.generate(prompt.input_ids, do_sample=False, max_new_tokens=8,
                                    pad_token_id=tiny_llama.tokenizer.pad_token_id)
    expected = tiny_llama.tokenizer.decode(out[0, prompt.input_ids.shape[1]:], skip_special_tokens=True)
    assert reply == expected
