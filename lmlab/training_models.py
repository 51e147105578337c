"""Two small language models to train live: an LSTM and a nanoGPT-style Transformer.

Both map token ids (B, T) to next-token logits (B, T, V). The Transformer with
`causal=False` is the encoder used for the masked-LM objective: every position
sees the whole window, so it can only be trained to fill in hidden tokens.
The sizes are chosen so the LSTM and the Transformer have similar parameter
counts at each size, and small enough that a class shares one CPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHITECTURES = ("lstm", "transformer")


@dataclass(frozen=True)
class ModelConfig:
    architecture: str = "transformer"  # "lstm" or "transformer"
    vocab_size: int = 65
    block_size: int = 64  # context length (tokens the model sees at once)
    n_embd: int = 64  # embedding width (Transformer: also the residual width)
    n_layer: int = 2
    n_head: int = 4  # Transformer only
    lstm_hidden: int = 128  # LSTM only
    dropout: float = 0.0
    causal: bool = True  # False: bidirectional encoder for masked LM


# name -> (Transformer widths, LSTM widths); each pair has a similar parameter count.
SIZES: dict[str, dict] = {
    "tiny": dict(n_embd=32, n_layer=1, n_head=2, lstm_hidden=44, block_size=32),
    "small": dict(n_embd=64, n_layer=2, n_head=4, lstm_hidden=128, block_size=64),
    "medium": dict(n_embd=128, n_layer=3, n_head=4, lstm_hidden=192, block_size=96),
}
DEFAULT_SIZE = "small"


def config_for(architecture: str, size: str, vocab_size: int, **overrides) -> ModelConfig:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}")
    widths = dict(SIZES[size])
    if architecture == "lstm":
        widths["n_layer"] = 1 if size != "medium" else 2
    return replace(ModelConfig(architecture=architecture, vocab_size=vocab_size, **widths),
                   **overrides)


class LSTMLM(nn.Module):
    """embedding -> LSTM -> linear, as in the classic word-language-model tutorial."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.lstm = nn.LSTM(config.n_embd, config.lstm_hidden, num_layers=config.n_layer,
                            batch_first=True, dropout=config.dropout if config.n_layer > 1 else 0)
        self.head = nn.Linear(config.lstm_hidden, config.vocab_size)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.embed(idx))  # (B, T, C)
        h, _ = self.lstm(x)  # (B, T, H): each step sees only the tokens before it
        return self.head(self.drop(h))  # (B, T, V)


class SelfAttention(nn.Module):
    """Multi-head self-attention: softmax(Q K^T / sqrt(d_k)) V, causal when asked."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.n_head = config.n_head
        self.causal = config.causal
        self.qkv = nn.Linear(config.n_embd, 3 * config.n_embd)
        self.proj = nn.Linear(config.n_embd, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        mask = torch.tril(torch.ones(config.block_size, config.block_size, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, config.block_size, config.block_size),
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # each (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
                   for t in (q, k, v))  # each (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))  # (B, nh, T, T)
        if self.causal:  # a token may not look at the tokens after it
            att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = self.drop(F.softmax(att, dim=-1))  # rows sum to 1
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(config.n_embd, 4 * config.n_embd), nn.GELU(),
                                 nn.Linear(4 * config.n_embd, config.n_embd),
                                 nn.Dropout(config.dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)  # (B, T, C)


class Block(nn.Module):
    """Pre-norm Transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd)
        self.attn = SelfAttention(config)
        self.ln2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))  # (B, T, C)
        return x + self.mlp(self.ln2(x))  # (B, T, C)


class TransformerLM(nn.Module):
    """A small decoder-only Transformer (an encoder when config.causal is False)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence of {T} tokens exceeds block_size {self.config.block_size}")
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        return self.head(self.ln_f(x))  # (B, T, V)


def build_model(config: ModelConfig) -> nn.Module:
    return LSTMLM(config) if config.architecture == "lstm" else TransformerLM(config)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
