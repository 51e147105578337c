"""Translation, chunked summarization and cross-attention on tiny random Marian and T5."""

import numpy as np
import pytest
import torch

from lmlab import seq2seq, seq2seq_attention, seq2seq_engines
from lmlab.errors import InputError
from lmlab.seq2seq import Seq2SeqParams, Seq2SeqRecord, SummaryOptions

TEXT = "The cat sat on the mat. The dog sat on the rug. Hello world!"


@pytest.fixture()
def local_seq2seq(monkeypatch, tiny_catalog):
    monkeypatch.setenv("LMLAB_LOCAL_SEQ2SEQ", "1")


@pytest.fixture()
def marian(store, local_seq2seq):
    return store.get("tiny/marian-en-de", "inspect")


@pytest.fixture()
def t5(store, local_seq2seq):
    return store.get("tiny/t5", "inspect")


def test_streamed_translation_is_the_greedy_output(marian):
    record = Seq2SeqRecord()
    params = Seq2SeqParams(max_new_tokens=12)
    pieces = list(seq2seq.translate_stream(marian, TEXT, "en", "de", params, record=record))
    assert len(record.chunks) == record.n_chunks == 1
    chunk = record.chunks[0]
    # The same source through model.generate directly gives the same tokens.
    ids = torch.tensor([chunk.input_ids])
    direct = marian.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                   max_new_tokens=12, do_sample=False, num_beams=1)
    assert chunk.output_ids == seq2seq._finish_ids(marian, direct[0, 1:].tolist())
    assert "".join(pieces) == marian.tokenizer.decode(chunk.output_ids, skip_special_tokens=True)
    assert record.input_tokens == len(chunk.input_ids) and record.generated_tokens > 0


def test_long_translation_goes_in_sentence_parts_in_order(marian, monkeypatch):
    monkeypatch.setattr(seq2seq, "TRANSLATE_CHUNK_TOKENS", 12)
    record = Seq2SeqRecord()
    seq2seq.translate_text(marian, TEXT, "en", "de", Seq2SeqParams(max_new_tokens=4), record)
    assert record.n_chunks > 1 and len(record.chunks) == record.n_chunks
    assert " ".join(c.source for c in record.chunks) == TEXT


def test_beam_search_translation(marian):
    out = seq2seq.translate_text(marian, TEXT, "en", "de", Seq2SeqParams(max_new_tokens=8,
                                                                          num_beams=3))
    assert isinstance(out, str) and out


def test_cross_attention_shape_and_rows(marian):
    record = Seq2SeqRecord()
    seq2seq.translate_text(marian, TEXT, "en", "de", Seq2SeqParams(max_new_tokens=10), record)
    chunk = record.chunks[0]
    ca = seq2seq_attention.cross_attention(marian, chunk.input_ids, chunk.output_ids)
    cfg = marian.model.config
    assert ca.weights.shape == (cfg.decoder_layers, cfg.decoder_attention_heads,
                                len(chunk.output_ids), len(chunk.input_ids))
    np.testing.assert_allclose(ca.weights.sum(-1), 1.0, atol=1e-5)
    assert len(ca.source_tokens) == len(chunk.input_ids)
    assert len(ca.target_tokens) == len(chunk.output_ids)
    assert ca.view().shape == ca.weights.shape[2:]
    np.testing.assert_allclose(ca.view(1, 2), ca.weights[1, 2])


def test_cross_attention_equals_what_decoding_used(marian):
    """The teacher-forced pass reproduces the weights of each generation step."""
    record = Seq2SeqRecord()
    seq2seq.translate_text(marian, TEXT, "en", "de", Seq2SeqParams(max_new_tokens=6), record)
    chunk = record.chunks[0]
    ca = seq2seq_attention.cross_attention(marian, chunk.input_ids, chunk.output_ids)
    ids = torch.tensor([chunk.input_ids])
    with marian.eager_attention() as model:
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=6,
                             do_sample=False, output_attentions=True, return_dict_in_generate=True)
    for step, layers in enumerate(out.cross_attentions[: len(chunk.output_ids)]):
        for layer, weights in enumerate(layers):  # (1, H, 1, S)
            np.testing.assert_allclose(ca.weights[layer, :, step], weights[0, :, -1].numpy(),
                                       atol=1e-5)


