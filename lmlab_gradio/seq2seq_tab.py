"""Translate and Summarize: encoder-decoder models streaming, with their cross-attention.

Offline, where no encoder-decoder model can load, the core answers with the
embedded chat model and says so (lmlab.seq2seq.fallback_note).
"""

from __future__ import annotations

from contextlib import closing

import gradio as gr

from lmlab import languages, seq2seq, seq2seq_attention, seq2seq_engines
from lmlab.viz.seq2seq import cross_attention_figure
from lmlab_gradio.common import (CHECKED_INPUTS, SEQ2SEQ_QUEUE, as_number, as_text, handler, load,
                                 queued, seconds_for_tokens)

AUTO = seq2seq_engines.AUTO


def engine(task: str, model_id, pair: tuple[str, str] | None = None):
    """(loaded model, the sentence saying who answered): 'auto' picks the best ready model."""
    spec, choice = seq2seq_engines.choose_engine(task, as_text(model_id, "The model id"), pair)
    loaded = load(spec.id, seq2seq_engines.purpose_for(spec, task))
    return loaded, seq2seq_engines.answered_note(loaded, task, choice)


def attention_figure(loaded, record: seq2seq.Seq2SeqRecord):
    """Cross-attention of the first model call, averaged over layers and heads (or None)."""
    first = seq2seq_attention.record_cross_attentions(loaded, record, max_chunks=1)
    return cross_attention_figure(first[0]) if first else None


@handler
def cross_attention_view(answer):
    """The browser's cross-attention figure, drawn after the text has streamed.

    The text endpoints keep it out of their answer (a Plotly figure of a 64-token text is
    over 300 KB); `answer` is the (model id, purpose, record) they leave in the session.
    """
    if not answer:
        return None
    model_id, purpose, record = answer
    return attention_figure(load(model_id, purpose), record)


@handler(seconds=seconds_for_tokens(0.05, base=10))
def translate(text, source_language="en", target_language="de", model_id=AUTO, num_beams=1,
              max_new_tokens=160):
    """Translate a text, streamed, with the cross-attention of the first part when done.

    Args:
        text: The text to translate (long texts are translated in parts of whole sentences).
        source_language: The language code of the text, e.g. "en".
        target_language: The language code to translate into, e.g. "de".
        model_id: "auto" (the best model ready here) or a translation model from the catalog.
        num_beams: Beam width, 1 to 8 (1 = greedy, streamed token by token).
        max_new_tokens: The longest translation of one part, in tokens (8 to 512).
    Returns:
        The translation so far, and which model answered (the browser also draws its
        cross-attention).
    """
    pair = (as_text(source_language, "The source language"),
            as_text(target_language, "The target language"))
    params = seq2seq.Seq2SeqParams(
        max_new_tokens=as_number(max_new_tokens, "Max new tokens", 8, 512, integer=True),
        num_beams=as_number(num_beams, "Beam width", 1, 8, integer=True))
    seq2seq_engines.check_pair(*pair)
    loaded, note = engine("translate", model_id, pair)
    record = seq2seq.Seq2SeqRecord()
    out = ""
    pieces = seq2seq.translate_stream(loaded, as_text(text, "The text"), *pair, params,
                                      record=record)
    with closing(pieces):  # a cancel ends the worker
        for piece in pieces:
            out += piece
            yield out, note, None
    if record.n_chunks > 1:
        note += f" The text was translated in {record.n_chunks} parts of whole sentences."
    yield out, note, (loaded.spec.id, loaded.purpose, record)


@handler(seconds=60)
def summarize(text, words=40, model_id=AUTO, num_beams=1, progress=gr.Progress()):
    """Summarize a text, streamed; long texts are summarized in parts, then again (map-reduce).

    Args:
        text: The text to summarize.
        words: About how many words the summary should have (5 to 300).
        model_id: "auto" (the best model ready here) or a summarization model from the catalog.
        num_beams: Beam width, 1 to 8 (1 = greedy, streamed token by token).
    Returns:
        The summary so far, and which model answered (the browser also draws its
        cross-attention).
    """
    options = seq2seq.SummaryOptions(words=as_number(words, "Summary length", 5, 300, integer=True),
                                     num_beams=as_number(num_beams, "Beam width", 1, 8, integer=True))
    loaded, note = engine("summarize", model_id)
    record = seq2seq.Seq2SeqRecord()
    out = ""
    pieces = seq2seq.summarize_stream(
        loaded, as_text(text, "The text"), options,
        progress=lambda done, total, what: progress((done, total), desc=what), record=record)
    with closing(pieces):  # a cancel ends the worker
        for piece in pieces:
            out += piece
            yield out, note, None
    if record.n_chunks > 1:
        note += (f" The text was read in {record.n_chunks} parts; their summaries were "
                 "summarized again (map-reduce).")
    yield out, note, (loaded.spec.id, loaded.purpose, record)


