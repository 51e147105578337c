"""Text classification two ways: zero-shot from a causal LM, and a fine-tuned classifier.

Zero-shot: the text goes into a prompt that asks for one of the labels; each
label is scored by the probability the model gives its tokens right after the
prompt, P(label | prompt) = prod_t P(label_t | prompt, label_<t). A label is
scored in lower case and Capitalized (a model may start its answer either way)
and the two are added. The scores are then renormalized over the labels only,
so they sum to 1; `label_mass` says how much of the model's probability went to
the labels at all (a small mass means the model wanted to say something else).

Fine-tuned: a sequence-classification model (e.g. DistilBERT fine-tuned on
SST-2) maps the text to one logit per class; softmax gives the probabilities.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch

from lmlab.errors import InputError
from lmlab.inputs import check_text, encode_text, plain_text, token_ids
from lmlab.loading import LoadedModel

MAX_TEXT_CHARS = 2_000
MAX_TEXT_TOKENS = 256
MAX_LABELS = 8
MAX_LABEL_CHARS = 30
DEFAULT_LABELS = ("positive", "negative")
PLAIN_TEMPLATE = 'Text: "{text}"\nQuestion: is this text {choices}?\nAnswer:'
CHAT_INSTRUCTION = 'Is this text {choices}? Answer with one word.\n\nText: "{text}"'


@dataclass
class ClassProbs:
    labels: list[str]
    probs: list[float]  # sum to 1 over the labels

    @property
    def best(self) -> str:
        return self.labels[max(range(len(self.probs)), key=self.probs.__getitem__)]


@dataclass
class ZeroShotResult(ClassProbs):
    prompt: str  # exactly what the model read (chat template included)
    variants: list[list[str]]  # the continuations scored for each label
    label_mass: list[float]  # P(label | prompt) before renormalizing


def check_labels(labels) -> list[str]:
    """Two to MAX_LABELS distinct labels, or one sentence."""
    if isinstance(labels, str):
        labels = labels.replace("\n", ",").split(",")
    cleaned = [plain_text(str(label)).strip() for label in (labels or [])]
    cleaned = [label for label in cleaned if label]
    if len(cleaned) < 2:
        raise InputError("Please give at least two labels, separated by commas "
                         "(for example: positive, negative).")
    if len(cleaned) > MAX_LABELS:
        raise InputError(f"Please give at most {MAX_LABELS} labels; there are {len(cleaned)}.")
    for label in cleaned:
        if len(label) > MAX_LABEL_CHARS:
            raise InputError(f"The label “{label[:40]}…” is longer than {MAX_LABEL_CHARS} "
                             "characters: use a word or two.")
    if len({label.lower() for label in cleaned}) < len(cleaned):
        raise InputError("Two labels are the same word: give each class its own label.")
    return cleaned


def _choices(labels: list[str]) -> str:
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def zero_shot_prompt(loaded: LoadedModel, text: str, labels: list[str]) -> tuple[str, str]:
    """(the prompt, the text put before each label): the chat template when the model has one."""
    tok = loaded.tokenizer
    if getattr(tok, "chat_template", None):
        message = CHAT_INSTRUCTION.format(choices=_choices(labels), text=text)
        prompt = tok.apply_chat_template([{"role": "user", "content": message}], tokenize=False,
                                         add_generation_prompt=True)
        return prompt, ""
    return PLAIN_TEMPLATE.format(text=text, choices=_choices(labels)), " "


def _variants(label: str) -> list[str]:
    return list(dict.fromkeys([label, label.lower(), label[:1].upper() + label[1:].lower()]))


@torch.inference_mode()
def zero_shot(loaded: LoadedModel, text: str, labels) -> ZeroShotResult:
    """Probabilities of the labels after a prompt about `text`, renormalized over the labels."""
    labels = check_labels(labels)
    text = check_text(text, what="The text", max_chars=MAX_TEXT_CHARS, strip=True)
    prompt, before = zero_shot_prompt(loaded, text, labels)
    tok = loaded.tokenizer
    prompt_ids = token_ids(tok, prompt) if not getattr(tok, "chat_template", None) else \
        list(tok(prompt, add_special_tokens=False)["input_ids"])
    encode_text(loaded, text, what="The text", max_tokens=MAX_TEXT_TOKENS,
                max_chars=MAX_TEXT_CHARS)  # the limit on the text itself, in tokens
    variants = [_variants(label) for label in labels]
    rows = [(i, list(tok(before + v, add_special_tokens=False)["input_ids"]))
            for i, vs in enumerate(variants) for v in vs]
    mass = [0.0] * len(labels)
    model, device = loaded.model, loaded.device
    with loaded.lock:
        # The prompt once, keeping its keys and values; the vocabulary-sized head only at
        # its last position, which predicts every label's first token.
        out = model(input_ids=torch.tensor([prompt_ids], device=device), use_cache=True,
                    logits_to_keep=1)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1).cpu()  # (V,)
        for i, ids in rows:
            logp = float(first[ids[0]])
            if len(ids) > 1:  # the rest of a multi-token label, one step per token
                rest = model(input_ids=torch.tensor([ids[:-1]], device=device),
                             past_key_values=copy.deepcopy(out.past_key_values),
                             use_cache=True).logits[0].float()  # (len - 1, V)
                steps = torch.log_softmax(rest, dim=-1).cpu()
                logp += float(steps[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())
            mass[i] += math.exp(logp)
    total = sum(mass)
    if total <= 0.0:
        raise InputError("The model gives the labels no probability at all; try other labels.")
    return ZeroShotResult(labels, [m / total for m in mass], prompt, variants, mass)


@torch.inference_mode()
def classify_finetuned(loaded: LoadedModel, text: str) -> ClassProbs:
    """softmax over a sequence classifier's logits, with its own class names."""
    config = loaded.model.config
    max_tokens = min(512, loaded.context_length)
    ids = encode_text(loaded, text, what="The text", max_tokens=max_tokens,
                      max_chars=MAX_TEXT_CHARS)  # (1, T)
    with loaded.lock:
        logits = loaded.model(input_ids=ids.to(loaded.device)).logits[0]  # (C,)
    probs = torch.softmax(logits.float(), dim=-1).cpu().tolist()
    names = [str(config.id2label.get(i, f"class {i}")).lower() for i in range(len(probs))]
    return ClassProbs(names, probs)
