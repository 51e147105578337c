"""Applications benchmark: the Google analogy test set and one analogy query over GloVe.

    .venv/bin/python bench/bench_applications.py [--repeats 3] [--query-repeats 50]

Prints, as medians of repeats in one run:
  - the full Google analogy evaluation (19,544 questions, 3CosAdd over unit vectors,
    question words excluded, 300,000 most frequent words; lmlab.analogy_eval) in seconds
    (target <= 15 s; gensim's evaluate_word_analogies takes about 64 s for the same set);
  - one analogy query (king - man + woman, top 10) over all 400k words through
    lmlab.word_arithmetic.evaluate (pre-normalized float32 matrix, one matrix-vector
    product into a reused buffer, np.argpartition) in ms (target <= 3 ms), beside one plain
    float32 matrix-vector product over the same matrix: memory bandwidth sets the floor;
  - the load average before and after: on a shared 2-core machine every figure moves with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from lmlab import analogy_eval, word_arithmetic  # noqa: E402
from lmlab.loading import ModelStore  # noqa: E402


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--query-repeats", type=int, default=50)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    vectors = ModelStore(device="cpu").get("glove-6B-50d").model
    questions = analogy_eval.load_questions()

    word_arithmetic.evaluate(vectors, "king - man + woman", 10)  # warm the buffer and caches
    query = median_seconds(lambda: word_arithmetic.evaluate(vectors, "king - man + woman", 10),
                           args.query_repeats)
    q = vectors.unit[vectors.index["queen"]]
    matvec = median_seconds(lambda: vectors.unit @ q, args.query_repeats)
    print(f"one analogy query over {len(vectors.words):,} words: {query * 1e3:.2f} ms "
          f"(target <= 3 ms; {query / 3e-3:.2f}x the target); one plain matrix-vector product: "
          f"{matvec * 1e3:.2f} ms")

    reports = []
    full = median_seconds(lambda: reports.append(analogy_eval.evaluate_analogies(vectors, questions)),
                          args.repeats)
    report = reports[-1]
    print(f"Google analogy test set, {report.questions:,} questions "
          f"({report.total.skipped} skipped): {full:.1f} s (target <= 15 s; {full / 15:.2f}x the "
          f"target); accuracy {report.total.accuracy:.2%} (semantic {report.semantic.accuracy:.2%}, "
          f"syntactic {report.syntactic.accuracy:.2%})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
