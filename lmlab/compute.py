"""What a model costs: parameters, memory, FLOPs per token, and tokens/s measured live.

The arithmetic (Kaplan et al., 2020):
  forward FLOPs per token ≈ 2 × N  (one multiply and one add per weight; the attention
      over the context adds 2 × layers × context × width, small for short contexts)
  training FLOPs ≈ 6 × N × D  for D training tokens (forward + twice that backward)
  memory for the weights = N × bytes per parameter (fp32 4, bf16/fp16 2, int8 1, int4 0.5)
Generating one token reads every weight once, so on a CPU the speed is mostly set by
memory bandwidth: tokens/s ≈ bandwidth / weight bytes. The same arithmetic scales the
measured speed of the loaded model up to GPT-2, GPT-3 and a 70B model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from lmlab.errors import InputError
from lmlab.generation import GenerationParams, encode_prompt, generate_ids
from lmlab.loading import LoadedModel

BYTES_PER_PARAMETER = {"float32": 4.0, "bfloat16": 2.0, "float16": 2.0, "int8": 1.0, "int4": 0.5}
MAX_MEASURE_TOKENS = 64
PROMPT = "Once upon a time, in a small village by the sea,"


@dataclass(frozen=True)
class Reference:
    name: str
    parameters: float
    training_tokens: float | None  # published; None where it was not
    note: str


REFERENCES = (
    Reference("GPT-2 (124M)", 124e6, None, "OpenAI, 2019; training tokens not published"),
    Reference("GPT-3 (175B)", 175e9, 300e9, "Brown et al., 2020: 300B training tokens"),
    Reference("Llama 2 70B", 70e9, 2e12, "Touvron et al., 2023: 2T training tokens"),
)


@dataclass
class ModelCost:
    name: str
    parameters: int
    dtype: str
    weight_bytes: int  # as loaded, in the loaded dtype
    layers: int | None
    width: int | None

    @property
    def flops_per_token(self) -> float:
        return 2.0 * self.parameters


@dataclass
class Speed:
    tokens: int
    seconds: float
    prompt_tokens: int

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else float("nan")


def count_parameters(model: torch.nn.Module) -> int:
    """Every distinct parameter once (a tied output head shares the embedding matrix)."""
    return sum(p.numel() for p in model.parameters())


def model_cost(loaded: LoadedModel) -> ModelCost:
    model = loaded.model
    if not isinstance(model, torch.nn.Module):
        raise InputError("The compute panel needs a neural language model, not word vectors.")
    config = getattr(model, "config", None)
    layers = next((getattr(config, n) for n in ("num_hidden_layers", "n_layer", "num_layers")
                   if isinstance(getattr(config, n, None), int)), None)
    width = next((getattr(config, n) for n in ("hidden_size", "n_embd", "d_model")
                  if isinstance(getattr(config, n, None), int)), None)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    dtype = str(next(model.parameters()).dtype).replace("torch.", "")
    return ModelCost(loaded.spec.name, count_parameters(model), dtype, weight_bytes, layers, width)


def memory_bytes(parameters: float) -> dict[str, float]:
    """Bytes for the weights alone in each number format (no activations, no KV cache)."""
    return {name: parameters * size for name, size in BYTES_PER_PARAMETER.items()}


def measure_speed(loaded: LoadedModel, new_tokens: int = 32, prompt: str = PROMPT) -> Speed:
    """Greedy generation of `new_tokens` tokens, timed on this machine."""
    if not 1 <= int(new_tokens) <= MAX_MEASURE_TOKENS:
        raise InputError(f"Measure between 1 and {MAX_MEASURE_TOKENS} tokens.")
    params = GenerationParams(max_new_tokens=int(new_tokens), do_sample=False)
    ids = encode_prompt(loaded, prompt, int(new_tokens))  # (1, T)
    generate_ids(loaded, ids, GenerationParams(max_new_tokens=1))  # warm-up, not timed
    start = time.perf_counter()
    rows = generate_ids(loaded, ids, params)
    seconds = time.perf_counter() - start
    return Speed(max(1, len(rows[0])), seconds, int(ids.shape[1]))


@dataclass
class ScaledRow:
    name: str
    parameters: float
    flops_per_token: float
    memory: dict[str, float]
    seconds_per_token: float  # at the FLOP rate measured here
    training_flops: float | None
    note: str


def scaled(cost: ModelCost, speed: Speed) -> list[ScaledRow]:
    """The loaded model and the references, at the FLOP rate this machine just achieved."""
    rate = cost.flops_per_token * speed.tokens_per_second  # FLOP/s achieved here
    rows = [ScaledRow(cost.name + " (loaded)", cost.parameters, cost.flops_per_token,
                      memory_bytes(cost.parameters), 1.0 / speed.tokens_per_second, None,
                      f"measured: {speed.tokens_per_second:.1f} tokens/s in {cost.dtype}")]
    for ref in REFERENCES:
        flops = 2.0 * ref.parameters
        train = 6.0 * ref.parameters * ref.training_tokens if ref.training_tokens else None
        rows.append(ScaledRow(ref.name, ref.parameters, flops, memory_bytes(ref.parameters),
                              flops / rate, train, ref.note))
    return rows


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.1f} {unit}" if unit != "B" else f"{n:,.0f} B"
        n /= 1000
    return f"{n:,.1f} TB"
