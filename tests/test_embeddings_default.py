"""The language-model view of the embedding projector shows a readable geometry by default.

Raw middle-layer hidden states of a language model share a few huge dimensions
(and a one-word item sits on the attention sink at position 0), so every pair of
words has cosine ≈ 1 and a projection puts the points on one line.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lmlab import embeddings as emb
from lmlab.centring import centre_over_set, massive_dimensions
from lmlab.registry import get_spec
from lmlab.sources import offline_available

SMOLLM = "HuggingFaceTB/SmolLM2-135M-Instruct"


def off_diagonal(matrix: np.ndarray) -> np.ndarray:
    return matrix[~np.eye(len(matrix), dtype=bool)]


def test_centring_spreads_vectors_that_share_a_massive_dimension():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(12, 64)).astype(np.float32)
    vectors[:, 7] += 500.0  # one huge dimension, the same in every vector
    assert off_diagonal(emb.cosine_matrix(vectors)).min() > 0.99
    assert massive_dimensions(vectors) == [7]
    centred = centre_over_set(vectors)
    assert centred.dropped == [7] and centred.vectors.shape == (12, 63)
    assert np.allclose(centred.vectors.mean(0), 0, atol=1e-5)
    cosines = off_diagonal(emb.cosine_matrix(centred.vectors))
    assert cosines.max() < 0.9 and cosines.min() < 0


def test_a_one_word_item_is_read_after_a_lead_token(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    tok = loaded.tokenizer
    layer = emb.layer_count(loaded)
    vector = emb.hidden_state_embeddings(loaded, ["king"], layer)[0]
    ids = tok("king")["input_ids"]
    lead = tok("\n", add_special_tokens=False)["input_ids"][:1]
    special = set(tok.all_special_ids)
    if ids[0] not in special:
        ids = lead + ids
    with torch.no_grad():
        hidden = loaded.model(input_ids=torch.tensor([ids]), output_hidden_states=True
                              ).hidden_states[layer][0].float()  # (T, C)
    own = [i for i, t in enumerate(ids) if i > 0 and t not in special]
    assert np.allclose(vector, hidden[own].mean(0).numpy(), atol=1e-5)
    assert not np.allclose(vector, hidden[0].numpy(), atol=1e-3)  # not the sink position


def test_the_page_default_is_centred_and_says_so(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    items, _ = emb.parse_items(emb.preset_text("Royalty"))
    layer = max(1, emb.layer_count(loaded) // 2)
    shown = emb.embed("lm-hidden", items, loaded, layer)
    raw = emb.embed("lm-hidden", items, loaded, layer, centre=False)
    expected = centre_over_set(raw.vectors).vectors
    assert np.allclose(shown.vectors, expected, atol=1e-5)
    assert shown.notes and "centred" in shown.notes[0] and not raw.notes


@pytest.mark.skipif(not offline_available(get_spec(SMOLLM)), reason="embedded SmolLM2 not installed")
def test_smollm2_default_layer_separates_the_royalty_words(store):
    loaded = store.get(SMOLLM, "inspect")
    items, _ = emb.parse_items(emb.preset_text("Royalty"))
    labels = [item.text for item in items]
    layer = emb.layer_count(loaded) // 2  # the page's default layer
    old = emb.hidden_state_embeddings(loaded, labels, layer)
    old_cosines = off_diagonal(emb.cosine_matrix(old - 0))
    shown = emb.embed("lm-hidden", items, loaded, layer)
    cosines = off_diagonal(emb.cosine_matrix(shown.vectors))
    assert cosines.max() < 0.95 and cosines.std() > 0.1, (cosines.min(), cosines.max())
    assert cosines.std() > 3 * old_cosines.std()
    nearest_to_king = [w for w, _ in emb.nearest_in_set(shown.vectors, labels,
                                                        labels.index("king"), 3)]
    assert "queen" in nearest_to_king
