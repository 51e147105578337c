"""A batch of KV caches, left-padded: rows join and leave between token steps.

Every layer holds keys and values shaped (B, H, L, D); a row shorter than the
batch is padded on the left with zeros that the attention mask (B, L) hides.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def new_cache(model):
    from transformers.cache_utils import DynamicCache

    return DynamicCache(config=model.config)


def _left_pad(x: torch.Tensor, length: int) -> torch.Tensor:
    """Pad dim -2 of (B, H, L, D) on the left up to `length`."""
    missing = length - x.shape[-2]
    return F.pad(x, (0, 0, missing, 0)) if missing > 0 else x


def append_row(cache, mask: torch.Tensor | None, row_cache, row_length: int):
    """The batch cache with one more row (a prompt read alone) at the bottom."""
    device = row_cache.layers[0].keys.device
    row_mask = torch.ones(1, row_length, dtype=torch.long, device=device)  # (1, P)
    if cache is None:
        return row_cache, row_mask
    length = max(mask.shape[1], row_length)
    for layer, row in zip(cache.layers, row_cache.layers):
        layer.keys = torch.cat([_left_pad(layer.keys, length), _left_pad(row.keys, length)])
        layer.values = torch.cat([_left_pad(layer.values, length),
                                  _left_pad(row.values, length)])
    mask = torch.cat([F.pad(mask, (length - mask.shape[1], 0)),
                      F.pad(row_mask, (length - row_length, 0))])  # (B + 1, L')
    return cache, mask


def select_rows(cache, mask: torch.Tensor, index: list[int]):
    """Keep these rows; drop padding columns no remaining row needs."""
    rows = torch.tensor(index, device=mask.device)
    mask = mask.index_select(0, rows)  # (B', L)
    first = int((mask.sum(0) > 0).nonzero()[0])
    mask = mask[:, first:]
    for layer in cache.layers:
        layer.keys = layer.keys.index_select(0, rows)[..., first:, :]
        layer.values = layer.values.index_select(0, rows)[..., first:, :]
    return cache, mask
