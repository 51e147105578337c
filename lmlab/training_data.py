"""Corpora for the training lab: text in, token ids split into train and validation.

A corpus is plain text (a bundled file, pasted text or an upload). `Vocab`
turns it into ids at the character level (every character is a token) or the
word level (lower-cased words and punctuation marks). `TextDataset` keeps the
first 90% of the ids for training and the last 10% for validation, so the
validation text is text the model never trains on.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from lmlab.errors import InputError

CORPORA_DIR = Path(__file__).resolve().parent.parent / "assets" / "corpora"
MAX_UPLOAD_BYTES = 1_000_000  # shown next to the uploader
MAX_CORPUS_CHARS = 1_000_000
MIN_CORPUS_CHARS = 100
MAX_WORD_VOCAB = 3000
VAL_FRACTION = 0.1
LEVELS = ("char", "word")

UNK = "<unk>"
MASK = "[MASK]"
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)*|[^\sa-z0-9]")

# Friendly names for the files in assets/corpora (other files show their file name).
CORPUS_TITLES = {
    "shakespeare_macbeth": "Shakespeare: Macbeth (play)",
    "shakespeare_sonnets": "Shakespeare: Sonnets (verse)",
}

# A tiny, very repetitive corpus: any working model learns it within seconds.
REPETITIVE_CORPUS = "the cat sat on the mat. the dog sat on the log. " * 40


def bundled_corpora() -> dict[str, str]:
    """name -> title of every .txt file in assets/corpora, known titles first."""
    names = sorted(p.stem for p in CORPORA_DIR.glob("*.txt"))
    names.sort(key=lambda n: (n not in CORPUS_TITLES, n))
    return {n: CORPUS_TITLES.get(n, n.replace("_", " ")) for n in names}


def load_corpus(name: str) -> str:
    if name not in bundled_corpora():
        raise InputError(f"There is no bundled corpus called “{name[:60]}”.")
    return (CORPORA_DIR / f"{name}.txt").read_text(encoding="utf-8")


def decode_upload(data: bytes, limit: int = MAX_UPLOAD_BYTES) -> str:
    """An uploaded file as text, or InputError for files that are too big or not text."""
    if len(data) > limit:
        raise InputError(f"The file is {len(data) / 1e6:.1f} MB; the limit is {limit / 1e6:g} MB "
                         "of plain text.")
    if b"\x00" in data[:8192]:
        raise InputError("That file looks binary (an image, a PDF, a Word file…); "
                         "please upload plain UTF-8 text (.txt).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("That file is not UTF-8 text; please upload a plain .txt file.") from None
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * max(1, min(len(text), 8192)):
        raise InputError("That file looks binary rather than text; please upload a plain .txt file.")
    return text.replace("\r\n", "\n")


def check_corpus(text: str | None) -> str:
    """The corpus itself, or InputError if it cannot teach a model anything."""
    text = (text or "")
    if not text.strip():
        raise InputError("The corpus is empty; pick a bundled text, paste some text or upload a file.")
    if len(text) > MAX_CORPUS_CHARS:
        raise InputError(f"The corpus has {len(text):,} characters; the limit is "
                         f"{MAX_CORPUS_CHARS:,}.")
    if len(set(text)) < 2:
        raise InputError("The corpus uses only one character: there is nothing to predict. "
                         "Please use real text.")
    if len(text) < MIN_CORPUS_CHARS:
        raise InputError(f"The corpus has {len(text)} characters; a model needs at least "
                         f"{MIN_CORPUS_CHARS} to train and to keep some aside for validation.")
    return text


def split_words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


@dataclass
class Vocab:
    """Tokens <-> ids. Id 0 is <unk>; with `masked` id 1 is [MASK]."""

    tokens: list[str]
    level: str  # "char" or "word"

    @classmethod
    def build(cls, *texts: str, level: str = "char", masked: bool = False,
              max_words: int = MAX_WORD_VOCAB) -> "Vocab":
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        specials = [UNK, MASK] if masked else [UNK]
        if level == "char":
            found = sorted(set("".join(texts)))
        else:
            counts = Counter(w for text in texts for w in split_words(text))
            found = [w for w, _ in counts.most_common(max_words)]
        return cls(specials + [t for t in found if t not in specials], level)

    def __post_init__(self):
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def mask_id(self) -> int | None:
        return self.index.get(MASK)

    @property
    def n_special(self) -> int:
        return 2 if MASK in self.index else 1

    def split(self, text: str) -> list[str]:
        return list(text) if self.level == "char" else split_words(text)

    def encode(self, text: str) -> list[int]:
        return [self.index.get(t, 0) for t in self.split(text)]

    def decode(self, ids: list[int]) -> str:
        pieces = [self.tokens[i] if i > 0 else ("\ufffd" if self.level == "char" else UNK)
                  for i in ids]
        if self.level == "char":
            return "".join(pieces)
        text = ""
        for piece in pieces:  # no space before punctuation
            glue = "" if not text or (len(piece) == 1 and not piece.isalnum()
                                      and piece not in "([\"") else " "
            text += glue + piece
        return text


@dataclass
class TextDataset:
    """Token ids of one corpus, split into a training and a validation part."""

    vocab: Vocab
    train: torch.Tensor  # (N_train,) int64
    val: torch.Tensor  # (N_val,) int64
    name: str = "corpus"

    @classmethod
    def from_text(cls, text: str, vocab: Vocab | None = None, level: str = "char",
                  masked: bool = False, name: str = "corpus",
                  min_tokens: int = 0) -> "TextDataset":
        text = check_corpus(text)
        vocab = vocab or Vocab.build(text, level=level, masked=masked)
        ids = torch.tensor(vocab.encode(text), dtype=torch.long)
        n_val = max(1, int(len(ids) * VAL_FRACTION))
        if len(ids) - n_val < max(min_tokens, 2) or n_val < 2:
            raise InputError(f"The corpus has only {len(ids)} {_unit(vocab)}s; it needs more "
                             "text to train and to keep some aside for validation.")
        return cls(vocab, ids[:-n_val], ids[-n_val:], name)

    def part(self, split: str) -> torch.Tensor:
        return self.train if split == "train" else self.val

    def block_size_for(self, wanted: int) -> int:
        """The context length, shortened when the validation part is small."""
        return max(1, min(wanted, len(self.val) - 1, len(self.train) - 1))

    def batch(self, split: str, batch_size: int, block_size: int,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Random windows x (B, T) and their next tokens y (B, T)."""
        data = self.part(split)
        starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
        x = torch.stack([data[s:s + block_size] for s in starts.tolist()])  # (B, T)
        y = torch.stack([data[s + 1:s + 1 + block_size] for s in starts.tolist()])  # (B, T)
        return x, y

    def eval_windows(self, split: str, block_size: int, max_windows: int = 64
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed, non-overlapping windows spread over a split: the same every evaluation."""
        data = self.part(split)
        count = max(1, (len(data) - 1) // block_size)
        picks = torch.linspace(0, count - 1, min(count, max_windows)).round().long().unique()
        x = torch.stack([data[i * block_size:(i + 1) * block_size] for i in picks.tolist()])
        y = torch.stack([data[i * block_size + 1:(i + 1) * block_size + 1] for i in picks.tolist()])
        return x, y  # (W, T), (W, T)


def _unit(vocab: Vocab) -> str:
    return "character" if vocab.level == "char" else "word"


def unigram_perplexity(dataset: TextDataset) -> float:
    """Perplexity on the validation part of a model that ignores context entirely.

    p(token) = (count in train + 1) / (N_train + V) (add-one smoothing, so unseen
    validation tokens do not give infinity); perplexity = exp(mean -log p).
    A language model that uses context should beat this line.
    """
    counts = torch.bincount(dataset.train, minlength=len(dataset.vocab)).double()
    log_p = torch.log((counts + 1) / (counts.sum() + len(dataset.vocab)))
    return math.exp(-log_p[dataset.val].mean().item())
