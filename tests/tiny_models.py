"""Tiny random-weight models built from configs, with tokenizers trained in memory.

Each builder writes a real Hugging Face folder (config, safetensors, tokenizer)
with `save_pretrained`, so the app's real loading code runs on it. Nothing is
downloaded. Used by the pytest fixtures and by the browser tests' server.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import torch

CORPUS = [
    "the cat sat on the mat .", "the dog sat on the rug .", "a king and a queen ruled the land .",
    "the man and the woman walked to the market .", "once upon a time there was a small village .",
    "language models predict the next token .", "attention lets every token look at the others .",
    "le chat est sur le tapis .", "der hund sitzt auf dem teppich .", "猫 坐 在 垫子 上 。",
    "hello world ! how are you today ?", "summaries are shorter than the text they summarize .",
]

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

SPECIALS = ["<pad>", "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>", "[CLS]", "[SEP]",
            "[MASK]"]


def build_tokenizer(vocab_size: int = 400, model_max_length: int = 128):
    """A byte-level BPE tokenizer trained on CORPUS: any unicode text encodes."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<s>",
        eos_token="</s>", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
        model_max_length=model_max_length)


def _save(model, tokenizer, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def _ids(tokenizer) -> dict:
    return dict(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)


def build_llama(folder: Path, chat: bool = True) -> Path:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    if chat:
        tokenizer.chat_template = CHAT_TEMPLATE
        tokenizer.eos_token = "<|im_end|>"
    config = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                         tie_word_embeddings=True, **_ids(tokenizer))
    return _save(LlamaForCausalLM(config), tokenizer, folder)


def build_gpt2(folder: Path) -> Path:
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    config = GPT2Config(n_embd=32, n_layer=2, n_head=4, n_positions=128, **_ids(tokenizer))
    return _save(GPT2LMHeadModel(config), tokenizer, folder)


def build_bert(folder: Path, masked_lm: bool = True) -> Path:
    from transformers import BertConfig, BertForMaskedLM, BertModel

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    config = BertConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=4, max_position_embeddings=128,
                        vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id)
    model = BertForMaskedLM(config) if masked_lm else BertModel(config)
    return _save(model, tokenizer, folder)


def build_marian(folder: Path) -> Path:
    from transformers import MarianConfig, MarianMTModel

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    ids = _ids(tokenizer)
    config = MarianConfig(d_model=32, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                          decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64,
                          max_position_embeddings=128, decoder_start_token_id=ids["pad_token_id"],
                          forced_eos_token_id=ids["eos_token_id"], **ids)
    return _save(MarianMTModel(config), tokenizer, folder)


def build_t5(folder: Path) -> Path:
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    tokenizer = build_tokenizer()
    config = T5Config(d_model=32, d_kv=8, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=4,
                      vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                      eos_token_id=tokenizer.eos_token_id,
                      decoder_start_token_id=tokenizer.pad_token_id)
    return _save(T5ForConditionalGeneration(config), tokenizer, folder)


# id -> (builder, catalog fields). Ids start with "tiny/" so they never clash.
TINY = {
    "tiny/llama-chat": (build_llama, dict(name="Tiny Llama (chat)", kind="causal-lm",
                                          tasks=["chat", "generate"])),
    "tiny/gpt2": (build_gpt2, dict(name="Tiny GPT-2", kind="causal-lm", tasks=["generate"])),
    "tiny/bert": (build_bert, dict(name="Tiny BERT", kind="masked-lm", tasks=["fill-mask", "embed"])),
    "tiny/marian-en-de": (build_marian, dict(name="Tiny Marian en→de", kind="seq2seq",
                                             tasks=["translate"], languages=["en", "de"])),
    "tiny/t5": (build_t5, dict(name="Tiny T5", kind="seq2seq", tasks=["summarize"])),
}


def build_all(root: Path) -> dict[str, Path]:
    return {model_id: builder(root / model_id.replace("/", "__"))
            for model_id, (builder, _) in TINY.items()}


def catalog_entries(paths: dict[str, Path]) -> list[dict]:
    return [dict(id=i, path=str(p), license="test", params_m=0.05, **TINY[i][1])
            for i, p in paths.items()]


def write_catalog_file(root: Path) -> Path:
    """Build every tiny model under root and describe them in a catalog JSON."""
    path = root / "catalog.json"
    path.write_text(json.dumps(catalog_entries(build_all(root)), indent=1))
    return path


@contextlib.contextmanager
def registered_first(specs: dict):
    """The tiny models (id -> ModelSpec) first in the catalog for the block, so pages and
    endpoints pick them by default."""
    from lmlab import registry

    for spec in reversed(list(specs.values())):
        registry.register(spec)
    try:
        yield specs
    finally:
        for model_id in specs:
            registry.unregister(model_id)
