"""Seq2seq benchmark: chunked summarization throughput, and the cost of cross-attention.

    .venv/bin/python bench/bench_seq2seq.py [--chars 12000] [--tokens 128] [--repeats 3]
                                            [--no-compare]

Prints:
  (a) map-reduce summarization of a long public-domain text (the opening of Macbeth from
      assets/corpora) through lmlab.seq2seq.summarize_stream with the Summarize page's
      defaults, on the model the page picks offline: the embedded SmolLM2 fallback.
      Generated tokens/s and source tokens/s (the text's own tokens / wall time), one run;
      then the same on the generation copy (bfloat16 on a CPU), to show why summarization
      on a CPU loads the float32 copy: the map step's batches of long chunks are
      compute-bound, and CPUs without native bfloat16 read them several times slower.
  (b) collecting cross-attention as the Translate/Summarize pages do (plain generate, then
      lmlab.seq2seq.cross_attention: one teacher-forced eager forward) vs plain generate for
      the same number of new tokens (min_new_tokens = max_new_tokens), best of a few
      interleaved repeats (target <= 1.3x). No encoder-decoder weights exist offline, so the
      model is a RANDOMLY INITIALISED Marian with the real opus-mt-en-de sizes (d_model 512,
      6+6 layers, 8 heads, ffn 2048, vocabulary 58,101): the weights are random, the
      architecture and the amount of work are real.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from lmlab import seq2seq, seq2seq_attention, seq2seq_engines  # noqa: E402
from lmlab.loading import LoadedModel, ModelStore  # noqa: E402
from lmlab.registry import ModelSpec  # noqa: E402
from lmlab.viz.seq2seq import cross_attention_figure  # noqa: E402

MACBETH = ROOT / "assets" / "corpora" / "shakespeare_macbeth.txt"
OPUS_VOCAB = 58_101  # Helsinki-NLP/opus-mt-en-de: ids 0 = </s>, 1 = <unk>, 58100 = <pad>


def long_text(chars: int) -> str:
    """The play from Act I on, cut at a blank line: many short paragraphs (speeches)."""
    text = MACBETH.read_text(encoding="utf-8")
    text = text[text.index("ACT I."):]
    cut = text.rfind("\n\n", 0, chars)
    return text[: cut if cut > 0 else chars]


# ---------------------------------------------------------------- (a) summarization


def summarize_once(loaded: LoadedModel, text: str) -> float:
    """Seconds for one page-default summary of `text`; prints what the run did."""
    # The Summarize page's defaults: 40 words, chunks of 512 tokens, greedy (batch of 4 chunks).
    options = seq2seq.SummaryOptions(words=40, chunk_tokens=512, num_beams=1)
    seq2seq.summarize_text(loaded, "The cat sat on the mat. It was tired.", options)  # warm-up
    source_tokens = seq2seq.token_counter(loaded)(text)
    record = seq2seq.Seq2SeqRecord()
    start = time.perf_counter()
    summary = seq2seq.summarize_text(loaded, text, options, record=record)
    seconds = time.perf_counter() - start
    print(f"  [{str(loaded.dtype).replace('torch.', '')}] {record.n_chunks} chunks, "
          f"{len(record.rounds)} map round(s) ({sum(len(r) for r in record.rounds)} partial "
          f"summaries, batches of {options.batch_size}) + 1 final; read {record.input_tokens:,} "
          f"tokens (prompts included), wrote {record.generated_tokens:,} in {seconds:.1f} s")
    print(f"    generated {record.generated_tokens / seconds:.1f} tokens/s · source "
          f"{source_tokens / seconds:.0f} tokens/s · summary {summary[:90]!r}…")
    return seconds


def summarization(chars: int, compare: bool) -> None:
    choice = seq2seq_engines.engine_specs("summarize")
    spec = choice.options[0]  # what the page's engine picker selects first
    store = ModelStore(device="cpu")
    loaded = store.get(spec.id, seq2seq_engines.purpose_for(spec, "summarize"))
    kind = "fallback (prompted chat model)" if seq2seq_engines.is_fallback(loaded) else "encoder-decoder"
    text = long_text(chars)
    print(f"(a) summarization with {spec.name} · {kind} · {torch.get_num_threads()} threads · "
          f"text: {len(text):,} characters, {text.count(chr(10) * 2) + 1} paragraphs, "
          f"{seq2seq.token_counter(loaded)(text):,} tokens")
    page = summarize_once(loaded, text)
    if compare and loaded.purpose != "generate":
        other = store.get(spec.id, "generate")
        if other.dtype != loaded.dtype:
            print(f"    the same on the generation copy ({str(other.dtype).replace('torch.', '')}):")
            slow = summarize_once(other, text)
            print(f"    generation copy / page copy wall time = {slow / page:.2f}")


# ---------------------------------------------------------------- (b) cross-attention


def random_marian() -> LoadedModel:
    """opus-mt-en-de's architecture with random weights, and a word-level tokenizer of the
    same vocabulary size (words of the corpus, then filler tokens), built in memory: the
    output projection over 58,101 ids is a large share of each decoding step."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    words = list(dict.fromkeys(MACBETH.read_text(encoding="utf-8").split()))[: OPUS_VOCAB - 3]
    vocab = {"</s>": 0, "<unk>": 1, **{w: i + 2 for i, w in enumerate(words)}}
    vocab.update({f"<extra_{i}>": i for i in range(len(vocab), OPUS_VOCAB - 1)})
    vocab["<pad>"] = OPUS_VOCAB - 1
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>",
                                                       special_tokens=[("</s>", 0)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>",
                                        pad_token="<pad>", model_max_length=512)
    assert len(tokenizer) == OPUS_VOCAB
    torch.manual_seed(0)
    config = MarianConfig(vocab_size=OPUS_VOCAB, d_model=512, encoder_layers=6, decoder_layers=6,
                          encoder_attention_heads=8, decoder_attention_heads=8,
                          encoder_ffn_dim=2048, decoder_ffn_dim=2048, activation_function="swish",
                          max_position_embeddings=512, scale_embedding=True,
                          pad_token_id=OPUS_VOCAB - 1, decoder_start_token_id=OPUS_VOCAB - 1,
                          eos_token_id=0, forced_eos_token_id=0)
    model = MarianMTModel(config).eval()
    model.set_attn_implementation("sdpa")  # as lmlab.loading loads every model for generation
    n_params = sum(p.numel() for p in model.parameters())
    spec = ModelSpec(id="bench/random-marian-en-de", name="random-weight Marian (opus-mt-en-de "
                     "sizes)", kind="seq2seq", tasks=frozenset({"translate"}), license="none",
                     params_m=n_params / 1e6, languages=("en", "de"))
    return LoadedModel(spec, model, tokenizer, "cpu", torch.float32, "inspect", "offline", "",
                       0.0, n_params * 4)


