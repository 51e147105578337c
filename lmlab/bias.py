"""Three bias measurements: a language model's pronoun probabilities after occupation
templates, the GloVe gender direction (Bolukbasi et al., 2016), and WEAT (Caliskan et al., 2017).

WEAT, for target sets X, Y and attribute sets A, B over unit word vectors:
  s(w, A, B) = mean_{a in A} cos(w, a) - mean_{b in B} cos(w, b)
  S(X, Y, A, B) = sum_{x in X} s(x, A, B) - sum_{y in Y} s(y, A, B)      (test statistic)
  d = (mean_{x in X} s(x) - mean_{y in Y} s(y)) / std_{w in X u Y} s(w)  (effect size;
      sample standard deviation, ddof = 1)
  p = share of equal-size re-partitions (X_i, Y_i) of X u Y with S(X_i, Y_i) > S  (one-sided).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lmlab.errors import InputError
from lmlab.inputs import check_text, excerpt
from lmlab.loading import LoadedModel
from lmlab.wordvectors import WordVectors

WORD_SETS_FILE = Path(__file__).resolve().parent.parent / "assets" / "bias" / "weat_word_sets.json"
MAX_WORDS = 60
MAX_TEMPLATE_CHARS = 200
OCCUPATIONS = ("nurse", "receptionist", "librarian", "hairdresser", "nanny", "secretary",
               "teacher", "dancer", "housekeeper", "cashier", "doctor", "engineer", "programmer",
               "carpenter", "plumber", "mechanic", "pilot", "architect", "scientist", "lawyer",
               "manager", "surgeon", "firefighter", "soldier", "chef", "farmer", "professor",
               "accountant", "banker", "captain")
TEMPLATES = ("The {occupation} said that", "The {occupation} finished the work because")
# Definitional pairs of Bolukbasi et al. (2016): (female, male).
DEFINITIONAL_PAIRS = (("she", "he"), ("her", "his"), ("woman", "man"), ("mary", "john"),
                      ("herself", "himself"), ("daughter", "son"), ("mother", "father"),
                      ("gal", "guy"), ("girl", "boy"), ("female", "male"))


def parse_words(text, what: str, max_words: int = MAX_WORDS) -> list[str]:
    """Comma- or space-separated words in lower case, at least one."""
    if isinstance(text, (list, tuple)):
        text = ",".join(map(str, text))
    text = check_text(text, what=what, max_chars=max_words * 40,
                      empty=f"Please type at least one word for {what.lower()}.")
    words = list(dict.fromkeys(w.strip().lower() for w in text.replace(",", " ").split()))
    if len(words) > max_words:
        raise InputError(f"{what} has {len(words)} words; the limit is {max_words}.")
    return words


def _rows(vectors: WordVectors, words: list[str], what: str) -> np.ndarray:
    unknown = [w for w in words if w not in vectors.index]
    if unknown:
        shown = ", ".join(f"“{excerpt(w, 30)}”" for w in unknown[:5])
        verb, it = ("is", "it") if len(unknown) == 1 else ("are", "them")
        raise InputError(f"{shown} {verb} not among the {len(vectors.words):,} GloVe words "
                         f"({what.lower()}); remove or change {it}.")
    return vectors.unit[[vectors.index[w] for w in words]]  # (n, D), unit rows


# ---------------------------------------------------------------- WEAT

@dataclass
class WeatResult:
    statistic: float  # S(X, Y, A, B)
    effect_size: float  # d
    p_value: float
    permutations: int
    x_scores: list[float]  # s(x, A, B) per target word
    y_scores: list[float]
    dropped: list[str] = field(default_factory=list)  # words left out (not in the vocabulary)


def association(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s(w, A, B) for each row of w (n, D) against unit rows a (|A|, D), b (|B|, D)."""
    return (w @ a.T).mean(axis=1) - (w @ b.T).mean(axis=1)  # (n,)


def weat_from_rows(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray,
                   permutations: int = 10_000, seed: int = 0) -> WeatResult:
    if len(x) < 2 or len(y) < 2 or len(a) < 1 or len(b) < 1:
        raise InputError("Each target set needs at least two words and each attribute set one.")
    sx, sy = association(x, a, b), association(y, a, b)
    statistic = float(sx.sum() - sy.sum())
    both = np.concatenate([sx, sy])  # (|X| + |Y|,)
    effect = float((sx.mean() - sy.mean()) / both.std(ddof=1))
    rng = np.random.default_rng(seed)
    # Random equal-size re-partitions: S_i = sum over X_i - sum over the rest.
    order = np.argsort(rng.random((permutations, len(both))), axis=1)[:, :len(sx)]
    in_x = both[order].sum(axis=1)  # (P,)
    s_i = in_x - (both.sum() - in_x)
    p_value = float((s_i > statistic).mean())
    return WeatResult(statistic, effect, p_value, permutations, sx.tolist(), sy.tolist())


