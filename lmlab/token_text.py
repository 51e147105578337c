"""One token as a student can read it, including tokens that hold only part of a character.

Byte-level tokenizers (GPT-2, SmolLM2) and byte fallback (Llama's <0xF0>) split a character
they have no token for, such as most emoji, into UTF-8 bytes spread over several tokens.
Decoded alone, each such token is only '�'. Here the bytes that do not make a whole
character are shown as they are, ⟨f0 9f 98⟩, so the split itself can be seen (😀 is
⟨f0 9f 98⟩ + ⟨80⟩ in SmolLM2).
"""

from __future__ import annotations

import re
from functools import lru_cache

_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")  # byte fallback (SentencePiece)


@lru_cache(maxsize=1)
def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet back to bytes: printable bytes stand for themselves, the
    others for the characters from U+0100 on, in order (Radford et al.'s bytes_to_unicode)."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
            *range(ord("®"), ord("ÿ") + 1)]
    chars = {b: chr(b) for b in kept}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return {c: b for b, c in chars.items()}


def token_bytes(tokenizer, token_id: int) -> bytes | None:
    """The bytes a token stands for, where its vocabulary entry spells them; else None."""
    piece = tokenizer.convert_ids_to_tokens(int(token_id))
    if not isinstance(piece, str) or not piece:
        return None
    found = _BYTE_TOKEN.fullmatch(piece)
    if found:
        return bytes([int(found.group(1), 16)])
    decoder = _byte_decoder()
    if all(c in decoder for c in piece):
        return bytes(decoder[c] for c in piece)
    return None


def show_bytes(raw: bytes) -> str:
    """Text with every run of bytes that is no whole UTF-8 character shown as ⟨f0 9f⟩."""
    out: list[str] = []
    loose: list[int] = []
    i = 0
    while i < len(raw):
        char = None
        for width in (1, 2, 3, 4):  # a whole character starting at byte i
            try:
                char = raw[i:i + width].decode("utf-8")
                break
            except UnicodeDecodeError:
                continue
        if char is None:
            loose.append(raw[i])
            i += 1
            continue
        if loose:
            out.append("⟨" + " ".join(f"{b:02x}" for b in loose) + "⟩")
            loose = []
        out.append(char)
        i += width
    if loose:
        out.append("⟨" + " ".join(f"{b:02x}" for b in loose) + "⟩")
    return "".join(out)


def token_text(tokenizer, token_id: int) -> str:
    """The text of one token, its loose bytes shown as bytes instead of '�'."""
    text = tokenizer.decode([int(token_id)], clean_up_tokenization_spaces=False)
    if "\ufffd" not in text:
        return text
    raw = token_bytes(tokenizer, token_id)
    return show_bytes(raw) if raw is not None and raw.decode("utf-8", "replace") == text \
        else text
