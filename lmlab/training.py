"""Training a small language model in chunks, so a page can show it learning live.

The loop is the textbook one: take a batch of windows, compute the logits,
cross-entropy against the next tokens (or, for the masked objective, against
the hidden tokens), backpropagate, clip the gradient norm, take an Adam step.
A Trainer is advanced a chunk at a time (`run_for(seconds)` / `run_steps(n)`)
by whoever owns it: a Streamlit script run, a Gradio generator, a test. It
never calls any UI itself and never starts a thread.

Every `eval_every` steps it measures the loss on fixed validation windows and
reports perplexity = exp(validation loss). If the loss stops being a finite
number (a learning rate of 10 does that), training stops with one clear
sentence and the model goes back to its last good weights, so it stays usable.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Protocol

import torch
import torch.nn.functional as F

from lmlab.errors import InputError
from lmlab.inputs import check_text
from lmlab.masking import IGNORE, mask_tokens
from lmlab.training_data import TextDataset
from lmlab.training_models import ModelConfig, build_model, config_for, count_parameters

OBJECTIVES = ("causal", "masked")
MAX_STEPS = 3000
MAX_SAMPLE_PROMPT_CHARS = 200  # the start a student types for a trained model to continue
MAX_LR = 10.0
# A loss this many times the loss of uniform guessing counts as blown up.
BLOWUP_FACTOR = 20.0


def train_threads() -> int:
    """Threads per training job: LMLAB_TRAIN_THREADS, else half the cores (at least 1).

    A Space serves many students at once; one job must not take every core.
    """
    if os.environ.get("LMLAB_TRAIN_THREADS"):
        return max(1, int(os.environ["LMLAB_TRAIN_THREADS"]))
    return max(1, min(4, (os.cpu_count() or 2) // 2))


# How many jobs may compute at the same moment in this process; the rest wait their turn.
_SLOTS = threading.BoundedSemaphore(
    int(os.environ.get("LMLAB_TRAINING_SLOTS", max(1, (os.cpu_count() or 2) // train_threads()))))


@contextlib.contextmanager
def limited_threads(n: int):
    """torch's intra-op thread count is per calling thread: set it and put it back."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class TrainConfig:
    lr: float = 3e-3
    steps: int = 400
    batch_size: int = 32
    eval_every: int = 25
    sample_every: int = 100
    sample_length: int = 160
    grad_clip: float = 1.0
    seed: int = 0
    objective: str = "causal"
    eval_windows: int = 48

    def validate(self) -> "TrainConfig":
        if not (isinstance(self.lr, (int, float)) and 0 < self.lr <= MAX_LR):
            raise InputError(f"The learning rate must be above 0 and at most {MAX_LR:g}.")
        if not 1 <= int(self.steps) <= MAX_STEPS:
            raise InputError(f"Steps must be between 1 and {MAX_STEPS:,}.")
        if not 1 <= int(self.batch_size) <= 128:
            raise InputError("The batch size must be between 1 and 128.")
        if self.objective not in OBJECTIVES:
            raise InputError(f"The objective must be one of {', '.join(OBJECTIVES)}.")
        return self


@dataclass
class LogPoint:
    step: int
    train_loss: float  # mean training loss since the previous point
    val_loss: float
    val_perplexity: float  # exp(val_loss)
    seconds: float  # training time so far


