"""Pretrain on corpus A, then fine-tune the same model on corpus B.

Perplexity on the validation part of both corpora is measured three times:
untrained, after pretraining, after fine-tuning. Fine-tuning should lower the
perplexity on B (specialization) and usually raises it on A (forgetting).
Both corpora share one vocabulary so the same model can read either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from lmlab.training import TrainConfig, Trainer, new_trainer
from lmlab.training_data import TextDataset, Vocab

STAGES = ("untrained", "after pretraining on A", "after fine-tuning on B")


@dataclass
class FinetuneJob:
    corpus_a: TextDataset
    corpus_b: TextDataset
    pretrain: Trainer
    finetune_config: TrainConfig
    finetune: Trainer | None = None
    # stage -> corpus name -> validation perplexity
    table: dict[str, dict[str, float]] = field(default_factory=dict)
    stopped: bool = False

    @classmethod
    def build(cls, text_a: str, text_b: str, architecture: str = "transformer",
              size: str = "small", pretrain: TrainConfig | None = None,
              finetune: TrainConfig | None = None, level: str = "char",
              name_a: str = "A", name_b: str = "B") -> "FinetuneJob":
        vocab = Vocab.build(text_a, text_b, level=level)
        a = TextDataset.from_text(text_a, vocab, name=name_a)
        b = TextDataset.from_text(text_b, vocab, name=name_b)
        pretrain = pretrain or TrainConfig()
        finetune = (finetune or replace(pretrain, steps=max(1, pretrain.steps // 2))).validate()
        trainer = new_trainer(a, architecture, size, pretrain, name=f"pretrain on {name_a}")
        job = cls(a, b, trainer, finetune)
        job._record(STAGES[0])
        return job

    @property
    def model(self):
        return self.pretrain.model

    @property
    def current(self) -> Trainer:
        return self.finetune or self.pretrain

    @property
    def trainers(self) -> list[Trainer]:
        return [t for t in (self.pretrain, self.finetune) if t is not None]

    @property
    def phase(self) -> str:
        if self.finished:
            return "done"
        return "fine-tuning" if self.finetune else "pretraining"

    @property
    def finished(self) -> bool:
        return self.stopped or (self.finetune is not None and self.finetune.finished) or \
            self.pretrain.status == "diverged"

    @property
    def waiting(self) -> bool:
        return self.current.waiting

    @property
    def message(self) -> str:
        return self.current.message

    def run_for(self, seconds: float) -> int:
        if self.finished:
            return 0
        taken = self.current.run_for(seconds)
        if self.finetune is None and self.pretrain.finished:
            self._record(STAGES[1])
            if self.pretrain.status == "done":
                self.finetune = Trainer(self.model, self.corpus_b, self.finetune_config,
                                        name=f"fine-tune on {self.corpus_b.name}")
        elif self.finetune is not None and self.finetune.finished:
            self._record(STAGES[2])
        return taken

    def stop(self) -> None:
        if self.finished:
            return
        self.current.stop()
        self.stopped = True
        self._record(STAGES[2] if self.finetune else STAGES[1])

    def _record(self, stage: str) -> None:
        judge = self.current
        self.table[stage] = {d.name: math.exp(judge.evaluate(d))
                             for d in (self.corpus_a, self.corpus_b)}
