"""Activation patching: which residual states and heads carry the fact that decides a prompt.

A clean prompt ("The Eiffel Tower is in the city of") and a corrupted one of the
same token length ("The Colosseum is in the city of"); the metric is the logit
difference between two answer tokens (" Paris" − " Rome") after the last token.
Patching (layer l, position p) runs the corrupted prompt with the residual stream
entering layer l at position p replaced by the clean run's value; the restored
fraction (patched − corrupted) / (clean − corrupted) says how much of the clean
answer that one vector carries. Per head, the head's output (its slice of the
o_proj / c_proj input) is replaced instead. Patched runs go in batches, one patch
set per batch row, with a progress callback and a stop event.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import torch

from lmlab.errors import InputError
from lmlab.inputs import encode_text
from lmlab.loading import LoadedModel
from lmlab.residual import Trace, _model_turn, trace_ids
from lmlab.token_text import token_text

MAX_PATCH_TOKENS = 32  # positions × layers forwards: keep the grid affordable on a CPU
BATCH_ROWS = 32

Patch = tuple[int, int]  # (layer, position); for heads (layer, position, head)
Progress = Callable[[int, int, torch.Tensor], None]  # (done, total, partial grid)


@dataclass
class PatchSetup:
    clean: Trace
    corrupted: Trace
    answer_id: int
    wrong_id: int
    answer: str
    wrong: str
    clean_metric: float
    corrupted_metric: float
    notes: list[str] = field(default_factory=list)

    @property
    def n_tokens(self) -> int:
        return self.clean.n_tokens

    def restored(self, metric: torch.Tensor) -> torch.Tensor:
        """(patched − corrupted) / (clean − corrupted): 1 = clean answer back, 0 = no effect."""
        gap = self.clean_metric - self.corrupted_metric
        return (metric - self.corrupted_metric) / gap if abs(gap) > 1e-9 else metric * float("nan")


def _answer_id(loaded: LoadedModel, text: str, what: str, notes: list[str]) -> tuple[int, str]:
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"Please type the {what} (for example “ Paris”, with its leading space).")
    ids = loaded.tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise InputError(f"The {what} gives no token; please type a word.")
    shown = token_text(loaded.tokenizer, ids[0])
    if len(ids) > 1:
        notes.append(f"The {what} “{text}” is {len(ids)} tokens; the metric uses its first "
                     f"token “{shown}”.")
    return int(ids[0]), shown


def metric_of(logits: torch.Tensor, answer_id: int, wrong_id: int) -> torch.Tensor:
    """Logit difference after the last token, per batch row: logits (B, T, V) -> (B,)."""
    last = logits[:, -1].float()
    return last[:, answer_id] - last[:, wrong_id]


def prepare(loaded: LoadedModel, clean: str, corrupted: str, answer: str, wrong: str,
            on_wait: Callable[[], None] | None = None,
            max_tokens: int = MAX_PATCH_TOKENS) -> PatchSetup:
    """Check both prompts and answers, run both prompts once, and measure the metric."""
    clean_ids = encode_text(loaded, clean, what="The clean prompt", max_tokens=max_tokens,
                            empty="Please type a clean prompt (the one with the right answer).")
    corrupt_ids = encode_text(loaded, corrupted, what="The corrupted prompt", max_tokens=max_tokens,
                              empty="Please type a corrupted prompt to compare with.")
    if clean_ids.shape[1] != corrupt_ids.shape[1]:
        raise InputError(f"The clean prompt is {clean_ids.shape[1]} tokens and the corrupted "
                         f"one {corrupt_ids.shape[1]}; patching needs the same number of tokens, "
                         "so change a word or two until they match.")
    notes: list[str] = []
    answer_id, answer_text = _answer_id(loaded, answer, "right answer", notes)
    wrong_id, wrong_text = _answer_id(loaded, wrong, "wrong answer", notes)
    if answer_id == wrong_id:
        raise InputError("The two answers start with the same token, so their logit difference "
                         "is always 0; choose two different answers.")
    clean_trace = trace_ids(loaded, clean_ids, attentions=False, on_wait=on_wait)
    corrupt_trace = trace_ids(loaded, corrupt_ids, attentions=False, on_wait=on_wait)
    m_clean = float(metric_of(clean_trace.logits[None], answer_id, wrong_id)[0])
    m_corrupt = float(metric_of(corrupt_trace.logits[None], answer_id, wrong_id)[0])
    return PatchSetup(clean_trace, corrupt_trace, answer_id, wrong_id, answer_text, wrong_text,
                      m_clean, m_corrupt, notes)


def _residual_hook(setup: PatchSetup, layer: int, rows: list[list[Patch]]):
    clean = setup.clean.resid[layer]  # (T, C) what entered this layer in the clean run
    wanted = [(r, p) for r, patches in enumerate(rows) for (l, p) in patches if l == layer]

    def hook(module, args, kwargs):
        if not wanted:
            return None
        hidden = (args[0] if args else kwargs["hidden_states"]).clone()  # (B, T, C)
        for row, pos in wanted:
            hidden[row, pos] = clean[pos].to(hidden.device, hidden.dtype)
        if args:
            return (hidden, *args[1:]), kwargs
        return args, {**kwargs, "hidden_states": hidden}
    return hook


def _head_hook(setup: PatchSetup, layer: int, rows: list[list[tuple[int, int, int]]]):
    clean = setup.clean.head_z[layer]  # (T, H, d)
    d = clean.shape[-1]
    wanted = [(r, p, h) for r, patches in enumerate(rows) for (l, p, h) in patches if l == layer]

    def hook(module, args):
        if not wanted:
            return None
        z = args[0].clone()  # (B, T, H*d) head outputs before o_proj / c_proj
        for row, pos, head in wanted:
            z[row, pos, head * d:(head + 1) * d] = clean[pos, head].to(z.device, z.dtype)
        return (z, *args[1:])
    return hook


@torch.inference_mode()
def run_patched(loaded: LoadedModel, setup: PatchSetup, rows: list[list], heads: bool = False,
                on_wait: Callable[[], None] | None = None) -> torch.Tensor:
    """The metric (B,) of the corrupted prompt with each row's patches applied; one forward."""
    parts = setup.clean.parts
    ids = torch.tensor([setup.corrupted.token_ids] * len(rows))  # (B, T)
    with _model_turn(loaded, on_wait):
        handles = []
        for layer in range(parts.n_layers):
            if heads:
                handles.append(parts.attn_out(layer).register_forward_pre_hook(
                    _head_hook(setup, layer, rows)))
            else:
                handles.append(parts.layers[layer].register_forward_pre_hook(
                    _residual_hook(setup, layer, rows), with_kwargs=True))
        try:
            logits = loaded.model(ids.to(loaded.device)).logits  # (B, T, V)
        finally:
            for handle in handles:
                handle.remove()
    return metric_of(logits, setup.answer_id, setup.wrong_id).cpu()


