"""Training lab: train a small LSTM or Transformer live, compare them, fine-tune, fill [MASK]."""

from dataclasses import replace

import streamlit as st

from components.navigation import use_router
from components.training_view import TRAIN_METRIC
from components.training_view import TRAIN_JOB
from components.errors import shown_errors, shown_result
from components.i18n import t, labels
from components import url_state
from components.lessons import show_lesson
from components.presenter import show_chart
from components.model_cache import load_model
from components.training_view import (JobRecord, corpus_picker, current_job, drive,
                                      progress_text, show_curves, show_outcome, show_sample)
from lmlab.errors import LMLabError
from lmlab.fill_mask import fill_mask_hub, fill_mask_small
from lmlab.finetune import FinetuneJob
from lmlab.registry import models_for
from lmlab.sources import is_available
from lmlab.training import MAX_LR, MAX_STEPS, CompareJob, TrainConfig, new_masked_trainer, new_trainer
from lmlab.training_data import TextDataset, unigram_perplexity
from lmlab.training_models import DEFAULT_SIZE, SIZES
from lmlab.viz.training import finetune_figure, predictions_figure

# This page's widget and session keys (keys shared between pages live in components.state).
TRAIN_SECTION = "train_section"
TRAIN_CORPUS = "train_corpus"
TRAIN_ARCH = "train_architecture"
TRAIN_SIZE = "train_size"
TRAIN_LEVEL = "train_level"
TRAIN_LR = "train_lr"
TRAIN_STEPS = "train_steps"
TRAIN_RUN = "train_run"
TRAIN_STOP = "train_stop"
TRAIN_PROMPT = "train_prompt"
TRAIN_SAMPLE = "train_sample"
TRAIN_SAMPLE_OUTPUT = "train_sample_output"
TRAIN_CORPUS_A = "train_corpus_a"
TRAIN_CORPUS_B = "train_corpus_b"
TRAIN_FT_STEPS = "train_finetune_steps"
TRAIN_MASK_SENTENCE = "train_mask_sentence"
TRAIN_MASK_MODEL = "train_mask_model"
TRAIN_MASK_FILL = "train_mask_fill"
TRAIN_MASK_OUTPUT = "train_mask_output"


use_router()

SECTIONS = {"train": "Train a model", "compare": "LSTM vs Transformer",
            "finetune": "Pretrain, then fine-tune", "masked": "Masked LM"}
ARCH_NAMES = {"transformer": "Transformer", "lstm": "LSTM"}
LEVEL_NAMES = {"char": "Characters", "word": "Words"}


def size_name(name: str) -> str:
    w = SIZES[name]
    return t("{name} · {width}-wide, {layers} layer(s), context {context}", name=t(name),
             width=w["n_embd"], layers=w["n_layer"], context=w["block_size"])



st.title(f"🏋️ {t('Training lab')}")
show_lesson("train")
url = url_state.PageURL("train")  # ?section=…
url.bind(url_state.choice("section", TRAIN_SECTION, next(iter(SECTIONS)), list(SECTIONS),
                          what="section"))
section = st.radio(t("Section"), list(SECTIONS), format_func=lambda s: t(SECTIONS[s]),
                   horizontal=True, key=TRAIN_SECTION, label_visibility="collapsed",
                   disabled=url.locked("section"))
record = current_job()


def size_level_controls(level: bool = True) -> tuple[str, str]:
    size = st.selectbox(t("Model size"), list(SIZES), index=list(SIZES).index(DEFAULT_SIZE),
                        format_func=size_name, key=TRAIN_SIZE)
    lvl = (st.radio(t("Tokens"), list(LEVEL_NAMES), format_func=lambda v: t(LEVEL_NAMES[v]),
                    horizontal=True, key=TRAIN_LEVEL) if level else "word")
    return size, lvl


def lr_steps_controls(default_steps: int = 300, default_lr: float = 3e-3) -> TrainConfig:
    left, right = st.columns(2)
    lr = left.number_input(t("Learning rate"), min_value=1e-5, max_value=MAX_LR, value=default_lr,
                           step=1e-3, format="%g", key=TRAIN_LR,
                           help=t("Adam's step size. 0.001 to 0.01 works; try 10 to see training "
                                "blow up."))
    steps = right.number_input(t("Steps"), min_value=10, max_value=MAX_STEPS,
                               value=default_steps, step=50, key=TRAIN_STEPS,
                               help=t("At most {max_steps}, so a whole class can share one server.",
                                      max_steps=f"{MAX_STEPS:,}"))
    return TrainConfig(lr=float(lr), steps=int(steps))


