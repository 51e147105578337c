"""Texts in shareable links: compressed when that is shorter, refused when damaged."""

import random

import pytest

from lmlab.errors import InputError
from lmlab.share_link import (MAX_PACKED_CHARS, MAX_URL_CHARS, PREFIX, fits_in_link, link_for,
                              pack_text, unpack_text)


def test_short_text_stays_readable_in_the_link():
    assert pack_text("The capital of France is") == "The capital of France is"


def test_long_text_is_compressed_and_comes_back_exactly():
    text = "注意力 attention: the cat sat on the mat.\n" * 60
    packed = pack_text(text)
    assert packed.startswith(PREFIX) and len(packed) < len(text) / 5
    assert unpack_text(packed) == text
    assert fits_in_link("http://localhost:8501/attention", {"text": packed})


def test_damaged_or_oversized_values_get_a_sentence():
    with pytest.raises(InputError, match="damaged"):
        unpack_text("z:%%%")
    bomb = pack_text("a" * (MAX_PACKED_CHARS * 5))  # compresses to a few hundred bytes
    with pytest.raises(InputError, match="too long"):
        unpack_text(bomb)


def test_link_length_is_measured_on_the_encoded_link():
    base = "http://localhost:8501/next_token"
    rng = random.Random(0)
    text = "".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(1500))  # barely compressible
    assert link_for(base, {"text": "a b"}) == base + "?text=a%20b"
    assert not fits_in_link(base, {"text": pack_text(text)})
    assert len(link_for(base, {"text": pack_text(text)})) > MAX_URL_CHARS
