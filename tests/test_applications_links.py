"""Links to the applications pages (Sentiment, Question answering, Bias probe, Compute cost)
open the same view, a bad value gets one sentence and the default, and each page's live
quiz question is answered by the model's own numbers.

AppTest runs app.py (router and sidebar) on tiny models, as tests/test_url_state.py does.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import apptest_helpers
from apptest_helpers import last_memo, link_box, opens_and_writes_back, widget

from components import state
from lmlab import bias, compute
from lmlab.registry import get_spec
from lmlab.markup import unescape_markdown
from lmlab.sources import offline_available

needs_glove = pytest.mark.skipif(not offline_available(get_spec("glove-6B-50d")),
                                 reason="the embedded GloVe vectors are not installed")
WORDS_OF_THE_LINK = "What a wonderful, sunny morning."


# Links to the applications pages get a longer AppTest limit than other pages' links.
LINK_TIMEOUT = 120
open_link = partial(apptest_helpers.open_link, timeout=LINK_TIMEOUT)


def warnings(at) -> str:
    return " ".join(w.value for w in at.warning)


def quiz_radio(at, question_id: str):
    found = [r for r in at.radio if (r.key or "").startswith("quiz_") and f"_{question_id}_" in r.key]
    assert found, [r.key for r in at.radio]
    return found[0]


def shown_options(radio) -> list[str]:
    """The options as the student reads them (the page escapes them for markdown)."""
    return [unescape_markdown(o) for o in radio.options]


def answered(at, radio, option: str) -> bool:
    radio.set_value(shown_options(radio).index(option)).run()
    at.button(key=f"{radio.key}_check").click().run()
    assert not at.exception, at.exception
    return any("Right" in s.value for s in at.success)


# page, the link's parameters, the widget each one sets, then one change and what it writes.
ROUND_TRIPS = [
    ("pages/classify.py",
     {"text": WORDS_OF_THE_LINK, "labels": "happy, sad", "held_out": "0.3",
      "model": "tiny/llama-chat"},
     {"classify_text": WORDS_OF_THE_LINK, "classify_labels": "happy, sad",
      "classify_held_out": 0.3, state.model_key("generate"): "tiny/llama-chat"},
     ("classify_labels", "good, bad, so-so", "labels", "good, bad, so-so")),
    ("pages/qa.py",
     {"context": "Ada lived in London and wrote the first program.", "question": "Where?"},
     {"qa_context": "Ada lived in London and wrote the first program.", "qa_question": "Where?"},
     ("qa_question", "What did Ada write?", "question", "What did Ada write?")),
    ("pages/bias.py",
     {"template": "The {occupation} smiled because", "occupations": "nurse, pilot, chef"},
     {"bias_template": "The {occupation} smiled because", "bias_occupations": "nurse, pilot, chef"},
     ("bias_occupations", "doctor, baker", "occupations", "doctor, baker")),
    ("pages/compute.py", {"tokens": "16"}, {"compute_tokens": 16},
     ("compute_tokens", 24, "tokens", "24")),
]


@pytest.mark.parametrize("page, params, expected, change", ROUND_TRIPS,
                         ids=[r[0].split("/")[1] for r in ROUND_TRIPS])
def test_link_opens_the_same_view_and_a_change_is_written_back(tiny_catalog, page, params,
                                                               expected, change):
    at = opens_and_writes_back(page, params, expected, change, timeout=LINK_TIMEOUT)
    assert change[2] in link_box(at)  # the copy-link box offers the changed view


def test_the_linked_settings_are_what_the_models_compute_on(tiny_catalog):
    at = open_link("pages/classify.py", text=WORDS_OF_THE_LINK, labels="happy, sad")
    key, result = last_memo(at, "classify_zero_shot")
    assert key[1:] == (WORDS_OF_THE_LINK, "happy, sad") and result.labels == ["happy", "sad"]
    at = open_link("pages/bias.py", template="The {occupation} smiled because",
                   occupations="nurse, pilot")
    key, rows = last_memo(at, "bias_pronouns")
    assert [r.prompt for r in rows] == ["The nurse smiled because", "The pilot smiled because"]
    at = open_link("pages/compute.py", tokens="16")
    key, speed = last_memo(at, "compute_speed")
    assert key[-1] == 16 and 1 <= speed.tokens <= 16


@pytest.mark.parametrize("page, params, sentences, defaults", [
    ("pages/classify.py", {"labels": "positive", "held_out": "0.9"},
     ["at least two labels", "labels is not used", "held-out share 0.9",
      "from 0.1 to 0.5"],
     {"classify_labels": "positive, negative, neutral", "classify_held_out": 0.25}),
    ("pages/qa.py", {"context": "x" * 5000, "question": "<b>hi</b>", "extractive": "no/such"},
     ["context has 5,000 characters", "names a model for extractive answers"],
     {"qa_question": "<b>hi</b>"}),
    ("pages/bias.py", {"template": "The nurse said", "direction": "sideways", "weat": "7"},
     ["needs {occupation}", "template is not used", "gender direction",
      "WEAT test 7"],
     {"bias_template": bias.TEMPLATES[0]}),
    ("pages/compute.py", {"tokens": "1000"}, ["tokens to generate 1000", "from 8 to 64"],
     {"compute_tokens": 32}),
], ids=["classify", "qa", "bias", "compute"])
def test_a_bad_value_gets_a_sentence_and_the_default(tiny_catalog, page, params, sentences,
                                                     defaults):
    at = open_link(page, **params)
    said = warnings(at)
    for sentence in sentences:
        assert sentence in said, (sentence, said)
    for key, value in defaults.items():
        assert widget(at, key).value == value, key
    assert "<b>" not in " ".join(m.value for m in at.markdown)  # a link's HTML stays text


def test_qa_context_of_the_link_falls_back_to_the_sample(tiny_catalog):
    at = open_link("pages/qa.py", context="x" * 5000)
    assert widget(at, "qa_context").value.startswith("The Eiffel Tower")
    assert at.query_params["context"] != "x" * 5000


@needs_glove
def test_bias_glove_settings_from_the_link(tiny_catalog):
    at = open_link("pages/bias.py", direction="difference", words="nurse, pilot", weat="3")
    assert not at.error, [e.value for e in at.error]
    assert widget(at, "bias_method").value == "difference"
    assert widget(at, "bias_project_words").value == "nurse, pilot"
    assert widget(at, "bias_weat_test").value == 3
    assert widget(at, "bias_weat_x_3").value.startswith(", ".join(bias.word_sets()[3]["x"][:2]))


def test_teacher_locks_hold_on_the_applications_pages(tiny_catalog):
    at = open_link("pages/bias.py", template="The {occupation} smiled because",
                   lock="template,occupations")
    assert widget(at, "bias_template").disabled and widget(at, "bias_occupations").disabled
    assert "🔒" in widget(at, "bias_template").label
    assert at.button(key="bias_other_template").disabled  # no way round the lock
    at = open_link("pages/compute.py", tokens="16", lock="tokens")
    assert widget(at, "compute_tokens").disabled
    at.session_state["compute_tokens"] = 40  # whatever the browser sends, the link's value stays
    at.run()
    assert widget(at, "compute_tokens").value == 16


def test_other_template_button_fills_in_the_template(tiny_catalog):
    at = open_link("pages/bias.py")
    at.button(key="bias_other_template").click().run()
    assert widget(at, "bias_template").value == bias.TEMPLATES[1]
    assert at.query_params["template"] == bias.TEMPLATES[1]


def test_live_quizzes_are_answered_by_the_models_numbers(tiny_catalog, store):
    at = open_link("pages/classify.py", labels="happy, sad, bored")
    _, result = last_memo(at, "classify_zero_shot")
    best = result.labels[int(np.argmax(result.probs))]
    assert answered(at, quiz_radio(at, "zero_shot_label"), best)

    at = open_link("pages/compute.py")
    model = store.get("tiny/llama-chat").model
    count = sum(p.numel() for p in model.parameters())  # counted here, not by the page
    assert answered(at, quiz_radio(at, "float16_memory"), compute.human_bytes(2 * count))

    at = open_link("pages/bias.py", occupations="nurse, pilot, chef, banker")
    rows = bias.pronoun_probabilities(store.get("tiny/llama-chat"), bias.TEMPLATES[0],
                                      "nurse, pilot, chef, banker")
    she_most = min(rows, key=lambda r: r.log2_ratio).occupation
    assert answered(at, quiz_radio(at, "most_she_leaning"), she_most)


def test_qa_live_quiz_is_the_most_salient_token(tiny_catalog):
    at = open_link("pages/qa.py", context="the king and a queen ruled the land .",
                   question="who ruled ?")
    at.button(key="qa_generate").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    _, result = last_memo(at, "qa_generated")
    top = int(np.argmax(result.saliency))
    radio = quiz_radio(at, "most_salient_token")
    [option] = [o for o in shown_options(radio) if o.startswith(f"#{top} ")]
    assert answered(at, radio, option)
