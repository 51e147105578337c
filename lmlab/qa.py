"""Question answering from a context, two ways.

Extractive (online, e.g. DistilBERT fine-tuned on SQuAD): the model gives every
context token a start logit and an end logit; softmax over the context tokens
turns each into a probability, and the answer is the span (start <= end, at most
MAX_ANSWER_TOKENS long) with the highest P(start) × P(end), as the transformers
question-answering pipeline chooses it. The span maps back to the characters of
the context through the tokenizer's offsets.

Generative (offline, the instruct model): the model writes an answer after a
prompt holding the context and the question. How much the answer depended on
each context token is its saliency, gradient × input: for the log-probability
of the whole answer, f = sum_t log P(answer_t | prompt, answer_<t), token i's
score is | sum_c x_ic · ∂f/∂x_ic | over its input embedding x_i, normalized to
sum 1 over the context tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmlab.errors import InputError
from lmlab.generation import GenerationParams, generate_ids
from lmlab.inputs import check_text
from lmlab.loading import LoadedModel

MAX_CONTEXT_CHARS = 4_000
MAX_QUESTION_CHARS = 300
MAX_QA_TOKENS = 384
MAX_ANSWER_TOKENS = 30
MAX_GENERATED_TOKENS = 48
MAX_PROMPT_TOKENS = 1024  # the saliency backward pass grows with the prompt
INSTRUCTION = ("Answer the question using only the context. Answer in a few words.\n\n"
               "Context: {context}\n\nQuestion: {question}")
PLAIN_PROMPT = "Context: {context}\nQuestion: {question}\nAnswer:"


def check_inputs(question, context) -> tuple[str, str]:
    context = check_text(context, what="The context", max_chars=MAX_CONTEXT_CHARS, strip=True,
                         empty="Please paste a context: the text the answer should come from.")
    question = check_text(question, what="The question", max_chars=MAX_QUESTION_CHARS,
                          strip=True, empty="Please type a question about the context.")
    if len(question) >= len(context):
        raise InputError("The question is longer than the context: the context should be the "
                         "text that holds the answer, so paste it in the context box.")
    return question, context


def covering_pieces(text: str, offsets: list[tuple[int, int]],
                    within: tuple[int, int] | None = None) -> list[str]:
    """Each token's text with the spaces before it, clipped to `within`, so the pieces
    join back into that stretch of the text."""
    low, high = within if within else (offsets[0][0] if offsets else 0, len(text))
    pieces, end = [], low
    for _, b in offsets:
        b = min(b, high)
        pieces.append(text[end:b])
        end = max(end, b)
    return pieces


@dataclass
class Span:
    answer: str
    start_char: int
    end_char: int  # exclusive
    start_token: int  # index among the context tokens
    end_token: int
    start_prob: float
    end_prob: float
    tokens: list[str]  # the context tokens, as text
    start_probs: list[float]  # over the context tokens, sum 1
    end_probs: list[float]

    @property
    def score(self) -> float:
        return self.start_prob * self.end_prob


def best_span(start_probs: torch.Tensor, end_probs: torch.Tensor,
              max_len: int = MAX_ANSWER_TOKENS) -> tuple[int, int]:
    """argmax over start <= end < start + max_len of P(start) × P(end)."""
    scores = start_probs[:, None] * end_probs[None, :]  # (T, T)
    n = len(start_probs)
    allowed = torch.ones(n, n, dtype=torch.bool).triu() & ~torch.ones(n, n, dtype=torch.bool).triu(max_len)
    flat = int(torch.where(allowed, scores, torch.full_like(scores, -1.0)).argmax())
    return flat // n, flat % n


@torch.inference_mode()
def extract_answer(loaded: LoadedModel, question: str, context: str) -> Span:
    question, context = check_inputs(question, context)
    tok = loaded.tokenizer
    enc = tok(question, context, return_offsets_mapping=True)
    limit = min(MAX_QA_TOKENS, loaded.context_length)
    if len(enc["input_ids"]) > limit:
        raise InputError(f"The question and context are {len(enc['input_ids']):,} tokens; this "
                         f"model reads at most {limit:,}, so please shorten the context.")
    sequence = enc.sequence_ids()
    in_context = [i for i, s in enumerate(sequence) if s == 1]  # context token positions
    if not in_context:
        raise InputError("The context has no tokens this model can read.")
    ids = torch.tensor([enc["input_ids"]], device=loaded.device)  # (1, T)
    with loaded.lock:
        out = loaded.model(input_ids=ids, attention_mask=torch.ones_like(ids))
    index = torch.tensor(in_context)
    start_p = torch.softmax(out.start_logits[0].float().cpu()[index], dim=-1)  # (Tc,)
    end_p = torch.softmax(out.end_logits[0].float().cpu()[index], dim=-1)
    s, e = best_span(start_p, end_p)
    offsets = [enc["offset_mapping"][i] for i in in_context]
    start_char, end_char = offsets[s][0], offsets[e][1]
    tokens = covering_pieces(context, offsets)
    return Span(context[start_char:end_char], start_char, end_char, s, e, float(start_p[s]),
                float(end_p[e]), tokens, start_p.tolist(), end_p.tolist())


# ---------------------------------------------------------------- generative, offline

@dataclass
class GeneratedAnswer:
    answer: str
    prompt: str
    tokens: list[str]  # the context tokens, as text
    saliency: list[float]  # over the context tokens, sum 1
    method: str = "gradient × input on the answer's log-probability"


def qa_prompt(loaded: LoadedModel, question: str, context: str) -> str:
    tok = loaded.tokenizer
    if getattr(tok, "chat_template", None):
        message = INSTRUCTION.format(context=context, question=question)
        return tok.apply_chat_template([{"role": "user", "content": message}], tokenize=False,
                                       add_generation_prompt=True)
    return PLAIN_PROMPT.format(context=context, question=question)


def _saliency(loaded: LoadedModel, prompt_ids: list[int], answer_ids: list[int]) -> torch.Tensor:
    """|gradient × input| per prompt token for log P(answer | prompt): (P,)."""
    model = loaded.model
    ids = torch.tensor([prompt_ids + answer_ids], device=loaded.device)  # (1, T)
    with torch.enable_grad(), loaded.lock:
        embeds = model.get_input_embeddings()(ids).detach().float().requires_grad_(True)  # (1, T, C)
        dtype = next(model.parameters()).dtype
        logits = model(inputs_embeds=embeds.to(dtype)).logits[0].float()  # (T, V)
        logp = torch.log_softmax(logits, dim=-1)
        start = len(prompt_ids)
        steps = torch.arange(start - 1, start - 1 + len(answer_ids), device=logp.device)
        total = logp[steps, torch.tensor(answer_ids, device=logp.device)].sum()
        (grad,) = torch.autograd.grad(total, embeds)
    return (grad[0] * embeds[0].detach()).sum(-1).abs()[:start].cpu()  # (P,)


def generate_answer(loaded: LoadedModel, question: str, context: str) -> GeneratedAnswer:
    question, context = check_inputs(question, context)
    tok = loaded.tokenizer
    prompt = qa_prompt(loaded, question, context)
    chat = bool(getattr(tok, "chat_template", None))
    enc = tok(prompt, return_offsets_mapping=True, add_special_tokens=not chat)
    prompt_ids = list(enc["input_ids"])
    room = min(MAX_GENERATED_TOKENS, loaded.context_length - len(prompt_ids))
    if room < 8 or len(prompt_ids) > MAX_PROMPT_TOKENS:
        limit = min(MAX_PROMPT_TOKENS, loaded.context_length - 8)
        raise InputError(f"The prompt with this context is {len(prompt_ids):,} tokens; the limit "
                         f"here is {limit:,}, so please shorten the context.")
    params = GenerationParams(max_new_tokens=room, do_sample=False)
    answer_ids = generate_ids(loaded, torch.tensor([prompt_ids]), params)[0]
    if not answer_ids:
        raise InputError("The model gave an empty answer; try rephrasing the question.")
    scores = _saliency(loaded, prompt_ids, answer_ids)
    # The context's characters inside the prompt, and the prompt tokens that cover them.
    at = prompt.index(context)
    positions = [i for i, (a, b) in enumerate(enc["offset_mapping"])
                 if b > a and b > at and a < at + len(context)]  # tokens overlapping it
    weights = scores[positions]
    weights = weights / weights.sum().clamp(min=1e-12)
    tokens = covering_pieces(prompt, [enc["offset_mapping"][i] for i in positions],
                             (at, at + len(context)))
    answer = tok.decode(answer_ids, skip_special_tokens=True).strip()
    return GeneratedAnswer(answer, prompt, tokens, weights.tolist())