def buttons(label: str) -> bool:
    go, stop = st.columns([1, 1])
    run = go.button(t(label), type="primary", key=TRAIN_RUN)
    # Always enabled: the job may have started in this very run, after the button was drawn.
    if stop.button(t("Stop"), key=TRAIN_STOP,
                   help=t("Stops training; the model keeps what it has learnt so far.")) and record:
        record.job.stop()
    return run


def start(new_record) -> JobRecord | None:
    """Replace the session's job (one per session) with a new one, or show why not."""
    made = shown_result(new_record)
    if made is None:
        return record
    st.session_state[TRAIN_JOB] = made
    st.session_state.pop(TRAIN_SAMPLE_OUTPUT, None)
    st.session_state.pop(TRAIN_MASK_OUTPUT, None)
    return made


def other_job_note() -> None:
    if record is not None and record.section != section and not record.job.finished:
        st.info(t("Your “{section}” job is paused while you are here; go back to continue it. "
                  "Starting a job here replaces it (one job per person).",
                  section=t(SECTIONS[record.section])))


def watch(rec: JobRecord, draw) -> None:
    """Draw the job, advance it if it is still running, then show how it ended."""
    area = st.empty()

    def redraw(r):
        with area.container():
            draw(r)

    redraw(rec)
    if not rec.job.finished:
        drive(rec, redraw)


# ---------------------------------------------------------------- train one model
def train_section():
    left, right = st.columns(2)
    with left:
        name, text = corpus_picker(TRAIN_CORPUS)
    with right:
        arch = st.radio(t("Model"), list(ARCH_NAMES), format_func=lambda k: t(ARCH_NAMES[k]), horizontal=True,
                        key=TRAIN_ARCH)
        size, level = size_level_controls()
    config = lr_steps_controls()
    if buttons("Train"):
        def make():
            data = TextDataset.from_text(text, level=level, name=name)
            trainer = new_trainer(data, arch, size, config, name=ARCH_NAMES[arch])
            return JobRecord("train", trainer, f"{ARCH_NAMES[arch]} on {name}",
                             unigram_perplexity(data))
        return start(make)
    return record


def trainer_progress(trainer) -> int:
    """The progress bar of one trainer; returns its planned number of steps."""
    total = trainer.config.steps
    st.progress(min(1.0, trainer.step / total),
                text=progress_text(trainer.step, total, trainer.seconds, trainer.waiting))
    return total


def draw_single(rec: JobRecord) -> None:
    trainer = rec.job
    total = trainer_progress(trainer)
    last = trainer.last
    cols = st.columns(4)
    cols[0].metric(t("Parameters"), f"{trainer.n_params:,}")
    cols[1].metric(t("Validation loss"), f"{last.val_loss:.3f}" if last else "…")
    cols[2].metric(t("Perplexity"), f"{last.val_perplexity:.2f}" if last else "…",
                   help=t("exp(validation loss): about how many tokens the model is choosing among."))
    cols[3].metric(t("Unigram baseline"), f"{rec.baseline:.2f}",
                   help=t("Perplexity of a model that only knows how often each token occurs."))
    show_curves([(trainer.name, trainer.history)], rec.baseline, total)
    show_sample(trainer)


def try_model(rec: JobRecord) -> None:
    trainer = rec.job
    if trainer.config.objective != "causal" or not trainer.finished:
        return
    st.subheader(t("Try the model"))
    prompt = st.text_input(t("Start of the text"), value="", key=TRAIN_PROMPT,
                           placeholder=t("Leave empty to start from the first token"))
    if st.button(t("Generate"), key=TRAIN_SAMPLE):
        with shown_errors():
            st.session_state[TRAIN_SAMPLE_OUTPUT] = trainer.sample(prompt, length=300)
    if st.session_state.get(TRAIN_SAMPLE_OUTPUT):
        st.code(st.session_state[TRAIN_SAMPLE_OUTPUT], language=None, wrap_lines=True)


