"""Widget groups that return plain parameter objects."""

from __future__ import annotations

import re
from typing import Callable, Iterator

import streamlit as st

from components.i18n import t
from components.url_state import is_locked
from lmlab.generation import (MAX_NEW_TOKENS_LIMIT, MAX_RETURN_SEQUENCES, WAITING_MESSAGE,
                              GenerationParams)

# Widget and session keys of these controls (pages that share them import them from here).
GEN_MAX_NEW_TOKENS = "gen_max_new_tokens"
GEN_STRATEGY = "gen_strategy"
GEN_TEMPERATURE = "gen_temperature"
GEN_TOP_K = "gen_top_k"
GEN_TOP_P = "gen_top_p"
GEN_SEED = "gen_seed"
GEN_BEAMS = "gen_num_beams"
GEN_REPETITION = "gen_repetition_penalty"
GEN_NUM_RETURN = "gen_num_return_sequences"


STRATEGIES = {"greedy": "Greedy (always the most likely token)",
              "sample": "Sampling (temperature, top-k, top-p)",
              "beam": "Beam search (keeps the best few continuations)"}


def decoding_controls(default_max_new_tokens: int = 64) -> GenerationParams:
    """Decoding settings with their limits shown on the widgets.

    Temperature and top-p go down to 0 on purpose: the page explains that
    both then mean greedy decoding (lmlab.generation.normalize_params).
    """
    col1, col2, col3 = st.columns(3)
    with col1:
        strategy = st.radio(t("Decoding"), list(STRATEGIES), format_func=lambda k: t(STRATEGIES[k]),
                            key=GEN_STRATEGY, disabled=is_locked("strategy"))
        max_new = st.number_input(t("Max new tokens (1–{max_new_tokens_limit})",
                                    max_new_tokens_limit=MAX_NEW_TOKENS_LIMIT),
                                  min_value=1, max_value=MAX_NEW_TOKENS_LIMIT,
                                  value=default_max_new_tokens, step=8, key=GEN_MAX_NEW_TOKENS)
        seed = st.number_input(t("Seed"), 0, 2**31 - 1, 0, key=GEN_SEED,
                               disabled=is_locked("seed"))
    sampling, beam = strategy == "sample", strategy == "beam"
    with col2:
        temperature = st.slider(t("Temperature"), 0.0, 2.0, 0.8, 0.05, disabled=not sampling or is_locked("temperature"),
                                key=GEN_TEMPERATURE, help=t("0 means greedy decoding."))
        top_k = st.slider(t("Top-k (0 = off)"), 0, 200, 50, key=GEN_TOP_K,
                          disabled=not sampling or is_locked("top_k"))
        top_p = st.slider(t("Top-p"), 0.0, 1.0, 0.95, 0.05, key=GEN_TOP_P,
                          disabled=not sampling or is_locked("top_p"),
                          help=t("1 = off; 0 keeps only the most likely token (greedy)."))
    with col3:
        beams = st.slider(t("Beams"), 2, 8, 4, key=GEN_BEAMS,
                          disabled=not beam or is_locked("beams"))
        repetition = st.slider(t("Repetition penalty"), 1.0, 2.0, 1.0, 0.05,
                               key=GEN_REPETITION, help=t("1 = off; above 1 discourages "
                               "tokens that are already in the text."))
        outputs = st.number_input(t("Outputs (1–{max_return_sequences})",
                                    max_return_sequences=MAX_RETURN_SEQUENCES), 1,
                                  MAX_RETURN_SEQUENCES, 1, disabled=strategy == "greedy",
                                  key=GEN_NUM_RETURN,
                                  help=t("Several texts from one prompt (sampling or beams)."))
    return GenerationParams(max_new_tokens=int(max_new), do_sample=sampling,
                            temperature=float(temperature), top_k=int(top_k),
                            top_p=float(top_p), seed=int(seed),
                            num_beams=int(beams) if beam else 1,
                            repetition_penalty=float(repetition),
                            num_return_sequences=1 if strategy == "greedy" else int(outputs))


def busy_notice() -> Callable[..., None]:
    """A placeholder that says "waiting" (and the place in line) while others use the model.

    Returns the `on_wait` callback for lmlab.generation; it runs in the script
    thread (the generator is consumed there), so it may draw. The model layer calls
    it again whenever the place changes (lmlab.turns.QueuePlace).
    """
    box = st.empty()

    def on_wait(place=None) -> None:
        if place is not None and getattr(place, "position", 0) > 0:
            box.info(f"⏳ {place.sentence()}")
        else:
            box.info(f"⏳ {WAITING_MESSAGE}")

    on_wait.clear = box.empty  # type: ignore[attr-defined]
    return on_wait


def stream_into_page(pieces: Iterator[str], keep: dict, key: str = "text") -> str:
    """st.write_stream that keeps what arrived in `keep[key]` and always closes the stream.

    A Stop click (or any widget) reruns the script by raising inside write_stream;
    that exception's traceback keeps the generators alive, so without close() the
    model would go on generating for nobody while holding its lock. What streamed
    before the rerun stays in `keep` (session state), so nothing is lost.
    """
    def kept() -> Iterator[str]:
        for piece in pieces:
            keep[key] += piece
            yield piece

    stream = kept()
    try:
        st.write_stream(stream)
    finally:
        stream.close()
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # a for loop does not pass close() on to the model's stream
    return keep[key]


_POSITION_LABEL = re.compile(r"#(\d+)\b")


def keep_position(key: str, n_tokens: int) -> None:
    """Before a token-position selectbox is drawn: make its remembered value a position of
    this run's text (0 .. n_tokens - 1; the last token when it is out of range).

    Its labels name the tokens ("#8 ␣of"), so a new text changes the labels while the value
    stays. Until the page sets the value again, the browser sends back the old label, and
    Streamlit hands that string over as the value; its number is the student's position.
    """
    if key not in st.session_state:
        return
    value = st.session_state[key]
    if isinstance(value, str):
        found = _POSITION_LABEL.match(value)
        value = int(found.group(1)) if found else None
    if not isinstance(value, int) or not 0 <= value < n_tokens:
        value = n_tokens - 1
    if value != st.session_state[key]:
        st.session_state[key] = value
