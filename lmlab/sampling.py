"""One request's own decoding: its logits processing, its random generator, its text.

Each row of a batch is processed alone, from its own logits, with its own
torch.Generator, so a request picks the same tokens whether it runs alone or
beside others. The steps and their order follow transformers' `generate`:
repetition penalty, then temperature, top-k, top-p, then a multinomial draw
(or the argmax for greedy decoding).
"""

from __future__ import annotations

import torch


def process_logits(logits: torch.Tensor, params, seen: torch.Tensor, generated: int,
                   eos_ids: list[int]) -> torch.Tensor:
    """The scores one row samples from. logits (V,) float32; seen (S,) ids so far."""
    scores = logits
    penalty = float(params.repetition_penalty)
    if penalty != 1.0 and seen.numel():
        picked = scores.gather(0, seen)  # (S,)
        picked = torch.where(picked < 0, picked * penalty, picked / penalty)
        scores = scores.scatter(0, seen, picked)
    min_new = int(getattr(params, "min_new_tokens", 0) or 0)
    if generated < min_new and eos_ids:
        scores = scores.clone()
        scores[eos_ids] = float("-inf")
    if not params.do_sample:
        return scores
    scores = scores / float(params.temperature)
    top_k = int(params.top_k or 0)
    if 0 < top_k < scores.shape[-1]:
        kth = torch.topk(scores, top_k).values[-1]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    top_p = float(params.top_p)
    if top_p < 1.0:
        ordered, order = torch.sort(scores, descending=False)  # (V,) ascending
        cumulative = ordered.softmax(dim=-1).cumsum(dim=-1)
        drop = cumulative <= (1 - top_p)
        drop[-1] = False  # always keep the most likely token
        scores = scores.masked_fill(drop.scatter(0, order, drop), float("-inf"))
    return scores


def choose_token(scores: torch.Tensor, params, generator: torch.Generator | None) -> int:
    if not params.do_sample:
        return int(scores.argmax())
    probs = torch.softmax(scores, dim=-1)  # (V,)
    return int(torch.multinomial(probs, 1, generator=generator))


def eos_token_ids(loaded) -> list[int]:
    """The ids that end a reply (the generation config's, else the tokenizer's)."""
    eos = getattr(loaded.model.generation_config, "eos_token_id", None)
    if eos is None:
        eos = loaded.tokenizer.eos_token_id
    if eos is None:
        return []
    return [int(e) for e in eos] if isinstance(eos, (list, tuple)) else [int(eos)]


def new_generator(seed: int | None, device: str) -> torch.Generator:
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(int(seed))
    return generator


class IncrementalText:
    """Turns token ids into text pieces as they come, in the engine's thread.

    Decodes a short window (from the last clean boundary) instead of the whole
    reply, so each token costs the same; waits while a multi-byte character is
    half there. Stop strings end the text before they start; text that might be
    the beginning of a stop string is held back until it is clear.
    """

    def __init__(self, tokenizer, skip_special_tokens: bool = True,
                 stop_strings: tuple[str, ...] = ()):
        self.tokenizer = tokenizer
        self.skip = skip_special_tokens
        self.stops = tuple(s for s in stop_strings if s)
        self.ids: list[int] = []
        self._prefix = 0  # ids[_prefix:_read] decode to text already counted
        self._read = 0
        self.text = ""  # everything decoded so far (held-back text included)
        self.sent = 0  # characters of self.text already handed out
        self.stopped = False  # a stop string appeared

    def _decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=self.skip)

    def add(self, token_id: int) -> str:
        """The text this token lets out (maybe "")."""
        self.ids.append(token_id)
        before = self._decode(self.ids[self._prefix:self._read])
        window = self._decode(self.ids[self._prefix:])
        if len(window) > len(before) and not window.endswith("\ufffd"):
            self.text += window[len(before):]
            self._prefix, self._read = self._read, len(self.ids)
        return self._release(final=False)

    def finish(self) -> str:
        """What is left at the end (a broken byte sequence, held-back text)."""
        if not self.stopped:
            before = self._decode(self.ids[self._prefix:self._read])
            window = self._decode(self.ids[self._prefix:])
            if len(window) > len(before):
                self.text += window[len(before):]
                self._prefix = self._read = len(self.ids)
        return self._release(final=True)

    def _release(self, final: bool) -> str:
        if self.stopped:
            return ""
        end = len(self.text)
        if self.stops:
            start = max(0, self.sent - max(len(s) for s in self.stops))
            hits = [i for i in (self.text.find(s, start) for s in self.stops) if i >= 0]
            if hits:
                self.stopped = True
                self.text = self.text[:min(hits)]
                end = len(self.text)
            elif not final:
                end -= self._held_back()
        piece = self.text[self.sent:end]
        self.sent = max(self.sent, end)
        return piece

    def _held_back(self) -> int:
        """Length of the longest tail of the text that begins some stop string."""
        longest = 0
        for stop in self.stops:
            for n in range(min(len(stop) - 1, len(self.text)), longest, -1):
                if self.text.endswith(stop[:n]):
                    longest = n
                    break
        return min(longest, len(self.text) - self.sent)