# ---------------------------------------------------------------- LSTM vs Transformer
def compare_section():
    left, right = st.columns(2)
    with left:
        name, text = corpus_picker(TRAIN_CORPUS)
    with right:
        size, level = size_level_controls()
    config = lr_steps_controls()
    if buttons("Train both"):
        def make():
            data = TextDataset.from_text(text, level=level, name=name)
            job = CompareJob([new_trainer(data, arch, size, config, name=ARCH_NAMES[arch])
                              for arch in ("lstm", "transformer")])
            return JobRecord("compare", job, f"LSTM vs Transformer on {name}",
                             unigram_perplexity(data))
        return start(make)
    return record


def draw_compare(rec: JobRecord) -> None:
    trainers = rec.job.trainers
    done = sum(tr.step for tr in trainers)
    total = sum(tr.config.steps for tr in trainers)
    st.progress(min(1.0, done / total), text=progress_text(
        done, total, sum(tr.seconds for tr in trainers), rec.job.waiting))
    show_curves([(tr.name, tr.history) for tr in trainers], rec.baseline, trainers[0].config.steps)
    rows = [{t("Model"): tr.name, t("Parameters"): f"{tr.n_params:,}", "steps": tr.step,
             "steps/s": round(tr.step / tr.seconds, 1) if tr.seconds else None,
             t("Validation loss"): round(tr.last.val_loss, 3) if tr.last else None,
             t("Perplexity"): round(tr.last.val_perplexity, 2) if tr.last else None}
            for tr in trainers]
    st.dataframe(rows, hide_index=True)
    st.caption(t("Unigram baseline: perplexity {baseline}", baseline=f"{rec.baseline:.2f}"))
    cols = st.columns(len(trainers))
    for col, tr in zip(cols, trainers):
        show_sample(tr, col)


# ---------------------------------------------------------------- pretrain, then fine-tune
def finetune_section():
    left, right = st.columns(2)
    with left:
        name_a, text_a = corpus_picker(TRAIN_CORPUS_A, "Corpus A (pretraining)",
                                       default="shakespeare_macbeth", allow_own=False)
        name_b, text_b = corpus_picker(TRAIN_CORPUS_B, "Corpus B (fine-tuning)",
                                       default="shakespeare_sonnets")
    with right:
        arch = st.radio(t("Model"), list(ARCH_NAMES), format_func=lambda k: t(ARCH_NAMES[k]), horizontal=True,
                        key=TRAIN_ARCH)
        size, level = size_level_controls()
    config = lr_steps_controls()
    ft_steps = st.number_input(t("Fine-tuning steps"), min_value=10, max_value=MAX_STEPS,
                               value=150, step=50, key=TRAIN_FT_STEPS)
    if buttons("Pretrain, then fine-tune"):
        def make():
            if name_a == name_b:
                raise LMLabError("Pick two different corpora: fine-tuning is about moving a "
                                 "model from A to B.")
            job = FinetuneJob.build(text_a, text_b, arch, size, config,
                                    replace(config, steps=int(ft_steps)), level, name_a, name_b)
            return JobRecord("finetune", job, f"{ARCH_NAMES[arch]}: {name_a} → {name_b}",
                             unigram_perplexity(job.corpus_b))
        return start(make)
    return record


def draw_finetune(rec: JobRecord) -> None:
    job = rec.job
    pre, ft = job.pretrain, job.finetune
    done = pre.step + (ft.step if ft else 0)
    total = pre.config.steps + job.finetune_config.steps
    st.progress(min(1.0, done / total), text=f"{job.phase} · " + progress_text(
        done, total, pre.seconds + (ft.seconds if ft else 0), job.waiting))
    runs = [(f"pretrain · val on {job.corpus_a.name}", pre.history)]
    if ft:
        runs.append((f"fine-tune · val on {job.corpus_b.name}",
                     [replace(p, step=p.step + pre.step) for p in ft.history]))
    show_curves(runs, None, total)
    show_chart(st, finetune_figure(job.table, labels=labels()), key=f"ft_table_{done}_{len(job.table)}")
    rows = [{"stage": stage, **{f"perplexity on {k}": round(v, 2) for k, v in values.items()}}
            for stage, values in job.table.items()]
    st.dataframe(rows, hide_index=True)
    cols = st.columns(2)
    show_sample(pre, cols[0])
    if ft:
        show_sample(ft, cols[1])