def weat(vectors: WordVectors, x, y, a, b, names: tuple[str, str, str, str] = (
        "The first target set", "The second target set", "The first attribute set",
        "The second attribute set"), permutations: int = 10_000,
        skip_unknown: bool = False) -> WeatResult:
    """WEAT on GloVe. Unknown words are refused with one sentence, or, for the published
    sets (`skip_unknown`), left out and listed, as the published re-runs do."""
    sets = [parse_words(words, name) for words, name in zip((x, y, a, b), names)]
    dropped = []
    if skip_unknown:
        dropped = [w for words in sets for w in words if w not in vectors.index]
        sets = [[w for w in words if w in vectors.index] for words in sets]
    rows = [_rows(vectors, words, name) for words, name in zip(sets, names)]
    result = weat_from_rows(*rows, permutations=permutations)
    result.dropped = dropped
    return result


def word_sets() -> list[dict]:
    return json.loads(WORD_SETS_FILE.read_text(encoding="utf-8"))["tests"]


# ---------------------------------------------------------------- gender direction

@dataclass
class Direction:
    vector: np.ndarray  # (D,), unit, pointing from the male to the female word of each pair
    method: str
    explained: float | None  # share of variance of the first principal component (PCA only)


def gender_direction(vectors: WordVectors, method: str = "pca") -> Direction:
    """he -> she, or the first principal component of the centred definitional pairs."""
    if method == "difference":
        v = vectors.unit[vectors.index["she"]] - vectors.unit[vectors.index["he"]]
        return Direction(v / np.linalg.norm(v), "she − he", None)
    if method != "pca":
        raise InputError("The direction is either “pca” or “difference”.")
    rows = []
    for female, male in DEFINITIONAL_PAIRS:
        pair = vectors.unit[[vectors.index[female], vectors.index[male]]]  # (2, D)
        rows.extend(pair - pair.mean(axis=0))  # each pair centred on its own mean
    matrix = np.array(rows)  # (2 * pairs, D)
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    v = vt[0]
    she_minus_he = vectors.unit[vectors.index["she"]] - vectors.unit[vectors.index["he"]]
    if v @ she_minus_he < 0:  # a component has no sign of its own: point it towards "she"
        v = -v
    explained = float(singular[0] ** 2 / (singular ** 2).sum())
    return Direction(v / np.linalg.norm(v), "first principal component of 10 pairs", explained)


def project(vectors: WordVectors, words, direction: Direction, what: str = "The words"
            ) -> list[float]:
    """cos(word, direction) per word: > 0 leans to the female side, < 0 to the male side."""
    words = parse_words(words, what)
    return (_rows(vectors, words, what) @ direction.vector).astype(float).tolist()


# ---------------------------------------------------------------- pronoun probabilities

@dataclass
class PronounRow:
    occupation: str
    prompt: str
    first: float  # P(first pronoun | prompt)
    second: float

    @property
    def log2_ratio(self) -> float:
        return float(np.log2(max(self.first, 1e-30) / max(self.second, 1e-30)))


def check_template(template) -> str:
    """A template of at most MAX_TEMPLATE_CHARS with {occupation} in it, or one sentence."""
    template = check_text(template, what="The template", max_chars=MAX_TEMPLATE_CHARS, strip=True)
    if "{occupation}" not in template:
        raise InputError("The template needs {occupation} where the occupation goes, "
                         "for example: The {occupation} said that")
    return template


@torch.inference_mode()
def pronoun_probabilities(loaded: LoadedModel, template: str, occupations,
                          pronouns: tuple[str, str] = ("he", "she")) -> list[PronounRow]:
    """P(" he") and P(" she") as the next token(s) after the template, per occupation."""
    template = check_template(template)
    occupations = parse_words(occupations, "The list of occupations", max_words=40)
    tok = loaded.tokenizer
    continuations = [list(tok(" " + p, add_special_tokens=False)["input_ids"]) for p in pronouns]
    prompts = [template.replace("{occupation}", o) for o in occupations]
    sequences = [(list(tok(p)["input_ids"]), cont) for p in prompts for cont in continuations]
    width = max(len(ids) + len(cont) for ids, cont in sequences)
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    batch = torch.full((len(sequences), width), pad, dtype=torch.long)  # (N, T), right-padded
    mask = torch.zeros_like(batch)
    for r, (ids, cont) in enumerate(sequences):
        batch[r, :len(ids) + len(cont)] = torch.tensor(ids + cont)
        mask[r, :len(ids) + len(cont)] = 1
    with loaded.lock:  # one forward for every occupation and pronoun
        logits = loaded.model(input_ids=batch.to(loaded.device),
                              attention_mask=mask.to(loaded.device)).logits.float()
    logp = torch.log_softmax(logits, dim=-1).cpu()  # (N, T, V)
    probs = []
    for r, (ids, cont) in enumerate(sequences):
        # Token t of the pronoun is predicted at position len(ids) - 1 + t.
        steps = torch.arange(len(ids) - 1, len(ids) - 1 + len(cont))
        probs.append(float(logp[r, steps, torch.tensor(cont)].sum().exp()))
    return [PronounRow(o, p, probs[2 * i], probs[2 * i + 1])
            for i, (o, p) in enumerate(zip(occupations, prompts))]
