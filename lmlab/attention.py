"""Attention weights of a real model over a text, and what they say per head.

preprocess (validate, tokenize with offsets, cap) -> forward (optional greedy
continuation, then one eager forward with output_attentions) -> postprocess
(readable token labels, per-head summaries, rollout). Everything returned is
plain numpy, so Streamlit, Gradio, bertviz and the tests share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from lmlab import inputs
from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.turns import model_turn

MAX_TOKENS = 128  # prompt + continuation: 30 layers x 9 heads x 128^2 is already 18 MB
MAX_TEXT_CHARS = 4_000
MAX_CONTINUATION = 64
SELF_ATTENTION_KINDS = ("causal-lm", "encoder", "masked-lm")
# Architectures whose q/k vectors bertviz's neuron view knows how to show.
NEURON_VIEW_TYPES = ("bert", "roberta", "gpt2")
CONTINUES = "…"  # label for the 2nd+ byte-piece of one character


@dataclass
class AttentionCapture:
    model_name: str
    model_type: str  # config.model_type, e.g. "llama", "bert", "gpt2"
    causal: bool  # decoder: each token sees only the tokens before it
    token_ids: list[int]
    tokens: list[str]  # readable labels, one per token
    attentions: np.ndarray  # (L, H, T, T) float32, rows sum to 1
    n_prompt: int  # tokens from the user's text; the rest were generated
    n_text_tokens: int  # tokens of the text before the cap
    queries: np.ndarray | None = None  # (L, H, T, d) for the neuron view, where supported
    keys: np.ndarray | None = None  # (L, H, T, d)
    notes: list[str] = field(default_factory=list)  # caps the user should know about

    @property
    def n_layers(self) -> int:
        return self.attentions.shape[0]

    @property
    def n_heads(self) -> int:
        return self.attentions.shape[1]

    @property
    def n_tokens(self) -> int:
        return self.attentions.shape[2]

    @property
    def n_generated(self) -> int:
        return self.n_tokens - self.n_prompt


def display_label(text: str) -> str:
    """A token's text as a short visible label: whitespace made visible, no 'Ġ'."""
    shown = text.replace("\r", "").replace("\n", "↵").replace("\t", "⇥").strip(" ")
    if shown:
        return shown
    return "␣" if text else "∅"


def labels_from_offsets(text: str, ids: list[int], offsets: list[tuple[int, int]],
                        special_names: list[str]) -> list[str]:
    """Labels from the characters each token covers in the user's text.

    Special tokens cover no characters and keep their name ([CLS], <s>). When
    one character is split over several byte tokens they share one span: the
    first piece shows the character, the rest show '…'.
    """
    labels, prev_end = [], -1
    for (start, end), name in zip(offsets, special_names):
        if end <= start:
            labels.append(name)
            continue
        labels.append(CONTINUES if start < prev_end else display_label(text[start:end]))
        prev_end = max(prev_end, end)
    return labels


def labels_by_decoding(tokenizer, ids: list[int]) -> list[str]:
    """Labels for generated tokens, by decoding the growing sequence.

    Decoding the tail keeps multi-byte characters whole: a piece that ends in
    half a character shows '…' and the character appears on the piece that
    completes it.
    """
    labels, shown = [], ""
    for i in range(len(ids)):
        text = tokenizer.decode(ids[: i + 1], clean_up_tokenization_spaces=False)
        if text.endswith("\ufffd") or len(text) <= len(shown):
            labels.append(CONTINUES)
            continue
        piece = text[len(shown):] if text.startswith(shown) else tokenizer.decode([ids[i]])
        labels.append(display_label(piece))
        shown = text
    return labels


def check_text(text: str | None) -> str:
    return inputs.check_text(text, max_chars=MAX_TEXT_CHARS,
                             empty="Please type some text to look at.")