# ---------------------------------------------------------------- masked LM
def masked_section():
    left, right = st.columns(2)
    with left:
        name, text = corpus_picker(TRAIN_CORPUS)
    with right:
        size, _ = size_level_controls(level=False)
        st.caption(t("The masked model reads whole words, lower-cased, and sees the words on "
                   "both sides of each hidden one."))
    config = lr_steps_controls(default_steps=400, default_lr=3e-3)
    if buttons("Train the masked model"):
        def make():
            data = TextDataset.from_text(text, level="word", masked=True, name=name)
            trainer = new_masked_trainer(data, size, config)
            return JobRecord("masked", trainer, f"masked LM on {name}")
        return start(make)
    return record


def draw_masked(rec: JobRecord) -> None:
    trainer = rec.job
    total = trainer_progress(trainer)
    st.caption(t("Loss on the hidden (masked) words only; perplexity = exp(loss)."))
    show_curves([(trainer.name, trainer.history)], None, total)


def fill_mask_view(rec: JobRecord | None) -> None:
    st.subheader(t("Fill in [MASK]"))
    sentence = st.text_input(t("Sentence with one [MASK]"), value="fair is foul, and foul is [MASK].",
                             key=TRAIN_MASK_SENTENCE)
    specs = {s.id: s for s in models_for("fill-mask")}
    options = list(specs)
    if options and st.session_state.get(TRAIN_MASK_MODEL) not in options:
        available = [i for i in options if is_available(specs[i])]
        st.session_state[TRAIN_MASK_MODEL] = (available or options)[0]
    hub_id = (st.selectbox(t("Pretrained model beside yours"), options, key=TRAIN_MASK_MODEL,
                           format_func=lambda i: specs[i].name) if options else None)
    if st.button(t("Fill in"), key=TRAIN_MASK_FILL):
        output = {}
        small = rec.job if rec is not None and rec.section == "masked" else None
        with shown_errors():
            if small is not None and small.history:
                output["Your small masked LM"] = fill_mask_small(small.model, small.dataset,
                                                                 sentence, top_k=5)
            if hub_id and is_available(specs[hub_id]):
                loaded = load_model(hub_id, "inspect")
                if loaded is not None:
                    output[specs[hub_id].name] = fill_mask_hub(loaded, sentence, top_k=5)
            output["_note"] = ""
            if hub_id and not is_available(specs[hub_id]):
                output["_note"] = (f"{specs[hub_id].name} needs the Hugging Face Hub, which is not "
                                   "reachable from here, so only your small model answers.")
            st.session_state[TRAIN_MASK_OUTPUT] = output
    output = st.session_state.get(TRAIN_MASK_OUTPUT)
    if output:
        if output.get("_note"):
            st.info(output["_note"])
        answers = {k: v for k, v in output.items() if k != "_note"}
        if not answers:
            st.info(t("Train the small masked model above first; its guesses appear here."))
        cols = st.columns(max(1, len(answers)))
        for col, (who, predictions) in zip(cols, answers.items()):
            show_chart(col, predictions_figure(predictions, who, labels=labels()),
                             key=f"mask_{who}_{sentence}")


# ---------------------------------------------------------------- layout
other_job_note()
makers = {"train": train_section, "compare": compare_section, "finetune": finetune_section,
          "masked": masked_section}
draws = {"train": draw_single, "compare": draw_compare, "finetune": draw_finetune,
         "masked": draw_masked}
record = makers[section]()
st.radio(t("Show"), ["loss", "perplexity"], horizontal=True, key=TRAIN_METRIC,
         format_func=lambda m: t("Loss") if m == "loss" else t("Perplexity"))
if record is not None and record.section == section:
    st.caption(record.title)
    watch(record, draws[section])
    for trainer in record.job.trainers:
        show_outcome(trainer)
    if section == "train":
        try_model(record)
elif section != "masked":
    st.info(t("Pick a corpus and a model, then press the button to start training."))
if section == "masked":
    fill_mask_view(record)
if record is not None and record.section == section and isinstance(record.job, FinetuneJob) \
        and record.job.finished and len(record.job.table) == 3:
    a, b = record.job.corpus_a.name, record.job.corpus_b.name
    before, after = (record.job.table[s] for s in list(record.job.table)[1:])
    st.markdown(t("Fine-tuning changed perplexity on **{b}** from {value} to {value2}, and "
                  "on **{a}** from {value3} to {value4}.",
                  b=b, value=f"{before[b]:.2f}", value2=f"{after[b]:.2f}", a=a, value3=f"{before[a]:.2f}", value4=f"{after[a]:.2f}"))
