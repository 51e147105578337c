"""Pages at the edges of their inputs: tiny corpora and the like get a working page."""

from __future__ import annotations

import pytest

from apptest_helpers import all_text, open_page


@pytest.mark.parametrize("corpus", ["a b c d e", "a b c", "a b c d e f"])
def test_glove_from_scratch_on_a_handful_of_distinct_words(tiny_catalog, corpus):
    at = open_page("pages/glove.py")
    at.radio(key="glove_corpus").set_value("Type your own text").run()
    at.text_area(key="glove_corpus_text").set_value(corpus).run()
    assert not at.exception, at.exception
    assert "Something went wrong" not in all_text(at)
    if len(set(corpus.split())) > 5:
        assert at.slider(key="glove_show_words").max == len(set(corpus.split()))
    else:
        assert not [s for s in at.slider if s.key == "glove_show_words"]
    assert not at.error, [e.value for e in at.error]
    assert "glove_cooc_chart" in [chart.key for chart in at.get("plotly_chart")]
    assert "Train GloVe" in [b.label for b in at.button]  # the training section is there