def _qk_hooks(model, store: dict[str, list]):
    """Forward hooks that record each layer's query and key projections."""
    kind = model.config.model_type
    base = model.base_model
    handles = []
    if kind in ("bert", "roberta"):
        for layer in base.encoder.layer:
            attn = layer.attention.self
            handles.append(attn.query.register_forward_hook(
                lambda m, i, o: store["q"].append(o.detach())))
            handles.append(attn.key.register_forward_hook(
                lambda m, i, o: store["k"].append(o.detach())))
    elif kind == "gpt2":
        for block in base.h:
            def grab(m, i, o):  # c_attn gives q, k, v side by side: (B, T, 3C)
                q, k, _ = o.detach().split(o.shape[-1] // 3, dim=-1)
                store["q"].append(q)
                store["k"].append(k)
            handles.append(block.attn.c_attn.register_forward_hook(grab))
    return handles


def _per_head(vectors: list[torch.Tensor], n_heads: int) -> np.ndarray:
    stacked = torch.stack([v[0] for v in vectors])  # (L, T, H*d)
    L, T, C = stacked.shape
    return stacked.reshape(L, T, n_heads, C // n_heads).permute(0, 2, 1, 3).float().cpu().numpy()


def _continue(loaded: LoadedModel, ids: torch.Tensor, new_tokens: int) -> torch.Tensor:
    """Greedy continuation (the model's most likely tokens), with the fast attention."""
    with model_turn(loaded), torch.inference_mode():
        out = loaded.model.generate(input_ids=ids.to(loaded.device),
                                    attention_mask=torch.ones_like(ids).to(loaded.device),
                                    max_new_tokens=new_tokens, do_sample=False, temperature=None,
                                    top_k=None, top_p=None,
                                    pad_token_id=loaded.tokenizer.pad_token_id)
    return out.cpu()


def capture_attention(loaded: LoadedModel, text: str, continue_tokens: int = 0,
                      max_tokens: int = MAX_TOKENS) -> AttentionCapture:
    """Every layer's and head's attention weights over `text` (+ a greedy continuation)."""
    spec = loaded.spec
    if spec.kind not in SELF_ATTENTION_KINDS:
        raise InputError(f"This view shows self-attention of decoder and encoder models; "
                         f"{spec.name} is a {spec.kind} model.")
    text = check_text(text)
    causal = spec.kind == "causal-lm"
    if not 0 <= int(continue_tokens) <= MAX_CONTINUATION:
        raise InputError(f"The continuation must be between 0 and {MAX_CONTINUATION} tokens.")
    if continue_tokens and not causal:
        raise InputError(f"{spec.name} is an encoder: it reads a whole text at once and does not "
                         "continue it. Pick a decoder model to generate.")
    tokenizer = loaded.tokenizer
    cap = min(int(max_tokens), loaded.context_length)
    notes = []
    n_text_tokens = len(tokenizer(text)["input_ids"])
    enc = tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=cap)
    ids = list(enc["input_ids"])
    if n_text_tokens > len(ids):
        notes.append(f"The text has {n_text_tokens:,} tokens; only the first {len(ids):,} are "
                     f"shown (the limit here is {cap:,}).")
    names = tokenizer.convert_ids_to_tokens(ids)
    labels = labels_from_offsets(text, ids, [tuple(o) for o in enc["offset_mapping"]], names)
    n_prompt = len(ids)

    input_ids = torch.tensor([ids])  # (1, T)
    room = cap - n_prompt
    if continue_tokens and room <= 0:
        notes.append(f"No continuation: the text already fills the {cap:,}-token limit.")
    elif continue_tokens:
        new = min(int(continue_tokens), room)
        if new < continue_tokens:
            notes.append(f"The continuation was cut to {new} tokens to stay within {cap:,}.")
        input_ids = _continue(loaded, input_ids, new)
        generated = input_ids[0, n_prompt:].tolist()
        labels += labels_by_decoding(tokenizer, generated)

    want_qk = loaded.model.config.model_type in NEURON_VIEW_TYPES
    store: dict[str, list] = {"q": [], "k": []}
    with loaded.eager_attention() as model, torch.inference_mode():
        handles = _qk_hooks(model, store) if want_qk else []
        try:
            out = model(input_ids=input_ids.to(loaded.device), output_attentions=True)
        finally:
            for handle in handles:
                handle.remove()
    if not out.attentions:
        raise InputError(f"{spec.name} did not return attention weights.")
    attentions = torch.stack(out.attentions)[:, 0].float().cpu().numpy()  # (L, H, T, T)
    n_heads = attentions.shape[1]
    queries = keys = None
    if want_qk and len(store["q"]) == attentions.shape[0]:
        queries, keys = _per_head(store["q"], n_heads), _per_head(store["k"], n_heads)
    return AttentionCapture(
        model_name=spec.name, model_type=loaded.model.config.model_type, causal=causal,
        token_ids=input_ids[0].tolist(), tokens=labels, attentions=attentions,
        n_prompt=n_prompt, n_text_tokens=n_text_tokens, queries=queries, keys=keys, notes=notes)


# ---- what each head does, in numbers -------------------------------------------------

def head_entropy_bits(attentions: np.ndarray) -> np.ndarray:
    """(L, H) mean entropy of each query's attention row, in bits.

    0 bits: every query looks at one token; log2(T) bits: spread evenly.
    """
    a = attentions.astype(np.float32, copy=False)  # (L, H, T, T); float32 is plenty here
    logs = np.log2(a, out=np.zeros_like(a), where=a > 0)  # 0 · log 0 counts as 0 (masked cells)
    rows = -(a * logs).sum(-1)  # (L, H, T)
    return rows.mean(-1).astype(np.float64)


def previous_token_score(attentions: np.ndarray) -> np.ndarray:
    """(L, H) mean weight each token gives the token just before it."""
    if attentions.shape[-1] < 2:
        return np.zeros(attentions.shape[:2])
    return np.diagonal(attentions, offset=-1, axis1=-2, axis2=-1).mean(-1)


def first_token_score(attentions: np.ndarray) -> np.ndarray:
    """(L, H) mean weight tokens 2..T give the first token (often an 'attention sink')."""
    if attentions.shape[-1] < 2:
        return np.ones(attentions.shape[:2])
    return attentions[..., 1:, 0].mean(-1)


def self_score(attentions: np.ndarray) -> np.ndarray:
    """(L, H) mean weight each token gives itself."""
    return np.diagonal(attentions, axis1=-2, axis2=-1).mean(-1)


@dataclass
class HeadSummary:
    layer: int
    head: int
    entropy_bits: float
    previous: float
    first: float
    itself: float
    pattern: str  # a plain-words label for the strongest habit


def summarize_heads(attentions: np.ndarray, threshold: float = 0.5,
                    entropy: np.ndarray | None = None) -> list[HeadSummary]:
    """One row per head; `pattern` names a habit when its mean weight passes `threshold`.

    `entropy` may be passed in when the caller has already computed it (the page draws it).
    """
    entropy = head_entropy_bits(attentions) if entropy is None else entropy
    prev, first, itself = (previous_token_score(attentions), first_token_score(attentions),
                           self_score(attentions))
    rows = []
    for layer in range(attentions.shape[0]):
        for head in range(attentions.shape[1]):
            scores = {"previous token": prev[layer, head], "first token": first[layer, head],
                      "itself": itself[layer, head]}
            best = max(scores, key=scores.get)
            pattern = f"attends to {best}" if scores[best] >= threshold else "spread / mixed"
            rows.append(HeadSummary(layer, head, float(entropy[layer, head]),
                                    float(prev[layer, head]), float(first[layer, head]),
                                    float(itself[layer, head]), pattern))
    return rows


def attention_rollout(attentions: np.ndarray, residual: float = 0.5) -> np.ndarray:
    """(L, T, T) attention rollout (Abnar & Zuidema, 2020) after each layer.

    Each layer's head-averaged attention is mixed with the identity (the
    residual connection), rows renormalised, and the layers multiplied:
    R_l = A~_l @ R_(l-1). Row i of R_l says how much of token i's
    representation after layer l traces back to each input token.
    """
    L, _, T, _ = attentions.shape
    eye = np.eye(T)
    rollout = np.empty((L, T, T))
    current = eye
    for layer in range(L):
        mixed = (1 - residual) * attentions[layer].mean(0) + residual * eye
        mixed /= mixed.sum(-1, keepdims=True)
        current = mixed @ current
        rollout[layer] = current
    return rollout


def shares_without_first(rollout: np.ndarray) -> np.ndarray:
    """Rollout rows renormalised over tokens 2..T, the first token's share set to 0.

    Decoders pour most weight on the first token (an 'attention sink'), so after
    a few layers rollout points almost only there; this shows how the rest is
    divided. The first row (nothing but the first token) becomes all zeros.
    """
    rest = rollout.copy()
    rest[..., 0] = 0.0
    total = rest.sum(-1, keepdims=True)
    return np.divide(rest, total, out=np.zeros_like(rest), where=total > 0)
