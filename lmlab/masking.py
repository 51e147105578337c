"""BERT-style masking for the masked-LM objective (Devlin et al., 2019).

15% of the positions become prediction targets. Of those, 80% are replaced by
[MASK], 10% by a random token and 10% keep their token: the model cannot tell
which visible tokens are targets, so it must build a good representation of
every token, not only of [MASK]. Positions that are not targets get label -100
and are ignored by the cross-entropy loss.
"""

from __future__ import annotations

import torch

IGNORE = -100
MASK_PROB = 0.15


def mask_tokens(ids: torch.Tensor, mask_id: int, vocab_size: int, n_special: int = 2,
                mask_prob: float = MASK_PROB, generator: torch.Generator | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels) for ids (B, T); labels are the original ids at targets, else -100."""
    draw = lambda: torch.rand(ids.shape, generator=generator)  # noqa: E731
    targets = draw() < mask_prob  # (B, T) bool
    targets &= ids >= n_special  # never ask the model to predict <unk>/[MASK] itself
    labels = torch.where(targets, ids, torch.full_like(ids, IGNORE))
    inputs = ids.clone()
    roll = draw()  # one draw decides the 80/10/10 split per target
    to_mask = targets & (roll < 0.8)
    to_random = targets & (roll >= 0.8) & (roll < 0.9)
    inputs[to_mask] = mask_id
    random_ids = torch.randint(n_special, vocab_size, ids.shape, generator=generator)
    inputs[to_random] = random_ids[to_random]
    return inputs, labels  # the last 10% of targets keep their original token
