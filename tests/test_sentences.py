"""Sentence splitting (pysbd, plus Chinese full stops): what summarization and translation cut at."""

from lmlab.text_chunks import chunk_text, split_sentences


def test_abbreviations_and_times_do_not_end_a_sentence():
    assert split_sentences("Dr. Smith arrived at 3 p.m. in the U.S.") == [
        "Dr. Smith arrived at 3 p.m. in the U.S."]
    assert split_sentences('Dr. Smith arrived at 3 p.m. in the U.S. He said "Stop!" and left.') == [
        "Dr. Smith arrived at 3 p.m. in the U.S.", 'He said "Stop!" and left.']


def test_chinese_splits_at_full_stops_exclamation_and_question_marks():
    assert split_sentences("猫坐着。狗跑了！你好吗？我很好") == ["猫坐着。", "狗跑了！", "你好吗？", "我很好"]
    # A quoted exclamation inside a sentence does not end it; ？！ together end one sentence.
    assert split_sentences("他说：“走！”然后走了。真的吗？！是的。") == [
        "他说：“走！”然后走了。", "真的吗？！", "是的。"]


def test_chunks_never_cut_inside_an_abbreviation():
    text = "Dr. Smith arrived at 3 p.m. in the U.S. on Monday. The talk began at once."
    chunks = chunk_text(text, lambda t: len(t.split()), 12)
    assert chunks == ["Dr. Smith arrived at 3 p.m. in the U.S. on Monday.", "The talk began at once."]
