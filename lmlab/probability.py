"""Token probabilities, surprisal and perplexity, straight from the model's logits.

perplexity = exp(mean negative log-likelihood per predicted token), the same
number as exp(loss) from the model's own forward with labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from lmlab.errors import InputError
from lmlab.loading import LoadedModel

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
    tokens: list[TokenScore]  # every token after the first (the first has no context)
    first_token: str
    mean_nll: float  # nats per predicted token
    perplexity: float


def readable_tokens(tokenizer, ids: list[int]) -> list[str]:
    """Each token as the text it stands for (no 'Ġ' / '▁' artefacts)."""
    return [tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in ids]


def encode_for_scoring(loaded: LoadedModel, text: str, max_tokens: int = MAX_LENS_TOKENS) -> torch.Tensor:
    if text is None or not text.strip():
        raise InputError("Please enter some text to score.")
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    limit = min(max_tokens, loaded.context_length)
    if ids.shape[1] > limit:
        raise InputError(f"The text is {ids.shape[1]:,} tokens; the limit here is {limit:,}.")
    if ids.shape[1] < 2:
        raise InputError("The text needs at least two tokens: the model scores each token "
                         "given the ones before it.")
    return ids


@torch.inference_mode()
def next_token_logits(loaded: LoadedModel, input_ids: torch.Tensor) -> torch.Tensor:
    """Logits (V,) for the token after `input_ids` (1, T), in float32."""
    with loaded.lock:
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
    return float(-(p * torch.log2(p)).sum())


@torch.inference_mode()
def score_text(loaded: LoadedModel, text: str, top_k: int = 5,
               max_tokens: int = MAX_LENS_TOKENS) -> TextScore:
    """Every token's probability under the model, plus the text's perplexity."""
    ids = encode_for_scoring(loaded, text, max_tokens)  # (1, T)
    with loaded.lock:
        logits = loaded.model(ids.to(loaded.device)).logits[0].float().cpu()  # (T, V)
    logprobs = torch.log_softmax(logits[:-1], dim=-1)  # (T-1, V): predicts tokens 1..T-1
    targets = ids[0, 1:]  # (T-1,)
    target_lp = logprobs.gather(1, targets[:, None])[:, 0]  # (T-1,)
    top_lp, top_ids = logprobs.topk(top_k, dim=-1)  # (T-1, k)
    tokenizer = loaded.tokenizer
    texts = readable_tokens(tokenizer, ids[0].tolist())
    vocab_texts: dict[int, str] = {}

    def token_text(i: int) -> str:
        if i not in vocab_texts:
            vocab_texts[i] = tokenizer.decode([i], clean_up_tokenization_spaces=False)
        return vocab_texts[i]

    tokens = []
    for pos in range(targets.shape[0]):
        lp = float(target_lp[pos])
        tokens.append(TokenScore(
            index=pos + 1, token_id=int(targets[pos]), text=texts[pos + 1], prob=math.exp(lp),
            surprisal_bits=-lp / math.log(2),
            top=[(token_text(int(t)), math.exp(float(v))) for v, t in zip(top_lp[pos], top_ids[pos])]))
    mean_nll = float(-target_lp.mean())
    return TextScore(tokens, texts[0], mean_nll, math.exp(mean_nll))
