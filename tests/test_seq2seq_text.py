"""Sentence chunking, map-reduce order, language guesses, scores and the heatmap (no models)."""

import numpy as np
import pytest

from lmlab import languages
from lmlab.errors import InputError
from lmlab.scoring import rouge, translation_scores
from lmlab.seq2seq_attention import CrossAttention
from lmlab.text_chunks import chunk_text, map_reduce, split_sentences
from lmlab.viz.seq2seq import cross_attention_figure, top_source_for_each_output


def words(text: str) -> int:
    return len(text.split())


def test_split_sentences_keeps_order_and_text():
    text = "First one. Second one!  Third? \"Quoted.\" Last\n\nNew paragraph 猫坐着。狗跑了！"
    assert split_sentences(text) == ["First one.", "Second one!", "Third?", "\"Quoted.\"", "Last",
                                     "New paragraph 猫坐着。", "狗跑了！"]


def test_chunks_are_whole_sentences_under_the_limit():
    sentences = [f"Sentence number {i} is here." for i in range(20)]
    chunks = chunk_text(" ".join(sentences), words, 12)
    assert all(words(c) <= 12 for c in chunks)
    assert " ".join(chunks) == " ".join(sentences)  # nothing lost, nothing reordered
    assert all(c.endswith(".") for c in chunks)  # cut only at sentence ends


def test_a_sentence_longer_than_a_chunk_is_cut_between_words():
    long = " ".join(f"w{i}" for i in range(25)) + "."
    chunks = chunk_text(long, words, 10)
    assert [words(c) for c in chunks] == [10, 10, 5] and " ".join(chunks) == long


def test_map_reduce_keeps_order_and_reports_progress():
    chunks = [f"part{i} filler filler filler" for i in range(7)]
    seen, calls = [], []

    def summarize(batch):  # keeps the first word: the order of the text must survive
        seen.append(list(batch))
        return [text.split()[0] for text in batch]

    final, rounds = map_reduce(chunks, summarize, lambda t: chunk_text(t, words, 100),
                               lambda *a: calls.append(a), batch_size=3)
    assert [len(b) for b in seen] == [3, 3, 1]
    assert rounds == [[f"part{i}" for i in range(7)]]
    assert final == " ".join(f"part{i}" for i in range(7))  # one chunk, in order
    assert [c[:2] for c in calls] == [(0, 8), (3, 8), (6, 8), (7, 8)]
    assert calls[-1][2] == "Writing the final summary"


def test_map_reduce_runs_more_rounds_until_it_fits():
    chunks = [f"p{i} a b c" for i in range(8)]
    final, rounds = map_reduce(chunks, lambda b: [" ".join(t.split()[:2]) for t in b],
                               lambda t: chunk_text(t.replace("\n\n", ". ") + ".", words, 6))
    assert len(rounds) >= 2 and final


def test_one_chunk_needs_no_map_step():
    final, rounds = map_reduce(["only part"], lambda b: pytest.fail("no map call"),
                               lambda t: [t])
    assert final == "only part" and rounds == []


@pytest.mark.parametrize("text, code", [
    ("The weather is nice today and we are going to the park with the children.", "en"),
    ("Das Wetter ist heute schön und wir gehen mit den Kindern in den Park.", "de"),
    ("Le temps est beau aujourd'hui et nous allons au parc avec les enfants.", "fr"),
    ("今天天气很好，我们和孩子们一起去公园。", "zh"),
    ("Hi", None),
    ("Paris Berlin London Tokyo Madrid Rome", None),
])
def test_language_guess(text, code):
    assert languages.guess_language(text) == code


def test_scores_are_0_to_100_and_see_chinese():
    same = rouge("the cat sat on the mat", "the cat sat on the mat")
    assert [round(s.value) for s in same] == [100, 100, 100]
    assert all(s.value == 0 for s in rouge("dogs bark loudly", "the cat sat"))
    assert rouge("猫坐在垫子上", "猫在垫子上")[0].value > 50
    bleu, chrf = translation_scores("Die Katze sitzt auf der Matte.", "Die Katze sitzt auf der Matte.")
    assert round(bleu.value) == 100 and round(chrf.value) == 100
    with pytest.raises(InputError, match="reference"):
        rouge("a summary", "  ")


def _attention() -> CrossAttention:
    rng = np.random.default_rng(0)
    w = rng.random((2, 3, 4, 5)).astype(np.float32)
    w /= w.sum(-1, keepdims=True)
    return CrossAttention(w, ["<b>x", "cat", "cat", "sat", "</s>"], ["die", "Katze", "<i>", "."])


def test_heatmap_is_escaped_and_keeps_repeated_tokens():
    ca = _attention()
    fig = cross_attention_figure(ca, layer=None, head=1)
    heat = fig.data[0]
    np.testing.assert_allclose(np.array(heat.z), np.round(ca.weights[:, 1].mean(0), 4))
    assert list(fig.layout.xaxis.ticktext) == ["&lt;b&gt;x", "cat", "cat", "sat", "&lt;/s&gt;"]
    assert "&lt;i&gt;" in fig.layout.yaxis.ticktext and "all layers" in fig.layout.title.text
    rows = top_source_for_each_output(ca, 0, 0)
    assert len(rows) == 4 and all(0 < w <= 1 for _, _, w in rows)
