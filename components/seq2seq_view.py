"""Streamlit pieces shared by the Translate and Summarize pages."""

from __future__ import annotations

import streamlit as st

from components import state
from components.presenter import show_chart
from components.errors import show_error
from components.i18n import t
from components.model_cache import load_model
from components.sidebar import model_card
from lmlab import seq2seq, seq2seq_attention, seq2seq_engines
from lmlab.errors import LMLabError
from lmlab.loading import LoadedModel
from lmlab.scoring import Score
from lmlab.viz.seq2seq import cross_attention_figure, top_source_for_each_output

def engine_picker(task: str, pair: tuple[str, str] | None = None
                  ) -> tuple[LoadedModel | None, seq2seq_engines.EngineChoice | None]:
    """Sidebar choice of model: ready encoder-decoder models first, the fallback last."""
    try:
        choice = seq2seq_engines.engine_specs(task, pair)
    except LMLabError as error:
        show_error(error)
        return None, None
    options = choice.options
    by_id = {s.id: s for s in options}
    key = state.engine_key(task)
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = options[0].id

    def label(model_id: str) -> str:
        spec = by_id[model_id]
        return t("{name} (fallback)", name=spec.name) if spec is choice.fallback else spec.name

    with st.sidebar:
        model_id = st.selectbox(t("Model"), list(by_id), format_func=label, key=key)
        if choice.unreachable:
            st.caption(t("Needs internet (not reachable now): ")
                       + ", ".join(s.name for s in choice.unreachable))
    spec = by_id[model_id]
    loaded = load_model(spec.id, seq2seq_engines.purpose_for(spec, task))
    with st.sidebar:
        model_card(spec, loaded)
    if loaded is not None and seq2seq_engines.is_fallback(loaded):
        # The page's one fallback notice: answers below only name the model.
        job = t("translation" if task == "translate" else "summarization")
        st.warning(t("**Fallback:** no {job} model (encoder-decoder) can be reached here, so "
                     "{name}, a small chat model, does the {job} from a written instruction "
                     "as a fallback. Expect mistakes; online, LM Lab uses the real models "
                     "from its catalog.", job=job, name=spec.name))
    return loaded, choice


def result_record(loaded: LoadedModel, record: seq2seq.Seq2SeqRecord) -> dict:
    """What a page keeps of a finished run (plain data, safe in session state)."""
    attentions = seq2seq_attention.record_cross_attentions(loaded, record)
    return dict(model=loaded.spec.name, fallback=record.fallback,
                attentions=attentions, sources=[c.source for c in record.chunks],
                n_chunks=record.n_chunks, rounds=record.rounds)


def answered_by(output: dict, verb: str) -> None:
    if output.get("fallback"):  # the fallback notice above already says why
        st.caption(t("{verb} by {model}, the fallback chat model.",
                     verb=t(verb), model=output["model"]))
    else:
        st.caption(t("{verb} by {model} (encoder-decoder).",
                     verb=t(verb), model=output['model']))


def score_table(scores: list[Score]) -> None:
    cols = st.columns(len(scores))
    for col, score in zip(cols, scores):
        col.metric(score.name, f"{score.value:.1f}", help=score.explanation)


def cross_attention_section(output: dict, layer_key: str, head_key: str,
                            chunk_key: str | None = None) -> None:
    st.subheader(f"🔗 {t('Cross-attention')}")
    if output.get("fallback"):
        st.info(t("{model} is decoder-only: it has no encoder and so no cross-attention. "
                  "With an encoder-decoder model (Opus-MT, T5, BART) this section shows "
                  "which source words each output word looked at.",
                  model=output['model']))
        return
    attentions = output.get("attentions") or []
    if not attentions:
        st.info(t("The model wrote nothing, so there is no cross-attention to show."))
        return
    index = 0
    if len(attentions) > 1 and chunk_key:
        names = [t("Part {number}: {text}", number=i + 1, text=src[:60]) for i, src in enumerate(output["sources"][:len(attentions)])]
        index = st.selectbox(t("Part of the text (one model call each)"), range(len(attentions)),
                             format_func=names.__getitem__, key=chunk_key)
    ca = attentions[min(index, len(attentions) - 1)]
    col1, col2 = st.columns(2)
    layers = [None, *range(ca.n_layers)]
    heads = [None, *range(ca.n_heads)]
    with col1:
        layer = st.selectbox(t("Layer"), layers, key=layer_key,
                             format_func=lambda v: t("All layers (average)") if v is None
                             else t("Layer {number}", number=v + 1))
    with col2:
        head = st.selectbox(t("Head"), heads, key=head_key,
                            format_func=lambda v: t("All heads (average)") if v is None
                            else t("Head {number}", number=v + 1))
    st.caption(t("Each row is one output token; it shows how that token's decoder step spread its "
               "attention over the source tokens (each row sums to 1). Darker = more attention."))
    show_chart(st, cross_attention_figure(ca, layer, head), width="stretch")
    with st.expander(t("Strongest source token for each output token")):
        rows = top_source_for_each_output(ca, layer, head)
        st.dataframe([{"output token": o, "looked most at": s, "weight": round(w, 3)}
                      for o, s, w in rows], hide_index=True)
