"""AppTest runs of the Embedding projector and GloVe pages."""

import pytest
from apptest_helpers import last_memo, all_text, open_page

from components import state
from lmlab.registry import get_spec
from lmlab.sources import offline_available

needs_glove = pytest.mark.skipif(not offline_available(get_spec("glove-6B-50d")),
                                 reason="offline GloVe package not installed")


# ---------------------------------------------------------------- Embeddings page

@needs_glove
def test_projector_draws_the_default_preset_from_glove(tiny_catalog):
    at = open_page("pages/embeddings.py")
    assert not at.error
    assert at.radio(key="emb_source").value == "glove"
    assert "king" in at.text_area(key="emb_items").value
    key, result = last_memo(at, "emb_cache_embed")
    assert len(result.labels) == 16 and result.vectors.shape == (16, 50)
    _, coords = last_memo(at, "emb_cache_project")
    assert coords.shape == (16, 2)
    focus = at.selectbox(key="emb_focus")
    focus.set_value("king").run()
    names = [df.value.columns[0] for df in at.dataframe]
    assert "in this set" in names and "in all 400k GloVe words" in names
    near_king = at.dataframe[0].value.iloc[:, 0].tolist()
    assert near_king[0] in {"prince", "queen", "emperor"}


def test_projector_on_a_language_models_hidden_states(tiny_catalog):
    at = open_page("pages/embeddings.py")
    at.radio(key="emb_source").set_value("lm-hidden").run()
    assert not at.exception and not at.error
    assert at.selectbox(key=state.model_key("generate")).value == "tiny/llama-chat"
    at.slider(key="emb_layer").set_value(1)
    at.radio(key="emb_dims").set_value(3).run()
    assert not at.exception and not at.error
    key, result = last_memo(at, "emb_cache_embed")
    assert key[3] == 1 and result.vectors.shape[1] == 32
    assert last_memo(at, "emb_cache_project")[1].shape == (16, 3)


def test_projector_sentence_source_and_presets(tiny_catalog):
    at = open_page("pages/embeddings.py")
    at.radio(key="emb_source").set_value("sentence").run()
    at.selectbox(key="emb_preset").set_value("Verbs and tenses").run()
    assert not at.exception and not at.error
    assert "swimming | -ing form" in at.text_area(key="emb_items").value
    key, result = last_memo(at, "emb_cache_embed")
    assert key[2] == "tiny/bert" and len(result.labels) == 24
    at.text_area(key="emb_items").set_value("cat\ndog\nfish").run()
    assert at.selectbox(key="emb_preset").value == "Custom (edit the list)"  # no longer the preset
    assert at.text_area(key="emb_items").value == "cat\ndog\nfish"


@pytest.mark.parametrize("text, expected", [
    ("", "enter some words"), ("king", "at least 3"), ("king\nqueen", "at least 3")])
def test_projector_bad_lists_get_one_sentence(tiny_catalog, text, expected):
    at = open_page("pages/embeddings.py")
    at.radio(key="emb_source").set_value("lm-input").run()
    at.text_area(key="emb_items").set_value(text).run()
    assert not at.exception
    assert len(at.error) == 1 and expected in at.error[0].value
    assert at.text_area(key="emb_items").value == text  # nothing the user typed is lost


def test_projector_caps_five_thousand_items_with_a_note(tiny_catalog):
    at = open_page("pages/embeddings.py")
    at.radio(key="emb_source").set_value("lm-input").run()
    at.text_area(key="emb_items").set_value(
        "\n".join(f"item {i}" for i in range(5000))).run(timeout=180)
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert any("first 500 of the 5,000" in i for i in infos)
    assert any("heatmap shows the first 60" in i for i in infos)


@needs_glove
def test_projector_words_outside_glove_are_named(tiny_catalog):
    at = open_page("pages/embeddings.py")
    at.text_area(key="emb_items").set_value("king\nqueen\nman\nqeen").run()
    assert not at.exception and not at.error
    assert any("qeen" in i.value and "queen" in i.value for i in at.info)


# ---------------------------------------------------------------- GloVe page

@needs_glove
def test_glove_calculator_answers_queen_and_refuses_symbols(tiny_catalog):
    at = open_page("pages/glove.py")
    assert not at.error
    answers = at.dataframe[0].value
    assert answers.iloc[0]["word"] == "queen"
    at.text_input(key="glove_expr").set_value("paris - france + japan").run()
    assert at.dataframe[0].value.iloc[0]["word"] == "tokyo"
    at.text_input(key="glove_expr").set_value("king + __import__('os')").run()
    assert not at.exception
    assert len(at.error) == 1 and "not allowed" in at.error[0].value
    at.text_input(key="glove_expr").set_value("kign - man").run()
    assert len(at.error) == 1 and "king" in at.error[0].value
    assert at.text_input(key="glove_expr").value == "kign - man"


@needs_glove
def test_glove_examples_and_similarity(tiny_catalog):
    at = open_page("pages/glove.py")
    at.selectbox(key="glove_example").set_value("doctor - man + woman").run()
    assert at.text_input(key="glove_expr").value == "doctor - man + woman"
    assert at.dataframe[0].value.iloc[0]["word"] == "nurse"  # the bias the lesson discusses
    at.text_input(key="glove_sim_a").set_value("cat")
    at.text_input(key="glove_sim_b").set_value("kitten").run()
    assert float(at.metric[0].value) > 0.5


def test_glove_from_scratch_trains_and_lowers_J(tiny_catalog):
    at = open_page("pages/glove.py")
    at.slider(key="glove_epochs").set_value(15)
    at.button(key="glove_train").click().run(timeout=120)
    assert not at.exception
    trained = at.session_state["glove_trained"]["result"]
    assert len(trained.loss_history) == 15
    assert trained.final_loss < trained.initial_loss
    assert any("Trained on" in s.value for s in at.success)
    at.selectbox(key="glove_probe").set_value("banana").run()
    assert not at.exception


def test_glove_from_scratch_own_corpus_bad_input(tiny_catalog):
    at = open_page("pages/glove.py")
    at.radio(key="glove_corpus").set_value("Type your own text").run()
    at.text_area(key="glove_corpus_text").set_value("   ").run()
    assert not at.exception
    assert any("corpus is empty" in e.value for e in at.error)
    at.text_area(key="glove_corpus_text").set_value(
        "the cat sat on the mat\nthe dog sat on the rug").run()
    assert not at.exception
    assert "non-zero X_ij" in all_text(at)