def plain_generate(loaded: LoadedModel, ids: torch.Tensor, new_tokens: int) -> list[int]:
    with loaded.lock, torch.inference_mode():
        out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                    max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                    do_sample=False, num_beams=1)
    return out[0, 1:].tolist()  # without the decoder start token, as the pages keep it


def cross_attention_cost(new_tokens: int, repeats: int) -> None:
    loaded = random_marian()
    print(f"\n(b) cross-attention on {loaded.spec.name}: {loaded.spec.params_m:.0f}M parameters, "
          f"float32 · RANDOM weights: the architecture and the amount of work are real")
    source = " ".join(long_text(4000).split())
    enc = loaded.tokenizer(source, truncation=True, max_length=seq2seq.TRANSLATE_CHUNK_TOKENS)
    ids = torch.tensor([enc["input_ids"]])  # one translation part: the page's chunk size
    plain_generate(loaded, ids, 8)  # warm-up
    seq2seq_attention.cross_attention(loaded, ids[0].tolist(), plain_generate(loaded, ids, 8))
    best_gen = best_xattn = best_fig = float("inf")
    for _ in range(repeats):  # interleaved, so drift on a shared machine hits both
        start = time.perf_counter()
        out = plain_generate(loaded, ids, new_tokens)
        best_gen = min(best_gen, time.perf_counter() - start)
        start = time.perf_counter()
        ca = seq2seq_attention.cross_attention(loaded, ids[0].tolist(), out)
        best_xattn = min(best_xattn, time.perf_counter() - start)
        start = time.perf_counter()
        cross_attention_figure(ca)  # what the page draws next (not part of the ratio)
        best_fig = min(best_fig, time.perf_counter() - start)
    assert len(out) == new_tokens and ca.weights.shape == (6, 8, new_tokens, ids.shape[1])
    print(f"  source {ids.shape[1]} tokens, {new_tokens} new tokens (greedy, forced length), "
          f"best of {repeats}:")
    print(f"  plain generate:            {best_gen * 1000:7.0f} ms "
          f"({new_tokens / best_gen:.1f} tokens/s)")
    print(f"  + cross_attention capture: {best_xattn * 1000:7.0f} ms (one eager teacher-forced "
          f"forward, weights {ca.weights.nbytes / 1e6:.1f} MB)")
    print(f"  (heatmap figure build:     {best_fig * 1000:7.0f} ms, not in the ratio)")
    ratio = (best_gen + best_xattn) / best_gen
    print(f"  ratio (generate + capture)/generate = {ratio:.2f}x (target <= 1.3x) "
          f"{'OK' if ratio <= 1.3 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chars", type=int, default=12_000, help="length of the text in (a)")
    parser.add_argument("--tokens", type=int, default=128, help="new tokens in (b)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compare", action="store_true",
                        help="skip (a) again on the generation dtype (bfloat16 on a CPU)")
    args = parser.parse_args()
    summarization(args.chars, not args.no_compare)
    cross_attention_cost(args.tokens, args.repeats)


if __name__ == "__main__":
    main()
