"""Position encodings: the sinusoid formula, and what each tiny model really uses."""

import math

import numpy as np
import pytest

from lmlab.errors import InputError
from lmlab.positional import (cosine_similarity_matrix, describe_positions, learned_positions,
                              rotary_angles, rotary_scores, sinusoidal_encoding)


def test_sinusoidal_encoding_follows_the_paper():
    pe = sinusoidal_encoding(50, 16)
    assert pe.shape == (50, 16)
    for pos, i in [(0, 0), (7, 0), (7, 3), (49, 7)]:
        angle = pos / 10000 ** (2 * i / 16)
        assert pe[pos, 2 * i] == pytest.approx(math.sin(angle))
        assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(angle))
    # Every position vector has the same length, and nearby positions are the most alike.
    assert np.allclose(np.linalg.norm(pe, axis=1), math.sqrt(8))
    sim = cosine_similarity_matrix(pe)
    assert np.allclose(np.diag(sim), 1)
    assert sim[10, 11] > sim[10, 20] > sim[10, 40]


def test_sinusoid_similarity_depends_on_the_offset_only():
    sim = cosine_similarity_matrix(sinusoidal_encoding(40, 32))
    for offset in (1, 5, 12):
        diagonal = np.diag(sim, offset)
        assert np.allclose(diagonal, diagonal[0])


def test_bad_sizes_get_one_sentence():
    with pytest.raises(InputError, match="even"):
        sinusoidal_encoding(10, 7)
    with pytest.raises(InputError, match="between 1 and"):
        sinusoidal_encoding(0, 8)


def test_llama_uses_rotary(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    scheme = describe_positions(loaded)
    assert scheme.kind == "rotary" and scheme.rotary_dim == 8
    theta = rotary_angles(loaded)
    expected = 1 / scheme.rope_theta ** (np.arange(0, 8, 2) / 8)
    assert np.allclose(theta, expected, rtol=1e-6)
    scores = rotary_scores(loaded, 20)
    for offset in (0, 1, 4, -3):
        diagonal = np.diag(scores, offset)
        assert np.allclose(diagonal, diagonal[0], atol=1e-4)
    assert not np.allclose(np.diag(scores, 0)[0], np.diag(scores, 4)[0])
    with pytest.raises(InputError, match="no learned position table"):
        learned_positions(loaded, 10)


@pytest.mark.parametrize("model_id,table", [("tiny/gpt2", "transformer.wpe"),
                                            ("tiny/bert", "bert.embeddings.position_embeddings")])
def test_gpt2_and_bert_use_learned_positions(store, model_id, table):
    loaded = store.get(model_id, "inspect")
    scheme = describe_positions(loaded)
    assert scheme.kind == "learned" and scheme.max_positions == 128
    weights = loaded.model.get_submodule(table).weight.detach().numpy()
    assert np.array_equal(learned_positions(loaded, 12), weights[:12])
    with pytest.raises(InputError, match="rotary"):
        rotary_scores(loaded, 10)
    with pytest.raises(InputError, match="between 1 and 128"):
        learned_positions(loaded, 500)
