"""Texts in shareable links: short ones as they are, long ones compressed.

A link that carries a paragraph would be several kilobytes once percent-encoded;
zlib plus URL-safe base64 under a `z:` prefix keeps typical classroom texts
inside the ~2,000 characters that every browser, chat app and LMS accepts.
Pure functions, so Streamlit, Gradio and tests share them.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse
import zlib

from lmlab.errors import InputError

PREFIX = "z:"
MAX_URL_CHARS = 2000  # what a link may take in all, base address included
MAX_PACKED_CHARS = 20_000  # a compressed value never decodes to more than this many characters


def pack_text(text: str) -> str:
    """The form of `text` that makes the shorter link (plain when that is shorter)."""
    plain = urllib.parse.quote(text, safe="")
    packed = PREFIX + base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode()
    return packed if len(packed) < len(plain) else text


def unpack_text(value: str) -> str:
    """The text a link carries; InputError with one sentence when it is damaged."""
    if not value.startswith(PREFIX):
        return value
    try:
        raw = base64.urlsafe_b64decode(value[len(PREFIX):].encode("ascii"))
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_PACKED_CHARS * 4 + 1)  # never inflate a zip bomb
        if inflater.unconsumed_tail or len(data) > MAX_PACKED_CHARS * 4:
            raise InputError("The link's text is too long to open.")
        if not inflater.eof:  # base64 skips stray characters; a cut-off stream ends early
            raise zlib.error("incomplete")
        return data.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeError, ValueError):
        raise InputError("The link's text is damaged (it may have been cut off when it was "
                         "copied), so the page's own text is shown.") from None


def query_string(params: dict[str, str]) -> str:
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def link_for(base_url: str, params: dict[str, str]) -> str:
    query = query_string(params)
    return f"{base_url}?{query}" if query else base_url


def fits_in_link(base_url: str, params: dict[str, str]) -> bool:
    return len(link_for(base_url, params)) <= MAX_URL_CHARS
