"""Embeddings: item lists, the four sources on tiny and real models, projections."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lmlab import embeddings as emb
from lmlab.errors import InputError
from lmlab.registry import get_spec
from lmlab.sources import offline_available
from lmlab.wordvectors import WordVectors

# ---------------------------------------------------------------- item lists


def test_items_with_groups_and_duplicates():
    items, notes = emb.parse_items("king | male\nqueen | female\n  King  \nprince\n\n")
    assert items == [emb.Item("king", "male"), emb.Item("queen", "female"),
                     emb.Item("prince", emb.DEFAULT_GROUP)]
    assert notes == []


@pytest.mark.parametrize("text", ["", "   \n  ", "king", "king\nqueen", "king\nKING\nking"])
def test_too_few_items_get_one_sentence(text):
    with pytest.raises(InputError) as info:
        emb.parse_items(text)
    assert "\n" not in str(info.value)


def test_five_thousand_items_are_capped_with_a_note():
    items, notes = emb.parse_items("\n".join(f"word{i}" for i in range(5000)))
    assert len(items) == emb.MAX_ITEMS
    assert len(notes) == 1 and "5,000" in notes[0] and str(emb.MAX_ITEMS) in notes[0]


def test_every_preset_parses_with_its_groups():
    for name, pairs in emb.PRESETS.items():
        items, _ = emb.parse_items(emb.preset_text(name))
        assert [(i.text, i.group) for i in items] == pairs
        assert len({i.group for i in items}) >= 2, name


# ---------------------------------------------------------------- projections

@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 24)) * 4
    return np.vstack([c + rng.standard_normal((10, 24)) for c in centres]).astype(np.float32)


# UMAP compiles its code on first use (numba, ~30 s on 2 cores): one UMAP case only.
@pytest.mark.parametrize("method, dims", [("pca", 2), ("pca", 3), ("tsne", 2), ("tsne", 3),
                                          ("umap", 3)])
def test_projections_return_the_right_shapes(cloud, method, dims):
    out = emb.project(cloud, method, dims)
    assert out.shape == (30, dims) and np.isfinite(out).all()


def test_projection_keeps_clusters_apart(cloud):
    out = emb.project(cloud, "pca", 2)
    centres = out.reshape(3, 10, 2).mean(1)
    spread = out.reshape(3, 10, 2).std(1).mean()
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a in range(3) for b in range(a + 1, 3)]
    assert min(gaps) > 2 * spread


def test_projection_of_three_points_and_bad_settings(cloud):
    assert emb.project(cloud[:3], "pca", 3).shape == (3, 3)
    assert emb.project(cloud[:3], "tsne", 2).shape == (3, 2)
    for method, dims, n in (("lda", 2, 10), ("pca", 4, 10), ("pca", 2, 2)):
        with pytest.raises(InputError):
            emb.project(cloud[:n], method, dims)


def test_cosine_matrix_and_nearest_in_set():
    vectors = np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], dtype=np.float32)
    m = emb.cosine_matrix(vectors)
    assert np.allclose(np.diag(m), 1) and np.allclose(m, m.T) and m[0, 3] == pytest.approx(-1)
    near = emb.nearest_in_set(vectors, ["a", "b", "c", "d"], 0, 2)
    assert [w for w, _ in near] == ["b", "c"]


# ---------------------------------------------------------------- sources

def test_sentence_embeddings_are_mean_pooled_and_unit_length(store):
    loaded = store.get("tiny/bert", "inspect")
    texts = ["the cat sat on the mat .", "a king", "hello world ! how are you today ?"]
    vectors = emb.sentence_embeddings(loaded, texts)
    assert vectors.shape == (3, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # One text alone (no padding) gives the same vector as inside the padded batch.
    enc = loaded.tokenizer(texts[1], return_tensors="pt")
    with torch.no_grad():
        hidden = loaded.model(**enc, output_hidden_states=True).hidden_states[-1][0]
    alone = torch.nn.functional.normalize(hidden.mean(0), dim=0).numpy()
    assert np.allclose(vectors[1], alone, atol=1e-5)


def test_input_embeddings_are_rows_of_the_embedding_table(store):
    loaded = store.get("tiny/gpt2", "inspect")
    vectors, details = emb.input_embeddings(loaded, ["cat", "the mat"])
    table = loaded.model.get_input_embeddings().weight.detach()
    ids = emb.word_token_ids(loaded.tokenizer, "the mat")
    assert np.allclose(vectors[1], table[ids].mean(0).numpy(), atol=1e-6)
    assert details[1].replace("·", "").replace(" ", "") == "themat"  # readable, no 'Ġ'



def test_hidden_states_per_layer(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    texts = ["the cat sat on the mat .", "a king", "the dog"]
    last = emb.hidden_state_embeddings(loaded, texts, emb.layer_count(loaded))
    alone = emb.hidden_state_embeddings(loaded, texts[1:2], emb.layer_count(loaded))
    assert np.allclose(last[1], alone[0], atol=1e-5)  # right padding changes nothing
    layer0 = emb.hidden_state_embeddings(loaded, texts[2:], 0)
    ids = loaded.tokenizer(texts[2])["input_ids"]
    table = loaded.model.get_input_embeddings().weight.detach()
    assert np.allclose(layer0[0], table[ids].mean(0).numpy(), atol=1e-6)
    assert not np.allclose(last[2], layer0[0])
    with pytest.raises(InputError):
        emb.hidden_state_embeddings(loaded, texts, emb.layer_count(loaded) + 1)


def test_glove_source_drops_unknown_words_with_a_note():
    vectors = WordVectors.from_arrays(["king", "queen", "man", "woman"],
                                      np.eye(4, dtype=np.float32))
    loaded = SimpleNamespace(model=vectors)
    items, _ = emb.parse_items("king\nqueen\nman woman\nqeen")
    result = emb.embed("glove", items, loaded)
    assert result.labels == ["king", "queen", "man woman"]
    assert np.allclose(result.vectors[2], [0, 0, 0.5, 0.5])
    assert len(result.notes) == 1 and "qeen" in result.notes[0] and "queen" in result.notes[0]
    with pytest.raises(InputError):
        emb.embed("glove", emb.parse_items("king\nxx\nyy")[0], loaded)


def test_real_minilm_puts_paraphrases_together(store):
    spec = get_spec("sentence-transformers/all-MiniLM-L6-v2")
    if not offline_available(spec):
        pytest.skip("offline all-MiniLM-L6-v2 package not installed")
    loaded = store.get(spec.id, "inspect")
    items, _ = emb.parse_items("A cat sits on the mat.\nA kitten is resting on a rug.\n"
                               "Stock markets fell sharply today.")
    result = emb.embed("sentence", items, loaded)
    assert result.vectors.shape == (3, 384)
    sims = emb.cosine_matrix(result.vectors)
    assert sims[0, 1] > sims[0, 2] + 0.3
