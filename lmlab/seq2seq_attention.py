"""Cross-attention of an encoder-decoder model: which source token each output token read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lmlab.attention import labels_by_decoding
from lmlab.errors import InputError, LMLabError
from lmlab.loading import LoadedModel
from lmlab.seq2seq import Seq2SeqRecord
from lmlab.seq2seq_engines import is_fallback

MAX_ATTENTION_TOKENS = 256  # per side; longer chunks are cut before capture
MAX_ATTENTION_CHUNKS = 10  # a long text's first model calls are captured, not all of them



@dataclass
class CrossAttention:
    """Decoder-to-encoder attention of one model call.

    weights[l, h, i, j]: how much target token i, while being produced, attended
    to source token j in layer l, head h. Each row sums to 1 (a softmax over
    the source).
    """

    weights: np.ndarray  # (L, H, T_tgt, T_src) float32
    source_tokens: list[str]
    target_tokens: list[str]

    @property
    def n_layers(self) -> int:
        return self.weights.shape[0]

    @property
    def n_heads(self) -> int:
        return self.weights.shape[1]

    def view(self, layer: int | None = None, head: int | None = None) -> np.ndarray:
        """(T_tgt, T_src): one layer/head, or the mean over layers and/or heads (None)."""
        w = self.weights if layer is None else self.weights[layer: layer + 1]
        w = w if head is None else w[:, head: head + 1]
        return w.mean(axis=(0, 1))


def has_cross_attention(loaded: LoadedModel) -> bool:
    return not is_fallback(loaded)


@torch.inference_mode()
def cross_attention(loaded: LoadedModel, input_ids: list[int], output_ids: list[int]
                    ) -> CrossAttention:
    """Teacher-forced forward over the output: row i is the step that produced output token i.

    One extra forward pass gives exactly the weights decoding used (the decoder
    is causal), without slowing generation down with eager attention.
    """
    if not has_cross_attention(loaded):
        raise InputError(f"{loaded.spec.name} is a decoder-only model: it has no encoder, so "
                         "there is no cross-attention to show.")
    if not output_ids:
        raise InputError("The model wrote nothing, so there is no cross-attention to show.")
    src = torch.tensor([input_ids[:MAX_ATTENTION_TOKENS]])  # (1, S)
    out = output_ids[:MAX_ATTENTION_TOKENS]
    start = loaded.model.generation_config.decoder_start_token_id
    if start is None:
        start = loaded.model.config.decoder_start_token_id
    dec = torch.tensor([[int(start), *out[:-1]]])  # (1, T): shifted right
    with loaded.eager_attention() as model:
        result = model(input_ids=src.to(loaded.device),
                       attention_mask=torch.ones_like(src).to(loaded.device),
                       decoder_input_ids=dec.to(loaded.device), output_attentions=True)
    layers = result.cross_attentions  # L x (1, H, T, S)
    if not layers:
        raise LMLabError("This model did not return its cross-attention weights.")
    weights = torch.stack([a[0].float() for a in layers]).cpu().numpy()  # (L, H, T, S)
    tokenizer = loaded.tokenizer
    return CrossAttention(weights, labels_by_decoding(tokenizer, src[0].tolist()),
                          labels_by_decoding(tokenizer, out))


def record_cross_attentions(loaded: LoadedModel, record: Seq2SeqRecord,
                            max_chunks: int = MAX_ATTENTION_CHUNKS) -> list[CrossAttention]:
    """The cross-attention of a finished run's first model calls (none for the fallback)."""
    if not has_cross_attention(loaded):
        return []
    return [cross_attention(loaded, chunk.input_ids, chunk.output_ids)
            for chunk in record.chunks[:max_chunks] if chunk.output_ids]
