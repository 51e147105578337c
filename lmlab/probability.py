"""Token probabilities, surprisal and perplexity, straight from the model's logits.

perplexity = exp(mean negative log-likelihood per predicted token), the same
number as exp(loss) from the model's own forward with labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch

from lmlab import inputs
from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.token_text import token_text
from lmlab.turns import model_turn

MAX_LENS_TOKENS = 1024


@dataclass
class TokenScore:
    index: int  # position in the text's tokens
    token_id: int
    text: str  # readable token text
    prob: float  # P(token | tokens before it)
    surprisal_bits: float  # -log2 prob
    top: list[tuple[str, float]]  # the model's top alternatives at this position


@dataclass
class TextScore:
    tokens: list[TokenScore]  # every scored token (all of them after a document start)
    first_token: str  # the unscored token in front: the document start, or the text's first
    mean_nll: float  # nats per predicted token
    perplexity: float
    document_start: bool = False  # True: scored after the model's start-of-text token


# The token each training document starts with, for models whose tokenizer does not put one
# in front itself (GPT-2 and SmolLM2 separate their documents with it). Without it the first
# positions read text that no document began with: SmolLM2 after a lone "The" puts 42% on
# "-", and "The cat sat on the mat." scores perplexity 210 instead of 20. The LM evaluation
# harnesses score the same way.
DOCUMENT_START = "<|endoftext|>"


def document_start_id(tokenizer, ids: list[int]) -> int | None:
    """The id to put before `ids` when scoring a whole text; None when there is none to add."""
    bos = tokenizer.bos_token_id
    if bos is not None and ids[:1] == [bos]:
        return None  # the tokenizer added its own (Llama's <s>)
    found = tokenizer.convert_tokens_to_ids(DOCUMENT_START)  # unknown: None or the unk id
    if found is None or tokenizer.convert_ids_to_tokens(int(found)) != DOCUMENT_START:
        return None
    return int(found)


def readable_tokens(tokenizer, ids: list[int]) -> list[str]:
    """Each token as the text it stands for (no 'Ġ' / '▁' artefacts; loose bytes as ⟨f0 9f⟩)."""
    return [token_text(tokenizer, i) for i in ids]


def encode_for_scoring(loaded: LoadedModel, text: str, max_tokens: int = MAX_LENS_TOKENS) -> torch.Tensor:
    ids = inputs.encode_text(loaded, text, max_tokens=max_tokens,
                             empty="Please enter some text to score.")
    if ids.shape[1] < 2:
        raise InputError("The text needs at least two tokens: the model scores each token "
                         "given the ones before it.")
    return ids


@torch.inference_mode()
def next_token_logits(loaded: LoadedModel, input_ids: torch.Tensor) -> torch.Tensor:
    """Logits (V,) for the token after `input_ids` (1, T), in float32."""
    with model_turn(loaded):
        out = loaded.model(input_ids.to(loaded.device))
    return out.logits[0, -1].float().cpu()


def softmax_with_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T); T -> 0 approaches greedy (all mass on the argmax)."""
    if temperature <= 0:
        probs = torch.zeros_like(logits)
        probs[logits.argmax()] = 1.0
        return probs
    return torch.softmax(logits.float() / temperature, dim=-1)


def entropy_bits(probs: torch.Tensor) -> float:
    p = probs[probs > 0]
    return max(0.0, float(-(p * torch.log2(p)).sum()))  # never print -0.00


def _lock(loaded: LoadedModel, on_wait: Callable[..., None] | None):
    return model_turn(loaded, on_wait)


class _TokenTexts:
    """Readable text of vocabulary entries, decoded once each. `as_typed`: the plain decode,
    for texts a page appends to the prompt (a token's loose bytes then stay '�')."""

    def __init__(self, tokenizer, as_typed: bool = False):
        self.tokenizer, self.as_typed = tokenizer, as_typed
        self.cache: dict[int, str] = {}

    def __call__(self, token_id: int) -> str:
        if token_id not in self.cache:
            self.cache[token_id] = (
                self.tokenizer.decode([token_id], clean_up_tokenization_spaces=False)
                if self.as_typed else token_text(self.tokenizer, token_id))
        return self.cache[token_id]


