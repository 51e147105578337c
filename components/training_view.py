"""Streamlit pieces of the training lab: corpus picker, the job loop, curves and samples.

A training job lives in st.session_state (one per session). It is advanced in
the script run, a short chunk at a time, and the placeholders are redrawn
between chunks: no worker thread, so Streamlit is only ever called from the
script thread. A rerun (Stop, or any widget change) interrupts the loop
between two chunks; the job stays in the session and resumes or stops.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import streamlit as st

from components.errors import shown_errors, shown_result
from components.presenter import show_chart
from components.i18n import t, labels
from lmlab.training import TrainingJob
from lmlab.training_data import (MAX_UPLOAD_BYTES, REPETITIVE_CORPUS, bundled_corpora,
                                 decode_upload, load_corpus)
from lmlab.viz.training import curves_figure

# Widget and session keys of these controls (pages that share them import them from here).
TRAIN_JOB = "train_job"  # the session's one training job: {"section": ..., "job": ..., ...}
TRAIN_PASTE = "train_paste"
TRAIN_UPLOAD = "train_upload"
TRAIN_METRIC = "train_metric"


CHUNK_SECONDS = 0.6  # training time between two redraws
REPETITIVE = "__repetitive__"
PASTE = "__paste__"
UPLOAD = "__upload__"
_chart_ids = itertools.count()


@dataclass
class JobRecord:
    """What the session keeps about its one training job."""

    section: str
    job: TrainingJob  # a Trainer, CompareJob or FinetuneJob
    title: str
    baseline: float | None = None  # unigram perplexity on the validation text
    extra: dict = field(default_factory=dict)


def current_job() -> JobRecord | None:
    return st.session_state.get(TRAIN_JOB)


def corpus_picker(key: str, label: str = "Corpus", default: str | None = None,
                  allow_own: bool = True) -> tuple[str, str | None]:
    """A corpus choice; returns (display name, text) or (name, None) with nothing usable yet."""
    titles = dict(bundled_corpora())
    titles[REPETITIVE] = "A tiny repetitive text (learnt in seconds)"
    if allow_own:
        titles[PASTE] = "Paste your own text"
        titles[UPLOAD] = "Upload a text file"
    options = list(titles)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    choice = st.selectbox(t(label), options, format_func=lambda k: t(titles[k]), key=key)
    if choice == REPETITIVE:
        return "repetitive text", REPETITIVE_CORPUS
    if choice == PASTE:
        text = st.text_area(t("Your text"), height=150, key=TRAIN_PASTE,
                            placeholder=t("Paste at least a few paragraphs of plain text."))
        return "your text", text
    if choice == UPLOAD:
        upload = st.file_uploader(
            t("Plain text file (UTF-8, up to {number} MB)",
              number=f"{MAX_UPLOAD_BYTES / 1e6:g}"),
            type=["txt", "md"], key=TRAIN_UPLOAD)  # plain text only
        if upload is None:
            return "your file", None
        return upload.name, shown_result(lambda: decode_upload(upload.getvalue()))
    return titles[choice], load_corpus(choice)


def show_curves(runs, baseline: float | None, total_steps: int | None, where=None) -> None:
    metric = st.session_state.get(TRAIN_METRIC, "loss")
    fig = curves_figure(runs, metric, baseline, total_steps, labels=labels())
    show_chart((where or st), fig, key=f"train_curves_{next(_chart_ids)}")


def drive(record: JobRecord, redraw) -> None:
    """Advance the job chunk by chunk in this script run, redrawing after each chunk."""
    job = record.job
    with shown_errors(on_error=job.stop):
        while not job.finished:
            job.run_for(CHUNK_SECONDS)
            redraw(record)


def progress_text(step: int, total: int, seconds: float, waiting: bool = False) -> str:
    if waiting:
        return t("Waiting for a free training slot: other people are training right now…")
    rate = step / seconds if seconds > 0 else 0.0
    return f"step {step:,} / {total:,} · {seconds:.1f} s · {rate:.1f} steps/s"


def show_outcome(trainer) -> None:
    """The one-sentence end state of a trainer: done, stopped or diverged."""
    if trainer.status == "diverged":
        st.error(trainer.message)
    elif trainer.status in ("done", "stopped") and trainer.message:
        st.success(trainer.message)


def show_sample(trainer, where=None) -> None:
    if trainer.samples:
        step, text = trainer.samples[-1]
        target = where or st
        target.caption(t("Sample · {name} · step {step}",
                         name=trainer.name, step=f"{step:,}"))
        target.code(text, language=None, wrap_lines=True)
