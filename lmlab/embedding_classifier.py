"""A classifier trained live: logistic regression on MiniLM sentence embeddings.

The labelled sentences (assets/corpora/sentiment.tsv, LM Lab's own data) are
split into a training and a held-out part, stratified by label with a fixed
seed; each sentence becomes a 384-number MiniLM embedding (mean pooling + L2
norm, lmlab.embeddings.sentence_embeddings); a multinomial logistic regression
learns from the training part only, and the held-out accuracy and confusion
matrix say how well it does on sentences it never saw.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lmlab.classify import MAX_TEXT_CHARS, ClassProbs
from lmlab.embeddings import sentence_embeddings
from lmlab.errors import InputError
from lmlab.inputs import check_text
from lmlab.loading import LoadedModel

SENTIMENT_FILE = Path(__file__).resolve().parent.parent / "assets" / "corpora" / "sentiment.tsv"
MIN_PER_LABEL = 4


@dataclass(frozen=True)
class Example:
    text: str
    label: str


@dataclass
class TrainedClassifier:
    labels: list[str]
    model: object  # sklearn LogisticRegression
    train_size: int
    test: list[Example]
    predicted: list[str]  # for each held-out example
    confusion: np.ndarray  # (C, C) counts: row = true label, column = predicted
    seconds: float

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(1, self.confusion.sum()))


def load_examples(path: str | Path = SENTIMENT_FILE) -> list[Example]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Example(row["text"].strip(), row["label"].strip()) for row in rows if row["text"].strip()]


def split(examples: list[Example], test_fraction: float, seed: int = 0
          ) -> tuple[list[Example], list[Example]]:
    """Stratified: each label keeps the same share in the held-out part."""
    if not 0.05 <= test_fraction <= 0.8:
        raise InputError("The held-out share must be between 5% and 80%.")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in sorted({e.label for e in examples}):
        group = [e for e in examples if e.label == label]
        if len(group) < MIN_PER_LABEL:
            raise InputError(f"The label “{label}” has {len(group)} examples; each label needs "
                             f"at least {MIN_PER_LABEL}.")
        order = rng.permutation(len(group))
        n_test = max(1, round(test_fraction * len(group)))
        test += [group[i] for i in order[:n_test]]
        train += [group[i] for i in order[n_test:]]
    return train, test


def confusion_matrix(true: list[str], predicted: list[str], labels: list[str]) -> np.ndarray:
    position = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(true, predicted):
        matrix[position[t], position[p]] += 1
    return matrix


def train(encoder: LoadedModel, examples: list[Example] | None = None,
          test_fraction: float = 0.25, seed: int = 0, c: float = 10.0) -> TrainedClassifier:
    """Embed, fit on the training part, score the held-out part."""
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    examples = load_examples() if examples is None else examples
    train_set, test_set = split(examples, test_fraction, seed)
    labels = sorted({e.label for e in examples})
    vectors = sentence_embeddings(encoder, [e.text for e in train_set + test_set])  # (N, H)
    x_train, x_test = vectors[:len(train_set)], vectors[len(train_set):]
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x_train, [e.label for e in train_set])
    predicted = [str(p) for p in model.predict(x_test)]
    matrix = confusion_matrix([e.label for e in test_set], predicted, labels)
    return TrainedClassifier(labels, model, len(train_set), test_set, predicted, matrix,
                             time.perf_counter() - start)


def predict(classifier: TrainedClassifier, encoder: LoadedModel, text: str) -> ClassProbs:
    text = check_text(text, what="The text", max_chars=MAX_TEXT_CHARS, strip=True)
    probs = classifier.model.predict_proba(sentence_embeddings(encoder, [text]))[0]
    by_label = dict(zip([str(c) for c in classifier.model.classes_], probs))
    return ClassProbs(list(classifier.labels), [float(by_label[label]) for label in classifier.labels])
