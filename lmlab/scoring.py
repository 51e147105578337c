"""Scoring an output against a reference written by a person.

ROUGE (Lin, 2004) counts overlapping words/word pairs/longest common
subsequence; it is the usual summarization score. BLEU (Papineni et al., 2002)
counts overlapping n-grams with a brevity penalty; chrF (Popović, 2015) counts
character n-grams and is kinder to morphology. All are 0-100 here, higher is
closer to the reference; none of them knows whether a text is true.
"""

from __future__ import annotations

from dataclasses import dataclass

from lmlab.errors import InputError
from lmlab.languages import CJK_CHAR, is_cjk_text

MAX_REFERENCE_CHARS = 20_000


@dataclass(frozen=True)
class Score:
    name: str
    value: float  # 0-100
    explanation: str


def _check(prediction: str, reference: str | None) -> tuple[str, str]:
    if not (prediction or "").strip():
        raise InputError("There is no output to score yet; run the model first.")
    if reference is None or not reference.strip():
        raise InputError("Please paste a reference text to score against.")
    if len(reference) > MAX_REFERENCE_CHARS:
        raise InputError(f"The reference is {len(reference):,} characters; the limit is "
                         f"{MAX_REFERENCE_CHARS:,}.")
    return prediction.strip(), reference.strip()


class _CharTokenizer:
    """rouge-score keeps only a-z0-9 by default, so Chinese would score 0: split characters."""

    def tokenize(self, text: str) -> list[str]:
        spaced = CJK_CHAR.sub(lambda m: f" {m.group(0)} ", text.lower())
        return [t for t in spaced.split() if t.strip()]


def rouge(prediction: str, reference: str) -> list[Score]:
    from rouge_score import rouge_scorer

    prediction, reference = _check(prediction, reference)
    cjk = is_cjk_text(prediction + reference)
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=not cjk,
                                      tokenizer=_CharTokenizer() if cjk else None)
    result = scorer.score(reference, prediction)
    notes = {"rouge1": "single words shared with the reference",
             "rouge2": "word pairs shared with the reference",
             "rougeL": "longest sequence of words in the same order"}
    names = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L"}
    return [Score(names[k], 100 * result[k].fmeasure, notes[k] + " (F1)") for k in names]


def translation_scores(prediction: str, reference: str, target_language: str = "en") -> list[Score]:
    import sacrebleu

    prediction, reference = _check(prediction, reference)
    tokenize = "zh" if target_language == "zh" or is_cjk_text(reference) else "13a"
    bleu = sacrebleu.sentence_bleu(prediction, [reference], tokenize=tokenize)
    chrf = sacrebleu.sentence_chrf(prediction, [reference])
    return [Score("BLEU", float(bleu.score), "word n-grams (1-4) shared with the reference, "
                  "with a penalty for short output"),
            Score("chrF", float(chrf.score), "character n-grams shared with the reference")]
