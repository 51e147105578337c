"""AppTest runs of the applications pages (Sentiment, Question answering, Bias probe,
Compute cost) and the GloVe page's analogy test set, through the router."""

import pytest
from apptest_helpers import all_text, open_page

from lmlab.registry import get_spec
from lmlab.sources import offline_available

needs_glove = pytest.mark.skipif(not offline_available(get_spec("glove-6B-50d")),
                                 reason="offline GloVe package not installed")
needs_minilm = pytest.mark.skipif(
    not offline_available(get_spec("sentence-transformers/all-MiniLM-L6-v2")),
    reason="offline MiniLM package not installed")


@needs_minilm
def test_sentiment_page_zero_shot_and_minilm(tiny_catalog):
    at = open_page("pages/classify.py", timeout=240)
    assert not at.error, [e.value for e in at.error]
    result = at.session_state["memo:classify_zero_shot"][1]
    assert result.labels == ["positive", "negative", "neutral"]
    assert abs(sum(result.probs) - 1) < 1e-6
    trained = at.session_state["memo:classify_minilm"][1]
    assert trained.confusion.sum() == len(trained.test) == 75
    text = all_text(at)
    assert "Held-out" in text or "held-out" in text.lower()
    assert "needs internet" in text.lower() or "hub" in text.lower()  # no Hub here


def test_sentiment_page_bad_labels_give_one_sentence(tiny_catalog):
    at = open_page("pages/classify.py", timeout=240)
    at.text_input(key="classify_labels").set_value("positive").run()
    assert not at.exception
    assert any("at least two labels" in e.value for e in at.error)
    assert at.text_area(key="classify_text").value  # the text the user had is kept
    at.text_area(key="classify_text").set_value("   ").run()
    at.text_input(key="classify_labels").set_value("good, bad").run()
    assert any("empty" in e.value for e in at.error)