def test_t5_reads_its_task_prefix(t5):
    ids, _ = seq2seq.model_inputs(t5, ["the cat sat ."], "", seq2seq._t5_prefix(t5, "summarize"))
    assert t5.tokenizer.decode(ids[0]).startswith("summarize:")


def test_chunked_summary_keeps_order_and_reports_progress(t5):
    text = " ".join(f"the cat sat on the mat {i} ." for i in range(12))
    calls = []
    record = Seq2SeqRecord()
    options = SummaryOptions(words=5, chunk_tokens=40, batch_size=3)
    summary = seq2seq.summarize_text(t5, text, options, lambda *a: calls.append(a), record)
    assert isinstance(summary, str)
    assert record.n_chunks > 1 and len(record.rounds[0]) == record.n_chunks
    # Progress: model calls counted up in order, and the last report is the final step.
    done = [c[0] for c in calls]
    assert done == sorted(done) and calls[-1][2] == "Writing the final summary"
    assert calls[-1][0] == len(calls) - 1 or calls[-1][0] >= record.n_chunks
    # Order kept: partial i is the summary of chunk i, computed on its own.
    count = seq2seq.token_counter(t5)
    limit = min(options.chunk_tokens, seq2seq.source_limit(t5) - count("summarize: ") - 8)
    chunks = seq2seq.chunk_text(text, count, limit)
    params = options.params(fallback=False)
    for i, chunk in enumerate(chunks):
        ids, mask = seq2seq.model_inputs(t5, [chunk], "", "summarize: ")
        alone = seq2seq.generate_batch(t5, ids, mask, params)[0]
        assert record.rounds[0][i] == t5.tokenizer.decode(alone, skip_special_tokens=True).strip()


def test_fallback_translates_with_a_prompt_and_says_so(store, tiny_catalog, monkeypatch):
    monkeypatch.setattr(seq2seq_engines, "FALLBACK_MODEL_ID", "tiny/llama-chat")
    choice = seq2seq_engines.engine_specs("translate", ("en", "de"))
    assert choice.ready == []  # the random tiny Marian is not offered as a translator
    assert choice.options == [choice.fallback] and choice.fallback.id == "tiny/llama-chat"
    assert "Helsinki-NLP/opus-mt-en-de" in [s.id for s in choice.unreachable]
    loaded = store.get(choice.fallback.id)
    record = Seq2SeqRecord()
    seq2seq.translate_text(loaded, TEXT, "en", "de", Seq2SeqParams(max_new_tokens=6), record)
    assert record.fallback and record.generated_tokens > 0
    prompt = loaded.tokenizer.decode(record.chunks[0].input_ids)
    assert seq2seq.translation_instruction("en", "de") in prompt and TEXT in prompt
    note = seq2seq_engines.fallback_note(loaded, "translate", choice.unreachable)
    assert "Tiny Llama (chat)" in note and "fallback" in note and "Opus-MT en→de" in note
    with pytest.raises(InputError, match="decoder-only"):
        seq2seq_attention.cross_attention(loaded, record.chunks[0].input_ids, record.chunks[0].output_ids)