def _grid(loaded, setup, jobs: list, shape: tuple, heads: bool, on_progress: Progress | None,
          stop: threading.Event | None, batch_rows: int, on_wait) -> tuple[torch.Tensor, bool]:
    grid = torch.full(shape, float("nan"))
    for start in range(0, len(jobs), batch_rows):
        if stop is not None and stop.is_set():
            return grid, True
        batch = jobs[start:start + batch_rows]
        metrics = run_patched(loaded, setup, [[patch] for _, patch in batch], heads, on_wait)
        for (cell, _), value in zip(batch, metrics.tolist()):
            grid[cell] = value
        if on_progress is not None:
            on_progress(min(start + batch_rows, len(jobs)), len(jobs), grid)
    return grid, False


def patch_residual_grid(loaded: LoadedModel, setup: PatchSetup, on_progress: Progress | None = None,
                        stop: threading.Event | None = None, batch_rows: int = BATCH_ROWS,
                        on_wait=None) -> tuple[torch.Tensor, bool]:
    """Metric (L, T) with the clean residual entering layer l at position p; (grid, stopped).
    Cells not reached before a stop are NaN."""
    L, T = setup.clean.n_layers, setup.n_tokens
    jobs = [((l, p), (l, p)) for l in range(L) for p in range(T)]
    return _grid(loaded, setup, jobs, (L, T), False, on_progress, stop, batch_rows, on_wait)


def patch_head_grid(loaded: LoadedModel, setup: PatchSetup, layer: int,
                    on_progress: Progress | None = None, stop: threading.Event | None = None,
                    batch_rows: int = BATCH_ROWS, on_wait=None) -> tuple[torch.Tensor, bool]:
    """Metric (H, T) with one head's clean output at one position of `layer`; (grid, stopped)."""
    L, T = setup.clean.n_layers, setup.n_tokens
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < L:
        raise InputError(f"Layer must be between 0 and {L - 1}; got {layer}.")
    H = setup.clean.parts.n_heads
    jobs = [((h, p), (layer, p, h)) for h in range(H) for p in range(T)]
    return _grid(loaded, setup, jobs, (H, T), True, on_progress, stop, batch_rows, on_wait)
