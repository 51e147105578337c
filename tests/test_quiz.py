"""End-of-page quizzes: checked on the spot; live answers are the model's own numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from apptest_helpers import open_page
from lmlab.attention import capture_attention, previous_token_score
from lmlab.probability import prompt_next_logits, top_next_tokens
from lmlab.quiz import QUIZZES, page_questions
from lmlab.quiz_answers import greedy_next_token, previous_token_head
from lmlab.viz.tokens import visible_token
from components.navigation import PAGES
from pathlib import Path


def quiz_radio(at, question_id: str):
    found = [r for r in at.radio if (r.key or "").startswith("quiz_") and f"_{question_id}_" in r.key]
    assert found, [r.key for r in at.radio]
    return found[0]


def check(at, radio, option_text: str):
    radio.set_value(radio.options.index(option_text)).run()
    at.button(key=f"{radio.key}_check").click().run()
    assert not at.exception, at.exception


def test_every_page_has_two_or_three_questions_in_both_languages():
    for info in PAGES:
        name = Path(info.path).stem
        if not (QUIZZES / f"{name}.json").is_file():
            continue
        questions = page_questions(name)
        assert 1 <= len(questions) <= 3
        for q in questions:
            assert q.text["en"] and q.text["zh"] and q.text["en"] != q.text["zh"]
            assert all(o.get("en") and o.get("zh") for o in q.options)
    answers = [q.answer for f in QUIZZES.glob("*.json") for q in page_questions(f.stem)]
    assert len(set(answers)) > 1  # the right option is not always in the same place


def test_quiz_texts_have_no_markdown_marks():
    """Questions and options are shown as typed (a live option can hold a student's label),
    so a `code` or **bold** mark in them would reach the student as the bare marks."""
    for path in QUIZZES.glob("*.json"):
        for q in page_questions(path.stem):
            texts = [*q.text.values(), *(v for o in q.options for v in o.values())]
            marked = [t for t in texts if "`" in t or "**" in t or "](" in t]
            assert not marked, (path.name, marked)


def test_home_quiz_says_right_and_wrong(tiny_catalog):
    at = open_page("pages/home.py")
    question = page_questions("home")[0]
    radio = quiz_radio(at, question.id)
    check(at, radio, question.option_texts("en")[question.answer])
    assert any("Right" in s.value for s in at.success)
    wrong = (question.answer + 1) % len(question.options)
    check(at, quiz_radio(at, question.id), question.option_texts("en")[wrong])
    assert any(question.option_texts("en")[question.answer] in e.value for e in at.error)


def test_next_token_quiz_answer_is_the_models_argmax(tiny_catalog, store):
    at = open_page("pages/next_token.py")
    prompt = at.text_area(key="next_prompt").value
    loaded = store.get("tiny/llama-chat", "inspect")
    logits = prompt_next_logits(loaded, prompt)  # the model's own next-token logits
    expected = visible_token(loaded.tokenizer.decode([int(torch.argmax(logits))]))
    radio = quiz_radio(at, "greedy_next")
    assert expected in radio.options
    check(at, radio, expected)
    assert any("Right" in s.value for s in at.success), [e.value for e in at.error]


def test_previous_token_head_is_the_argmax_of_the_real_weights(tiny_catalog, store):
    at = open_page("pages/attention.py")
    text = at.text_area(key="att_text").value
    loaded = store.get("tiny/llama-chat", "inspect")
    capture = capture_attention(loaded, text, 0)
    scores = previous_token_score(capture.attentions)
    layer, head = np.unravel_index(int(np.argmax(scores)), scores.shape)
    question = previous_token_head(capture.attentions)
    assert question.option_texts("en")[question.answer] == f"layer {layer}, head {head}"
    radio = quiz_radio(at, "previous_token_head")
    check(at, radio, f"layer {layer}, head {head}")
    assert any("Right" in s.value for s in at.success), [e.value for e in at.error]


def test_greedy_question_ignores_temperature(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    logits = prompt_next_logits(loaded, "the cat sat on")
    hot = greedy_next_token(top_next_tokens(loaded, logits, 3.0, 10), logits, visible_token)
    cold = greedy_next_token(top_next_tokens(loaded, logits, 0.2, 10), logits, visible_token)
    best = visible_token(loaded.tokenizer.decode([int(torch.argmax(logits))]))
    assert hot.option_texts("en")[hot.answer] == cold.option_texts("en")[cold.answer] == best


def test_lens_first_layer_question_is_the_lens_own_ring(store):
    """The live Look deeper question: its right option is the lens's first top-1 row."""
    from lmlab.lens import logit_lens
    from lmlab.quiz_answers import lens_first_layer
    from lmlab.residual import trace_text

    loaded = store.get("tiny/llama-chat", "inspect")
    trace = trace_text(loaded, "the cat sat on the mat")
    grid = logit_lens(trace, lambda i: loaded.tokenizer.decode([i]))
    for position in range(grid.n_tokens):
        question = lens_first_layer(grid, position, visible_token)
        # Recomputed here from the lens probabilities: the first row from which the model's
        # final prediction is the top token and stays so up to the last row.
        final = grid.final_ids[position]
        tops = [grid.top_ids[r][position][0] for r in range(grid.n_rows)]
        first = next(r for r in range(grid.n_rows) if all(t == final for t in tops[r:]))
        name = "the embeddings (before layer 0)" if first == 0 else f"after layer {first - 1}"
        assert question.option_texts("en")[question.answer] == name
        assert question.option_texts("zh")[question.answer] != name
        assert visible_token(loaded.tokenizer.decode([final])) in question.text["en"]


def test_lens_first_layer_question_on_a_deep_model_keeps_four_options_in_order():
    from types import SimpleNamespace

    from lmlab.quiz_answers import OPTIONS, lens_first_layer

    for first in (0, 1, 7, 15, 29, 30):
        grid = SimpleNamespace(first_layer=[first], n_rows=31, top_texts=[[["x"]]] * 31)
        question = lens_first_layer(grid, 0, str)
        texts = question.option_texts("en")
        assert len(texts) == OPTIONS == len(set(texts))
        rows = [0 if t.startswith("the embeddings") else int(t.split()[-1]) + 1 for t in texts]
        assert rows == sorted(rows) and rows[question.answer] == first


def test_look_deeper_quiz_answer_is_the_lens(tiny_catalog):
    at = open_page("pages/interpret.py")
    grid = list(at.session_state["memo:ld_lens"].values())[-1]
    position = at.session_state["ld_position"]
    first = grid.first_layer[position]
    right = "the embeddings (before layer 0)" if first == 0 else f"after layer {first - 1}"
    radio = quiz_radio(at, "lens_first_layer")
    check(at, radio, right)
    assert any("Right" in s.value for s in at.success), [e.value for e in at.error]
    wrong = next(o for o in radio.options if o != right)
    check(at, quiz_radio(at, "lens_first_layer"), wrong)
    assert any(right in e.value for e in at.error)
