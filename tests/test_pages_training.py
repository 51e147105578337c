"""AppTest runs of the training lab: train, compare, fine-tune, masked LM, stop, bad input."""

import pytest
from apptest_helpers import all_text, open_page

from components.training_view import REPETITIVE, JobRecord
from lmlab.training import TrainConfig, new_trainer
from lmlab.training_data import REPETITIVE_CORPUS, TextDataset

TIMEOUT = 180


@pytest.fixture()
def at():
    at = open_page("pages/train.py", timeout=TIMEOUT)
    at.selectbox(key="train_size").set_value("tiny")
    at.number_input(key="train_steps").set_value(20)
    return at


def section(at, name):
    at.radio(key="train_section").set_value(name).run()
    assert not at.exception
    return at


def test_page_opens_with_its_lesson(at):
    text = all_text(at)
    assert "Training lab" in text and "press the button to start training" in text
    assert any("Lesson" in e.label for e in at.expander)


def test_training_shows_curve_metrics_and_a_sample(at):
    at.selectbox(key="train_corpus").set_value(REPETITIVE)
    at.button(key="train_run").click().run()
    assert not at.exception and not at.error
    job = at.session_state["train_job"].job
    assert job.status == "done" and job.step == 20
    assert [e.value for e in at.success] == ["Finished 20 steps in " + f"{job.seconds:.1f} s."]
    assert len(at.get("plotly_chart")) >= 1
    assert any(e.label == "Perplexity" and e.value == f"{job.last.val_perplexity:.2f}"
               for e in at.metric)
    assert at.code and at.code[0].value == job.samples[-1][1]
    at.button(key="train_sample").click().run()  # try the trained model
    assert at.session_state["train_sample_output"]


@pytest.mark.parametrize("text", ["", "a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
def test_unusable_corpus_gets_one_sentence(at, text):
    at.selectbox(key="train_corpus").set_value("__paste__").run()
    at.text_area(key="train_paste").set_value(text)
    at.button(key="train_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "corpus" in at.error[0].value
    assert "train_job" not in at.session_state


def test_learning_rate_ten_stops_with_a_clear_message(at):
    at.selectbox(key="train_corpus").set_value(REPETITIVE)
    at.number_input(key="train_lr").set_value(10.0)
    at.button(key="train_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "learning rate 10 is too large" in at.error[0].value
    assert at.session_state["train_job"].job.status == "diverged"


def test_stop_keeps_a_usable_model(at):
    data = TextDataset.from_text(REPETITIVE_CORPUS)
    trainer = new_trainer(data, "lstm", "tiny", TrainConfig(steps=2000))
    trainer.run_steps(3)
    at.session_state["train_job"] = JobRecord("train", trainer, "a running job", 10.0)
    at.button(key="train_stop").click().run()
    assert not at.exception
    assert trainer.status == "stopped" and trainer.step == 3
    assert [e.value for e in at.success] == ["Stopped at step 3 of 2,000."]
    assert len(trainer.sample(length=5)) == 6


def test_lstm_and_transformer_on_one_plot(at):
    section(at, "compare")
    at.selectbox(key="train_corpus").set_value(REPETITIVE)
    at.button(key="train_run").click().run()
    assert not at.exception and not at.error
    job = at.session_state["train_job"].job
    assert [t.name for t in job.trainers] == ["LSTM", "Transformer"]
    assert all(t.status == "done" for t in job.trainers)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 2


def test_pretrain_then_fine_tune_reports_both_corpora(at):
    section(at, "finetune")
    at.number_input(key="train_finetune_steps").set_value(10)
    at.button(key="train_run").click().run()
    assert not at.exception and not at.error
    job = at.session_state["train_job"].job
    assert job.finished and len(job.table) == 3
    assert "Fine-tuning changed perplexity on" in all_text(at)


def test_same_corpus_twice_is_refused(at):
    section(at, "finetune")
    at.selectbox(key="train_corpus_b").set_value("shakespeare_macbeth")
    at.button(key="train_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "two different corpora" in at.error[0].value


def test_masked_lm_fills_the_mask_beside_a_hub_model(tiny_catalog):
    at = open_page("pages/train.py", timeout=TIMEOUT)
    section(at, "masked")
    at.selectbox(key="train_size").set_value("tiny")
    at.number_input(key="train_steps").set_value(30)
    at.selectbox(key="train_corpus").set_value(REPETITIVE)
    at.button(key="train_run").click().run()
    assert not at.exception and not at.error
    assert at.selectbox(key="train_mask_model").value == "tiny/bert"
    at.text_input(key="train_mask_sentence").set_value("the cat sat on the [MASK] .")
    at.button(key="train_mask_fill").click().run()
    assert not at.exception and not at.error
    output = at.session_state["train_mask_output"]
    assert set(output) == {"Your small masked LM", "Tiny BERT", "_note"}
    assert len(output["Your small masked LM"]) == 5


def test_hub_fill_mask_offline_says_so(at):
    section(at, "masked")
    at.selectbox(key="train_mask_model").set_value("bert-base-uncased")
    at.button(key="train_mask_fill").click().run()
    assert not at.exception and not at.error
    notes = [e.value for e in at.info]
    assert any("needs the Hugging Face Hub" in n for n in notes)
    assert any("Train the small masked model above first" in n for n in notes)
