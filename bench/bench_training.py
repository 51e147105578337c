"""Training lab benchmark: steps/s of the LSTM and the Transformer at the default size,
and the wall time until the Transformer beats the unigram baseline on Macbeth.

    .venv/bin/python bench/bench_training.py [--threads N]

Character level, batch 32, the page's default size and learning rate. Target: the
Transformer beats the unigram perplexity within 60 s on 2 cores. The load average is
printed before and after: on a shared machine the figures move with it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lmlab.training import TrainConfig, new_trainer, train_threads  # noqa: E402
from lmlab.training_data import TextDataset, load_corpus, unigram_perplexity  # noqa: E402
from lmlab.training_models import DEFAULT_SIZE  # noqa: E402

CORPUS = "shakespeare_macbeth"
TARGET_S = 60.0


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) / {five:.2f} (5 min) on {os.cpu_count()} cores"


def steps_per_second(data: TextDataset, architecture: str, steps: int) -> tuple[float, int]:
    """Pure optimizer steps (no evaluation, no samples)."""
    config = TrainConfig(steps=steps + 5, eval_every=10**6, sample_every=10**6)
    trainer = new_trainer(data, architecture, DEFAULT_SIZE, config)
    trainer.run_steps(5)  # warm-up
    start = time.perf_counter()
    trainer.run_steps(steps)
    return steps / (time.perf_counter() - start), trainer.n_params


def time_to_beat_unigram(data: TextDataset, baseline: float, limit_s: float = 180.0):
    """Wall time (training + the page's evaluations) until validation perplexity < baseline."""
    config = replace(TrainConfig(), steps=3000, eval_every=5, sample_every=10**6)
    trainer = new_trainer(data, "transformer", DEFAULT_SIZE, config)
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        trainer.run_steps(5)
        if trainer.last.val_perplexity < baseline:
            return time.perf_counter() - start, trainer.step, trainer.last.val_perplexity
    return None, trainer.step, trainer.last.val_perplexity


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads per job (default: what the app uses)")
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    if args.threads:
        os.environ["LMLAB_TRAIN_THREADS"] = str(args.threads)
    data = TextDataset.from_text(load_corpus(CORPUS), name=CORPUS)
    baseline = unigram_perplexity(data)
    print(f"corpus {CORPUS}: {len(data.train):,} train / {len(data.val):,} validation characters, "
          f"vocabulary {len(data.vocab)}, unigram perplexity {baseline:.2f}")
    print(f"size '{DEFAULT_SIZE}', batch 32, torch threads per job: {train_threads()}")
    print(f"before: {load()}")
    for architecture in ("lstm", "transformer"):
        rate, params = steps_per_second(data, architecture, args.steps)
        print(f"{architecture:>12}: {params:,} parameters, {rate:.1f} steps/s "
              f"({rate * 32 * 64:,.0f} tokens/s)")
    seconds, step, ppl = time_to_beat_unigram(data, baseline)
    if seconds is None:
        print(f"transformer did NOT beat the unigram baseline within the time limit "
              f"(step {step}, perplexity {ppl:.2f})")
    else:
        verdict = "within" if seconds <= TARGET_S else "OVER"
        print(f"transformer beats the unigram baseline after {seconds:.1f} s (step {step}, "
              f"perplexity {ppl:.2f} < {baseline:.2f}): {verdict} the {TARGET_S:.0f} s target, "
              f"ratio {seconds / TARGET_S:.2f}")
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
