"""Fill one [MASK] in a sentence: with the small masked LM trained here, or a Hub model.

Both return the top predictions as (token text, probability) pairs, where the
probabilities are the softmax of the model's logits at the masked position.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.training import limited_threads, train_threads
from lmlab.training_data import MASK, TextDataset
from lmlab.turns import model_turn

MAX_SENTENCE_CHARS = 500


def check_sentence(sentence: str | None) -> str:
    sentence = (sentence or "").strip()
    if not sentence:
        raise InputError("Please type a sentence with one [MASK] in it.")
    if len(sentence) > MAX_SENTENCE_CHARS:
        raise InputError(f"The sentence is {len(sentence):,} characters; the limit is "
                         f"{MAX_SENTENCE_CHARS}.")
    count = sentence.count(MASK)
    if count != 1:
        raise InputError(f"Put exactly one {MASK} in the sentence (it has {count}).")
    return sentence


def _top(probs: torch.Tensor, decode, top_k: int, skip: set[int] = frozenset()
         ) -> list[tuple[str, float]]:
    out = []
    for i in torch.argsort(probs, descending=True).tolist():
        if i in skip:
            continue
        text = decode(i).strip()
        if text:
            out.append((text, float(probs[i])))
        if len(out) == top_k:
            break
    return out


@torch.no_grad()
def fill_mask_small(model: torch.nn.Module, dataset: TextDataset, sentence: str,
                    top_k: int = 5) -> list[tuple[str, float]]:
    """Top predictions of the small masked LM for the [MASK] position."""
    vocab = dataset.vocab
    before, after = check_sentence(sentence).split(MASK)
    left, right = vocab.encode(before), vocab.encode(after)
    budget = model.config.block_size - 1  # tokens around the mask that fit in the window
    keep_left = min(len(left), max(budget // 2, budget - len(right)))
    left = left[len(left) - keep_left:]
    right = right[:budget - keep_left]
    idx = torch.tensor([left + [vocab.mask_id] + right])  # (1, T)
    model.eval()
    with limited_threads(train_threads()):
        logits = model(idx)[0, len(left)]  # (V,)
    probs = F.softmax(logits, dim=-1)
    return _top(probs, lambda i: vocab.tokens[i], top_k, skip=set(range(vocab.n_special)))


@torch.no_grad()
def fill_mask_hub(loaded: LoadedModel, sentence: str, top_k: int = 5) -> list[tuple[str, float]]:
    """Top predictions of a pretrained masked LM (BERT and friends) for the [MASK]."""
    tokenizer = loaded.tokenizer
    text = check_sentence(sentence).replace(MASK, tokenizer.mask_token)
    enc = tokenizer(text, return_tensors="pt", truncation=True)
    positions = (enc["input_ids"][0] == tokenizer.mask_token_id).nonzero().flatten()
    if len(positions) != 1:
        raise InputError("The sentence is too long for this model; shorten it around the [MASK].")
    with model_turn(loaded):
        logits = loaded.model(**{k: v.to(loaded.device) for k, v in enc.items()}).logits
    probs = F.softmax(logits[0, positions[0]].float(), dim=-1).cpu()  # (V,)
    return _top(probs, lambda i: tokenizer.decode([i]), top_k,
                skip=set(tokenizer.all_special_ids))