class Trainer:
    """One model, one dataset, one optimizer; advanced chunk by chunk."""

    def __init__(self, model: torch.nn.Module, dataset: TextDataset, config: TrainConfig,
                 name: str = ""):
        self.config = config.validate()
        self.model = model
        self.dataset = dataset
        self.name = name or getattr(model.config, "architecture", "model")
        self.block_size = dataset.block_size_for(model.config.block_size)
        if config.objective == "masked" and dataset.vocab.mask_id is None:
            raise ValueError("the masked objective needs a vocabulary with [MASK]")
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.seconds = 0.0
        self.status = "ready"  # ready | running | done | stopped | diverged
        self.message = ""
        self.history: list[LogPoint] = []
        self.samples: list[tuple[int, str]] = []
        self._since_eval: list[float] = []
        self._good = self._snapshot()
        self._good_step = 0
        self.waiting = False

    # --- public state -------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.status in ("done", "stopped", "diverged")

    @property
    def trainers(self) -> list["Trainer"]:
        """The TrainingJob view of one trainer: itself."""
        return [self]

    @property
    def n_params(self) -> int:
        return count_parameters(self.model)

    @property
    def last(self) -> LogPoint | None:
        return self.history[-1] if self.history else None

    def stop(self) -> None:
        """Stop here; the model keeps what it has learnt and can be sampled."""
        if not self.finished:
            self.status = "stopped"
            self.message = f"Stopped at step {self.step:,} of {self.config.steps:,}."
            self._log_eval()

    # --- the loop -------------------------------------------------------
    def loss_on(self, x: torch.Tensor, y: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Mean cross-entropy over the predicted tokens of windows x (B, T)."""
        if self.config.objective == "masked":
            vocab = self.dataset.vocab
            x, y = mask_tokens(x, vocab.mask_id, len(vocab), vocab.n_special,
                               generator=generator or self.generator)
        logits = self.model(x)  # (B, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                               ignore_index=IGNORE)

    def run_steps(self, n: int) -> int:
        """Take up to n optimizer steps; returns how many were taken."""
        taken = 0
        with limited_threads(train_threads()):
            while taken < n and not self.finished:
                self._one_step()
                taken += 1
        return taken

    def run_for(self, seconds: float, wait: float = 0.2) -> int:
        """Train for about `seconds` of wall time, sharing the CPU with other jobs."""
        if self.finished:
            return 0
        if not _SLOTS.acquire(timeout=wait):
            self.waiting = True  # every slot is busy: the page says so and tries again
            return 0
        self.waiting = False
        try:
            deadline = time.perf_counter() + seconds
            taken = 0
            with limited_threads(train_threads()):
                while not self.finished and (taken == 0 or time.perf_counter() < deadline):
                    self._one_step()
                    taken += 1
            return taken
        finally:
            _SLOTS.release()

    def _one_step(self) -> None:
        cfg = self.config
        if self.step == 0 and not self.history:
            self._log_eval()  # the untrained model's loss: the start of every curve
        self.status = "running"
        start = time.perf_counter()
        self.model.train()
        x, y = self.dataset.batch("train", cfg.batch_size, self.block_size, self.generator)
        loss = self.loss_on(x, y)
        if not self._finite(loss.item()):
            return self._diverged(loss.item())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        self.step += 1
        self._since_eval.append(loss.item())
        self.seconds += time.perf_counter() - start
        if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
            self._log_eval()
            if self.status == "diverged":
                return
            self._good, self._good_step = self._snapshot(), self.step
        if cfg.objective == "causal" and (self.step % cfg.sample_every == 0 or self.step == cfg.steps):
            self.samples.append((self.step, self.sample(length=cfg.sample_length)))
        if self.step >= cfg.steps:
            self.status = "done"
            self.message = f"Finished {self.step:,} steps in {self.seconds:.1f} s."

    def _finite(self, loss: float) -> bool:
        return math.isfinite(loss) and loss < BLOWUP_FACTOR * math.log(len(self.dataset.vocab))

    def _diverged(self, loss: float) -> None:
        what = "not a number (NaN)" if math.isnan(loss) else (
            "infinite" if math.isinf(loss) else f"{loss:,.0f}, far worse than random guessing")
        self.model.load_state_dict(self._good[0])
        self.optimizer.load_state_dict(self._good[1])
        self.status = "diverged"
        self.message = (f"Training stopped at step {self.step:,}: the loss became {what}, so the "
                        f"learning rate {self.config.lr:g} is too large (try 0.001 to 0.01); the "
                        f"model is back to its weights from step {self._good_step:,}.")

    def _snapshot(self) -> tuple[dict, dict]:
        return (copy.deepcopy(self.model.state_dict()),
                copy.deepcopy(self.optimizer.state_dict()))

    def _log_eval(self) -> None:
        val = self.evaluate()
        if not self._finite(val):
            return self._diverged(val)
        train = (sum(self._since_eval) / len(self._since_eval)) if self._since_eval else val
        self._since_eval = []
        if self.history and self.history[-1].step == self.step:
            return
        self.history.append(LogPoint(self.step, train, val, math.exp(val), self.seconds))

    # --- measuring and sampling -----------------------------------------
    @torch.no_grad()
    def evaluate(self, dataset: TextDataset | None = None, split: str = "val") -> float:
        """Mean cross-entropy (nats per predicted token) on fixed windows of a split."""
        dataset = dataset or self.dataset
        block = dataset.block_size_for(self.block_size)
        x, y = dataset.eval_windows(split, block, self.config.eval_windows)
        self.model.eval()
        if self.config.objective == "masked":  # the same hidden positions at every evaluation
            vocab = dataset.vocab
            x, y = mask_tokens(x, vocab.mask_id, len(vocab), vocab.n_special,
                               generator=torch.Generator().manual_seed(1234))
        with limited_threads(train_threads()):
            logits = self.model(x)  # (W, T, V)
        total = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                                ignore_index=IGNORE, reduction="sum")
        count = (y != IGNORE).sum().clamp(min=1)
        return (total / count).item()

    def perplexity(self, dataset: TextDataset | None = None) -> float:
        return math.exp(self.evaluate(dataset))

    @torch.no_grad()
    def sample(self, prompt: str = "", length: int = 160, temperature: float = 0.8,
               seed: int = 0) -> str:
        """Continue `prompt` (default: the first token of the corpus) by sampling."""
        return sample_text(self.model, self.dataset, prompt, length, temperature, seed)


@torch.no_grad()
def sample_text(model: torch.nn.Module, dataset: TextDataset, prompt: str = "",
                length: int = 160, temperature: float = 0.8, seed: int = 0) -> str:
    vocab = dataset.vocab
    prompt = check_text(prompt, what="The start of the text", max_chars=MAX_SAMPLE_PROMPT_CHARS,
                        allow_empty=True)
    ids = vocab.encode(prompt) if prompt.strip() else dataset.train[:1].tolist()
    if not ids:
        raise InputError("The prompt has no tokens this model knows; type a few letters or words.")
    generator = torch.Generator().manual_seed(seed)
    block = model.config.block_size
    out = list(ids)
    model.eval()
    with limited_threads(train_threads()):
        for _ in range(int(length)):
            idx = torch.tensor([out[-block:]])  # (1, T)
            logits = model(idx)[0, -1] / max(temperature, 1e-3)  # (V,)
            logits[0] = float("-inf")  # never sample <unk>
            out.append(int(torch.multinomial(F.softmax(logits, -1), 1, generator=generator)))
    return vocab.decode(out)


def new_trainer(dataset: TextDataset, architecture: str, size: str, config: TrainConfig,
                name: str = "") -> Trainer:
    """A fresh model of the given architecture and size, seeded for repeatability."""
    config.validate()
    torch.manual_seed(config.seed)
    model_config: ModelConfig = config_for(architecture, size, len(dataset.vocab),
                                           causal=config.objective == "causal")
    return Trainer(build_model(model_config), dataset, config, name=name or architecture)


class TrainingJob(Protocol):
    """What a page drives and draws: one trainer, several side by side, or a fine-tuning run."""

    @property
    def finished(self) -> bool: ...

    @property
    def waiting(self) -> bool: ...

    @property
    def trainers(self) -> list[Trainer]: ...

    def run_for(self, seconds: float) -> int: ...

    def stop(self) -> None: ...


@dataclass
class CompareJob:
    """Several trainers on the same data, advanced in turn so their curves grow together."""

    trainers: list[Trainer] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return all(t.finished for t in self.trainers)

    @property
    def waiting(self) -> bool:
        return any(t.waiting for t in self.trainers)

    def run_for(self, seconds: float) -> int:
        active = [t for t in self.trainers if not t.finished]
        return sum(t.run_for(seconds / max(1, len(active))) for t in active)

    def stop(self) -> None:
        for t in self.trainers:
            t.stop()


def new_masked_trainer(dataset: TextDataset, size: str, config: TrainConfig) -> Trainer:
    """A bidirectional Transformer encoder trained to fill in hidden tokens."""
    return new_trainer(dataset, "transformer", size, replace(config, objective="masked"),
                       name="masked LM")