@torch.inference_mode()
def _score_ids(loaded: LoadedModel, ids: torch.Tensor, start: int, top_k: int,
               on_wait: Callable[[], None] | None = None, offset: int = 0) -> list[TokenScore]:
    """Scores of tokens ids[0, start:] given everything before them: one forward pass.
    Their `index` counts from ids[0, offset] (1: a document start in front is not counted)."""
    with _lock(loaded, on_wait):
        logits = loaded.model(ids.to(loaded.device)).logits[0, start - 1:-1]  # (N, V)
    logprobs = torch.log_softmax(logits.float().cpu(), dim=-1)  # (N, V)
    targets = ids[0, start:]  # (N,)
    target_lp = logprobs.gather(1, targets[:, None])[:, 0]  # (N,)
    top_lp, top_ids = logprobs.topk(min(top_k, logprobs.shape[-1]), dim=-1)  # (N, k)
    text_of = _TokenTexts(loaded.tokenizer)
    tokens = []
    for pos, (lp, target) in enumerate(zip(target_lp.tolist(), targets.tolist())):
        tokens.append(TokenScore(
            index=start + pos - offset, token_id=target, text=text_of(target), prob=math.exp(lp),
            surprisal_bits=-lp / math.log(2),
            top=[(text_of(t), math.exp(v)) for v, t in zip(top_lp[pos].tolist(),
                                                               top_ids[pos].tolist())]))
    return tokens


def score_text(loaded: LoadedModel, text: str, top_k: int = 5,
               max_tokens: int = MAX_LENS_TOKENS, on_wait: Callable[[], None] | None = None
               ) -> TextScore:
    """Every token's probability under the model, plus the text's perplexity."""
    ids = encode_for_scoring(loaded, text, max_tokens)  # (1, T)
    start = document_start_id(loaded.tokenizer, ids[0].tolist())
    if start is not None:  # every token of the text is scored, the first after the start
        ids = torch.cat([torch.tensor([[start]], dtype=ids.dtype), ids], dim=1)  # (1, T+1)
    tokens = _score_ids(loaded, ids, 1, top_k, on_wait, offset=int(start is not None))
    # mean NLL from the log-probabilities themselves (math.log(prob) would lose underflows)
    mean_nll = sum(t.surprisal_bits for t in tokens) * math.log(2) / len(tokens)
    first = loaded.tokenizer.decode(ids[0, :1].tolist(), clean_up_tokenization_spaces=False)
    return TextScore(tokens, first, mean_nll, math.exp(mean_nll), start is not None)


def score_continuation(loaded: LoadedModel, prompt_ids: list[int], new_ids: list[int],
                       top_k: int = 5, on_wait: Callable[[], None] | None = None) -> list[TokenScore]:
    """Probability the model gives each generated token after the prompt and the tokens
    before it (temperature 1, before any sampling filter or penalty)."""
    if not prompt_ids or not new_ids:
        return []
    ids = torch.tensor([list(prompt_ids) + list(new_ids)])  # (1, P + N)
    return _score_ids(loaded, ids, len(prompt_ids), top_k, on_wait)


@dataclass
class NextTokens:
    """The top-k of a next-token distribution after temperature."""

    token_ids: list[int]
    texts: list[str]  # as shown: a token's loose bytes as ⟨f0 9f⟩ (lmlab.token_text)
    probs: list[float]  # after temperature, over the whole vocabulary
    entropy_bits: float  # of the whole distribution after temperature
    temperature: float
    rest: float  # probability of every token outside the top-k
    typed: list[str] = field(default_factory=list)  # plain decodes, to append to a prompt

    def appendable(self, i: int) -> str | None:
        """The text that appends token i to a prompt; None when it is part of a character
        (a text box cannot hold loose bytes: the next token completes them)."""
        text = self.typed[i] if self.typed else self.texts[i]
        return None if "\ufffd" in text else text


def prompt_next_logits(loaded: LoadedModel, prompt: str, on_wait: Callable[[], None] | None = None
                       ) -> torch.Tensor:
    """Logits (V,) for the token after a prompt; keep them to reshape by temperature."""
    ids = inputs.encode_text(loaded, prompt, what="The prompt", max_tokens=MAX_LENS_TOKENS,
                             empty="Please type a prompt first.")
    with _lock(loaded, on_wait):
        return next_token_logits(loaded, ids)


def top_next_tokens(loaded: LoadedModel, logits: torch.Tensor, temperature: float = 1.0,
                    k: int = 10) -> NextTokens:
    """The k likeliest next tokens at a temperature (pure: no forward pass)."""
    if not 1 <= int(k) <= 100:
        raise InputError("Top-k must be between 1 and 100.")
    probs = softmax_with_temperature(logits, temperature)  # (V,)
    top_p, top_ids = probs.topk(int(k))
    shown, typed = _TokenTexts(loaded.tokenizer), _TokenTexts(loaded.tokenizer, as_typed=True)
    ids = top_ids.tolist()
    return NextTokens(ids, [shown(i) for i in ids], top_p.tolist(), entropy_bits(probs),
                      float(temperature), max(0.0, 1.0 - float(top_p.sum())),
                      typed=[typed(i) for i in ids])