def test_fallback_batches_pad_on_the_left_without_changing_outputs(store, tiny_catalog):
    """The map step batches chunks for the chat model: padding must not change its output."""
    loaded = store.get("tiny/llama-chat")
    texts = ["the dog sat on the rug .", "a king and a queen ruled the land . the cat sat ."]
    params = SummaryOptions(words=5).params(fallback=True)
    instruction = seq2seq.summary_instruction(5)
    ids, mask = seq2seq.model_inputs(loaded, texts, instruction, "")
    assert mask[0, 0] == 0 and mask[0, -1] == 1  # the shorter prompt is padded on the left
    batched = seq2seq.generate_batch(loaded, ids, mask, params)
    for text, out in zip(texts, batched):
        one_ids, one_mask = seq2seq.model_inputs(loaded, [text], instruction, "")
        assert seq2seq.generate_batch(loaded, one_ids, one_mask, params)[0] == out


def test_local_models_count_only_when_allowed(tiny_catalog, monkeypatch):
    monkeypatch.delenv("LMLAB_LOCAL_SEQ2SEQ", raising=False)
    assert ("en", "de") in seq2seq_engines.language_pairs()  # from Opus-MT in the catalog
    assert not seq2seq_engines.counts_as_published(tiny_catalog["tiny/marian-en-de"])
    monkeypatch.setenv("LMLAB_LOCAL_SEQ2SEQ", "1")
    ready = seq2seq_engines.engine_specs("translate", ("en", "de")).ready
    assert [s.id for s in ready] == ["tiny/marian-en-de"]


def test_pairs_cover_english_with_chinese_german_french_both_ways():
    pairs = set(seq2seq_engines.language_pairs())
    for other in ("zh", "de", "fr"):
        assert ("en", other) in pairs and (other, "en") in pairs


@pytest.mark.parametrize("text, match", [
    ("", "Please type or paste some text to translate first."),
    ("   \n ", "Please type or paste some text to translate first."),
    ("Der Hund schläft auf dem Sofa, und die Katze sitzt auf dem Teppich im Haus.",
     "looks like German, not English: swap the languages"),
    ("今天下雨了，所以我们待在家里看书。猫坐在垫子上。", "looks like Chinese, not English"),
])
def test_bad_translation_input_gets_one_sentence(marian, text, match):
    with pytest.raises(InputError, match=match):
        seq2seq.translate_text(marian, text, "en", "de", Seq2SeqParams())


def test_two_hundred_pages_are_refused_with_the_limit(t5):
    text = "The cat sat on the mat. " * 21_000  # ~500,000 characters, about 200 pages
    with pytest.raises(InputError) as info:
        seq2seq.summarize_text(t5, text, SummaryOptions())
    message = str(info.value)
    assert "about 202 pages" in message and f"{seq2seq.MAX_SUMMARY_CHARS:,}" in message
    assert message.count(".") == 1


def test_unknown_pair_gets_one_sentence():
    with pytest.raises(InputError, match="no translation model for English → xx"):
        seq2seq_engines.check_pair("en", "xx")
    with pytest.raises(InputError, match="no translation model"):
        seq2seq_engines.engine_specs("translate", ("de", "fr"))


def test_model_for_another_pair_is_refused(marian):
    with pytest.raises(InputError, match="does not translate English → French"):
        seq2seq.translate_text(marian, TEXT, "en", "fr", Seq2SeqParams())


def test_compression_ratio_counts_words_and_chinese_characters():
    assert seq2seq.compression_ratio("one two three four", "one two") == 2
    assert seq2seq.compression_ratio("猫坐在垫子上", "猫坐") == 3
    assert seq2seq.compression_ratio("some text", "  ") is None


def test_which_copy_each_task_loads(monkeypatch):
    from lmlab.registry import get_spec

    fallback = get_spec(seq2seq_engines.FALLBACK_MODEL_ID)
    marian = get_spec("Helsinki-NLP/opus-mt-en-de")
    monkeypatch.setenv("LMLAB_DEVICE", "cpu")
    assert seq2seq_engines.purpose_for(marian, "translate") == "inspect"  # exact cross-attention
    assert seq2seq_engines.purpose_for(fallback, "summarize") == "inspect"  # long prompts: float32 on CPU
    assert seq2seq_engines.purpose_for(fallback, "translate") == "generate"  # short: fastest decoding