def engine_dropdown(task: str) -> gr.Dropdown:
    specs = seq2seq_engines.engine_catalog(task)
    choices = [("Best model ready for this job", AUTO)] + [(s.name, s.id) for s in specs]
    return gr.Dropdown(choices, value=AUTO, label="Model", allow_custom_value=True)


def language_choices(codes: list[str]) -> list[tuple[str, str]]:
    return [(languages.name(code), code) for code in codes]


def build_translate() -> None:
    sources = seq2seq_engines.source_languages()
    src_default = "en" if "en" in sources else sources[0]
    with gr.Row():
        # Custom values reach the core, which names the pairs it has in one sentence.
        src = gr.Dropdown(language_choices(sources), value=src_default, label="From",
                          allow_custom_value=True)
        targets = seq2seq_engines.target_languages(src_default)
        tgt = gr.Dropdown(language_choices(targets), value=targets[0], label="To",
                          allow_custom_value=True)
        model = engine_dropdown("translate")
    with gr.Row():
        text = gr.Textbox(label=f"Text (up to {seq2seq.MAX_TRANSLATE_CHARS:,} characters)", lines=6,
                          value="The cat sat on the mat. It is raining today, so we stay at home.",
                          max_length=seq2seq.MAX_TRANSLATE_CHARS)
        output = gr.Textbox(label="Translation", lines=6, buttons=["copy"])
    with gr.Accordion("Decoding settings", open=False):
        beams = gr.Slider(1, 8, value=1, step=1, precision=0,
                          label="Beam width (1 = greedy, streamed)")
        max_new = gr.Slider(8, 512, value=160, step=8, precision=0,
                            label="Max new tokens per part (8–512)")
    run = gr.Button("Translate", variant="primary")
    note = gr.Markdown(label="Who answered")
    figure = gr.Plot(label="Cross-attention: which source tokens each output token looked at")
    src.change(lambda code: gr.Dropdown(choices=language_choices(seq2seq_engines.target_languages(code)),
                                        value=seq2seq_engines.target_languages(code)[0]),
               src, tgt, queue=False, api_visibility="private")
    answer = gr.State()
    run.click(translate, [text, src, tgt, model, beams, max_new], [output, note, answer],
              api_name="translate", **queued(SEQ2SEQ_QUEUE), **CHECKED_INPUTS).then(
        cross_attention_view, answer, figure, api_visibility="private", **queued(SEQ2SEQ_QUEUE))


def build_summarize() -> None:
    model = engine_dropdown("summarize")
    text = gr.Textbox(label=f"Text (up to {seq2seq.MAX_SUMMARY_CHARS:,} characters)", lines=10,
                      max_length=seq2seq.MAX_SUMMARY_CHARS,
                      value=("The Eiffel Tower is a wrought-iron lattice tower in Paris, France. "
                             "It is named after the engineer Gustave Eiffel, whose company "
                             "designed and built the tower for the 1889 World's Fair. Locals "
                             "first criticised its design, but it has become a global cultural "
                             "icon of France and one of the most recognisable structures in the "
                             "world. It is 330 metres tall and was the tallest man-made "
                             "structure in the world until 1930."))
    with gr.Row():
        words = gr.Slider(5, 300, value=40, step=5, precision=0, label="Summary length (words)")
        beams = gr.Slider(1, 8, value=1, step=1, precision=0,
                          label="Beam width (1 = greedy, streamed)")
    run = gr.Button("Summarize", variant="primary")
    output = gr.Textbox(label="Summary", lines=5, buttons=["copy"])
    note = gr.Markdown(label="Who answered")
    figure = gr.Plot(label="Cross-attention of the final step")
    answer = gr.State()
    run.click(summarize, [text, words, model, beams], [output, note, answer],
              api_name="summarize", **queued(SEQ2SEQ_QUEUE), **CHECKED_INPUTS).then(
        cross_attention_view, answer, figure, api_visibility="private", **queued(SEQ2SEQ_QUEUE))
