"""AppTest runs of the applications pages (Sentiment, Question answering, Bias probe,
Compute cost) and the GloVe page's analogy test set, through the router."""

import pytest
from apptest_helpers import all_text, open_page

from lmlab.registry import get_spec
from lmlab.sources import offline_available

def memo_value(at, name: str):
    """The latest value a page stored with components.memo.session_memo under `name`."""
    slot = at.session_state["memo:" + name]
    return list(slot.values())[-1] if hasattr(slot, "values") else slot[1]


needs_glove = pytest.mark.skipif(not offline_available(get_spec("glove-6B-50d")),
                                 reason="offline GloVe package not installed")
needs_minilm = pytest.mark.skipif(
    not offline_available(get_spec("sentence-transformers/all-MiniLM-L6-v2")),
    reason="offline MiniLM package not installed")


@needs_minilm
def test_sentiment_page_zero_shot_and_minilm(tiny_catalog):
    at = open_page("pages/classify.py", timeout=240)
    assert not at.error, [e.value for e in at.error]
    result = memo_value(at, "classify_zero_shot")
    assert result.labels == ["positive", "negative", "neutral"]
    assert abs(sum(result.probs) - 1) < 1e-6
    trained = memo_value(at, "classify_minilm")
    assert trained.confusion.sum() == len(trained.test) == 75
    text = all_text(at)
    assert "Held-out" in text or "held-out" in text.lower()
    assert "needs internet" in text.lower() or "hub" in text.lower()  # no Hub here
    charts = len(at.get("plotly_chart"))
    at.text_area(key="classify_text").set_value("").run()  # an empty text costs only its bars
    assert not at.exception
    assert len(at.get("plotly_chart")) == charts - 2  # zero-shot and MiniLM bars; confusion stays
    assert any("Held-out sentences it got wrong" in c.value for c in at.caption)


def test_sentiment_page_bad_labels_give_one_sentence(tiny_catalog):
    at = open_page("pages/classify.py", timeout=240)
    at.text_input(key="classify_labels").set_value("positive").run()
    assert not at.exception
    assert any("at least two labels" in e.value for e in at.error)
    assert at.text_area(key="classify_text").value  # the text the user had is kept
    at.text_area(key="classify_text").set_value("   ").run()
    at.text_input(key="classify_labels").set_value("good, bad").run()
    assert any("empty" in e.value for e in at.error)


@needs_glove
def test_bias_page_draws_all_three_probes(tiny_catalog):
    at = open_page("pages/bias.py", timeout=240)
    assert not at.error, [e.value for e in at.error]
    rows = memo_value(at, "bias_pronouns")
    assert len(rows) == 16 and all(0 < r.first < 1 and 0 < r.second < 1 for r in rows)
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Effect size d"]) > 1.0  # career/family × names on GloVe 6B
    text = all_text(at)
    assert "explains" in text  # the PCA direction's share of variance


@needs_glove
def test_bias_page_unknown_words_give_one_sentence(tiny_catalog):
    at = open_page("pages/bias.py", timeout=240)
    at.text_area(key="bias_weat_a_0").set_value("executive, qwxzzy").run()
    assert not at.exception
    assert any("“qwxzzy” is not among the 400,000 GloVe words" in e.value for e in at.error)
    at.text_area(key="bias_occupations").set_value("").run()
    assert any("at least one word" in e.value for e in at.error)


def test_compute_page_counts_and_measures_the_loaded_model(tiny_catalog):
    at = open_page("pages/compute.py", timeout=240)
    assert not at.error, [e.value for e in at.error]
    from lmlab.loading import default_store

    metrics = {m.label: m.value for m in at.metric}
    model = default_store().get("tiny/llama-chat").model
    count = sum(p.numel() for p in model.parameters())
    assert metrics["Parameters"] == f"{count / 1e6:,.1f} M"
    speed = memo_value(at, "compute_speed")
    assert speed.tokens >= 1 and speed.seconds > 0
    assert "tokens/s" in metrics["Measured on this machine"]
    assert len(at.dataframe[0].value) == 4  # the loaded model and three references


def test_qa_page_answers_with_saliency_and_refuses_bad_input(tiny_catalog):
    at = open_page("pages/qa.py", timeout=240)
    assert not at.error, [e.value for e in at.error]
    text = all_text(at)
    assert "needs internet" in text.lower() or "not reachable" in text  # extractive: Hub only
    at.text_area(key="qa_context").set_value("the king and a queen ruled the land .")
    at.text_input(key="qa_question").set_value("who ruled ?")
    at.button(key="qa_generate").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    result = memo_value(at, "qa_generated")
    assert "".join(result.tokens) == "the king and a queen ruled the land ."
    at.text_input(key="qa_question").set_value("who ruled the land in the story of the king ?")
    at.button(key="qa_generate").click().run()
    assert any("longer than the context" in e.value for e in at.error)
    assert at.text_area(key="qa_context").value == "the king and a queen ruled the land ."


@needs_glove
def test_glove_page_runs_the_analogy_test_set(tiny_catalog):
    at = open_page("pages/glove.py", timeout=600)
    at.button(key="analogy_eval_run").click().run(timeout=900)
    assert not at.exception and not at.error, [e.value for e in at.error]
    report = memo_value(at, "analogy_eval")
    assert report.questions == 19_544 and len(report.sections) == 14
    assert 0.3 < report.total.accuracy < 0.7  # GloVe 6B 50d: about 46%
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["overall accuracy"] == f"{report.total.accuracy:.1%}"
    at.selectbox(key="analogy_eval_section").set_value("family").run(timeout=600)
    failures = [d.value for d in at.dataframe if "GloVe's answer" in d.value.columns]
    assert failures and set(failures[0]["section"]) == {"family"}


def test_an_over_long_paste_is_kept_and_gets_one_sentence(tiny_catalog):
    """A widget with max_chars makes the browser drop a longer paste without a word; the
    fields carry no such limit, and the core's check says what the limit is."""
    at = open_page("pages/classify.py", timeout=240)
    long_text = "A very good film. " * 1_200  # 21,600 characters
    at.text_area(key="classify_text").set_value(long_text).run()
    assert not at.exception
    assert at.text_area(key="classify_text").proto.max_chars == 0
    assert at.text_input(key="classify_labels").proto.max_chars == 0
    assert at.text_area(key="classify_text").value == long_text  # nothing the user had is lost
    errors = [e.value for e in at.error]
    assert errors and all("21,600 characters" in e and "2,000" in e for e in errors), errors
    at.switch_page("pages/qa.py").run()
    assert at.text_area(key="qa_context").proto.max_chars == 0
    assert at.text_input(key="qa_question").proto.max_chars == 0


def test_a_right_to_left_override_never_reaches_a_sentence_or_a_label():
    from lmlab.classify import check_labels
    from lmlab.inputs import excerpt

    assert check_labels("good, \u202ebad") == ["good", "bad"]
    assert excerpt("\u202eabc" + "x" * 60) == "abc" + "x" * 37 + "…"
    assert excerpt("short") == "short"
