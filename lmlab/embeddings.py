"""Words and sentences as vectors, and the views that make the space visible.

Four sources of vectors, all from real models:
  "sentence"  all-MiniLM-L6-v2: mean of the last hidden states over the real
              tokens (attention mask), then L2-normalized, as sentence-transformers does;
  "lm-input"  a causal LM's input embedding rows (the table looked up before layer 1),
              averaged over the item's tokens;
  "lm-hidden" the same LM's hidden states after layer L (0 = the embeddings),
              read after a lead token, averaged over the item's tokens and
              centred over the set (lmlab.centring): the vector now depends on context;
  "glove"     GloVe 6B 50d word vectors, averaged over the item's words.
Then PCA, t-SNE or UMAP bring them to 2 or 3 dimensions.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from lmlab.centring import centre_over_set
from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.probability import readable_tokens
from lmlab.turns import model_turn
from lmlab.wordvectors import WordVectors

MAX_ITEMS = 500
MIN_ITEMS = 3
MAX_ITEM_CHARS = 200
MAX_HEATMAP_ITEMS = 60
BATCH = 32
DEFAULT_GROUP = "your items"

SOURCES = {
    "glove": "GloVe 6B 50d word vectors",
    "sentence": "Sentence embeddings (all-MiniLM-L6-v2)",
    "lm-input": "Language model: input token embeddings",
    "lm-hidden": "Language model: hidden states at a layer",
}
METHODS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}

# Each preset: (item, group). Groups colour the points.
PRESETS: dict[str, list[tuple[str, str]]] = {
    "Fruits": [(w, "fruit") for w in ("apple", "banana", "orange", "pear", "cherry", "grape",
                                       "mango", "lemon", "peach", "strawberry")]
    + [(w, "vegetable") for w in ("carrot", "potato", "onion", "cabbage", "lettuce", "broccoli",
                                   "spinach", "cucumber")],
    "Countries and capitals": [
        (w, g) for pair in (("france", "paris"), ("germany", "berlin"), ("italy", "rome"),
                            ("spain", "madrid"), ("japan", "tokyo"), ("china", "beijing"),
                            ("russia", "moscow"), ("egypt", "cairo"), ("canada", "ottawa"),
                            ("greece", "athens"))
        for w, g in zip(pair, ("country", "capital"))],
    "Royalty": [(w, "male") for w in ("king", "prince", "man", "boy", "emperor", "father",
                                       "son", "husband")]
    + [(w, "female") for w in ("queen", "princess", "woman", "girl", "empress", "mother",
                                "daughter", "wife")],
    "Verbs and tenses": [
        (w, g) for triple in (("walk", "walked", "walking"), ("go", "went", "going"),
                              ("swim", "swam", "swimming"), ("run", "ran", "running"),
                              ("eat", "ate", "eating"), ("take", "took", "taking"),
                              ("write", "wrote", "writing"), ("see", "saw", "seeing"))
        for w, g in zip(triple, ("present", "past", "-ing form"))],
    "Professions": [(w, "profession") for w in ("doctor", "nurse", "engineer", "teacher",
                                                 "programmer", "homemaker", "scientist",
                                                 "receptionist", "lawyer", "secretary",
                                                 "carpenter", "librarian", "surgeon", "dancer")]
    + [(w, "gendered word") for w in ("he", "she", "man", "woman")],
}


@dataclass(frozen=True)
class Item:
    text: str
    group: str = DEFAULT_GROUP


@dataclass
class EmbeddingSet:
    items: list[Item]
    vectors: np.ndarray  # (N, D) float32
    source: str
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # per item: tokens or words used

    @property
    def labels(self) -> list[str]:
        return [item.text for item in self.items]

    @property
    def groups(self) -> list[str]:
        return [item.group for item in self.items]


def preset_text(name: str) -> str:
    """A preset as the text the user can edit: one 'item | group' per line."""
    return "\n".join(f"{text} | {group}" for text, group in PRESETS[name])


def parse_items(text: str) -> tuple[list[Item], list[str]]:
    """One item per line, optionally 'item | group'; returns (items, notes).

    Duplicates are dropped; more than MAX_ITEMS are cut with a note.
    """
    notes: list[str] = []
    seen, items = set(), []
    for line in (text or "").splitlines():
        body, _, group = line.partition("|")
        body = " ".join(body.split())[:MAX_ITEM_CHARS]
        group = " ".join(group.split())[:40] or DEFAULT_GROUP
        if body and body.lower() not in seen:
            seen.add(body.lower())
            items.append(Item(body, group))
    if not items:
        raise InputError("Please enter some words or sentences, one per line.")
    if len(items) > MAX_ITEMS:
        notes.append(f"Only the first {MAX_ITEMS} of the {len(items):,} items are used.")
        items = items[:MAX_ITEMS]
    if len(items) < MIN_ITEMS:
        raise InputError(f"Please enter at least {MIN_ITEMS} different words or sentences "
                         "(one per line): a map of fewer points shows nothing.")
    return items, notes


# ----------------------------------------------------------------------------
# Sources.

def _last_hidden(out) -> torch.Tensor:
    hidden = getattr(out, "last_hidden_state", None)
    return hidden if hidden is not None else out.hidden_states[-1]


@torch.inference_mode()
def sentence_embeddings(loaded: LoadedModel, texts: list[str], max_tokens: int = 128) -> np.ndarray:
    """Mean pooling over real tokens + L2 norm: (N, H), rows of length 1."""
    model, tok = loaded.model, loaded.tokenizer
    rows = []
    for start in range(0, len(texts), BATCH):
        enc = tok(texts[start:start + BATCH], padding=True, truncation=True,
                  max_length=max_tokens, return_tensors="pt").to(loaded.device)
        with model_turn(loaded):
            out = model(**enc, output_hidden_states=True)
        hidden = _last_hidden(out).float()  # (B, T, H)
        mask = enc["attention_mask"].unsqueeze(-1).float()  # (B, T, 1)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (B, H)
        rows.append(torch.nn.functional.normalize(pooled, dim=-1).cpu())
    return torch.cat(rows).numpy().astype(np.float32)


def word_token_ids(tok, text: str) -> list[int]:
    """The tokens of `text` as a word inside a sentence (with its leading space).

    Byte-level BPE tokenizers give ' king' and 'king' different tokens; the
    spaced form is the one a model sees mid-sentence. Whitespace-only tokens
    (a lone '▁' from SentencePiece) are dropped.
    """
    ids = tok(" " + text.strip(), add_special_tokens=False)["input_ids"]
    kept = [i for i, s in zip(ids, readable_tokens(tok, ids)) if s.strip()]
    return kept or ids


@torch.inference_mode()
def input_embeddings(loaded: LoadedModel, texts: list[str]) -> tuple[np.ndarray, list[str]]:
    """Mean of the input embedding rows of each item's tokens: (N, C), token lists."""
    table = loaded.model.get_input_embeddings().weight  # (V, C)
    rows, details = [], []
    for text in texts:
        ids = word_token_ids(loaded.tokenizer, text)
        rows.append(table[torch.tensor(ids, device=table.device)].float().mean(0).cpu())
        details.append(" · ".join(readable_tokens(loaded.tokenizer, ids)))
    return torch.stack(rows).numpy().astype(np.float32), details


def layer_count(loaded: LoadedModel) -> int:
    config = loaded.model.config
    return int(getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer"))


@torch.inference_mode()
def hidden_state_embeddings(loaded: LoadedModel, texts: list[str], layer: int,
                            max_tokens: int = 64) -> np.ndarray:
    """Mean over the item's own tokens of hidden_states[layer] (0 = embeddings): (N, C).

    A sequence's first position is an attention sink whose hidden state carries
    huge values whatever the word; a one-word item would be nothing but that.
    So each item is read after one lead token (a newline, or the tokenizer's own
    BOS) that takes the sink, and only the item's tokens are pooled. Right
    padding keeps every token at its own position, so batches change nothing.
    """
    layers = layer_count(loaded)
    if not 0 <= layer <= layers:
        raise InputError(f"Pick a layer between 0 and {layers}.")
    tok = loaded.tokenizer
    special = set(tok.all_special_ids)
    lead = tok("\n", add_special_tokens=False)["input_ids"][:1]
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    rows = []
    for start in range(0, len(texts), BATCH):
        seqs, pooled = [], []
        for text in texts[start:start + BATCH]:
            ids = list(tok(text, truncation=True, max_length=max_tokens)["input_ids"])
            if not ids or ids[0] not in special:
                ids = lead + ids
            seqs.append(ids)
            pooled.append([i > 0 and t not in special for i, t in enumerate(ids)])
        width = max(len(ids) for ids in seqs)
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in seqs])  # (B, T)
        attention = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in seqs])
        keep = torch.tensor([p + [False] * (width - len(p)) for p in pooled])  # (B, T)
        keep |= (keep.sum(1, keepdim=True) == 0) & attention.bool()  # only specials: use them
        with loaded.lock:
            out = loaded.model(input_ids=input_ids.to(loaded.device),
                               attention_mask=attention.to(loaded.device), output_hidden_states=True)
        hidden = out.hidden_states[layer].float().cpu()  # (B, T, C)
        mask = keep.unsqueeze(-1).float()  # (B, T, 1)
        rows.append((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
    return torch.cat(rows).numpy().astype(np.float32)


def glove_embeddings(vectors: WordVectors, items: list[Item], max_suggest: int = 3
                     ) -> tuple[list[Item], np.ndarray, list[str], list[str]]:
    """Mean GloVe vector of each item's words; items with no known word are left out."""
    from lmlab.word_arithmetic import suggest

    kept, rows, details, missing = [], [], [], []
    for item in items:
        words = re.findall(r"[^\W_]+(?:'[^\W_]+)?", item.text.lower())
        known = [w for w in words if w in vectors.index]
        missing.extend(w for w in words if w not in vectors.index)
        if known:
            kept.append(item)
            rows.append(vectors.vectors[[vectors.index[w] for w in known]].mean(0))
            details.append(" + ".join(known))
    notes = []
    if missing:
        unique = list(dict.fromkeys(missing))
        hints = []
        for word in unique[:max_suggest]:
            close = suggest(vectors, word, 1)
            hints.append(f"{word} (did you mean {close[0]}?)" if close else word)
        more = f" and {len(unique) - max_suggest} more" if len(unique) > max_suggest else ""
        notes.append(f"Not in GloVe's vocabulary, left out: {', '.join(hints)}{more}.")
    if len(kept) < MIN_ITEMS:
        raise InputError(f"Only {len(kept)} of the items have words GloVe knows; "
                         f"at least {MIN_ITEMS} are needed.")
    return kept, np.stack(rows).astype(np.float32), details, notes


def embed(source: str, items: list[Item], loaded: LoadedModel | None = None,
          layer: int | None = None, centre: bool = True) -> EmbeddingSet:
    """Vectors for `items` from one source (see SOURCES); `loaded` is the model to use.

    Hidden states are centred over the set with their massive dimensions set
    aside (lmlab.centring) unless `centre` is False: raw, every pair has cosine ≈ 1.
    """
    if source not in SOURCES:
        raise InputError(f"Unknown source “{source}”.")
    if loaded is None:
        raise InputError("The model for this source is not loaded.")
    texts = [item.text for item in items]
    if source == "glove":
        kept, vecs, details, notes = glove_embeddings(loaded.model, items)
        return EmbeddingSet(kept, vecs, source, notes, details)
    if source == "sentence":
        return EmbeddingSet(items, sentence_embeddings(loaded, texts), source)
    if source == "lm-input":
        vecs, details = input_embeddings(loaded, texts)
        return EmbeddingSet(items, vecs, source, details=details)
    layer = layer_count(loaded) if layer is None else int(layer)
    vectors = hidden_state_embeddings(loaded, texts, layer)
    if not centre:
        return EmbeddingSet(items, vectors, source)
    centred = centre_over_set(vectors)
    note = (f"Each item is read after a newline token, which takes the first position's "
            f"huge values, and its own tokens are averaged; the vectors are centred over your "
            f"{len(items)} items (their mean subtracted)"
            + (f", with {len(centred.dropped)} massive dimension(s) set aside "
               f"({', '.join(map(str, centred.dropped[:5]))})" if centred.dropped else "")
            + ". Without these steps every pair would have cosine ≈ 1.")
    return EmbeddingSet(items, centred.vectors, source, [note])


# ----------------------------------------------------------------------------
# Views of the space.

def project(vectors: np.ndarray, method: str = "pca", dims: int = 2, seed: int = 0) -> np.ndarray:
    """(N, D) -> (N, dims) with PCA, t-SNE or UMAP (cosine geometry for the last two)."""
    n = len(vectors)
    if method not in METHODS:
        raise InputError(f"Unknown projection “{method}”: pick PCA, t-SNE or UMAP.")
    if dims not in (2, 3):
        raise InputError("Pick 2 or 3 dimensions.")
    if n < MIN_ITEMS:
        raise InputError(f"At least {MIN_ITEMS} points are needed for a projection.")
    x = np.asarray(vectors, dtype=np.float32)
    if method == "pca":
        from sklearn.decomposition import PCA

        k = min(dims, n, x.shape[1])
        out = PCA(n_components=k, random_state=seed).fit_transform(x)
        if k < dims:  # too few points for a 3rd axis: a flat one
            out = np.hstack([out, np.zeros((n, dims - k))])
        return out.astype(np.float64)
    if method == "tsne":
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits

        perplexity = float(min(30.0, max(1.0, (n - 1) / 3)))
        tsne = TSNE(n_components=dims, perplexity=perplexity, init="pca", metric="cosine",
                    learning_rate="auto", random_state=seed, max_iter=500)
        # One OpenMP thread: on at most 500 points the Barnes-Hut gradient is tiny, and on a
        # busy 2-core machine the threads' hand-offs cost far more than the arithmetic
        # (measured: 500 GloVe words 15-25 s with 2 threads, 1.8 s with one; 18 words
        # 0.55 s vs 0.05 s). libgomp keeps this setting per calling thread.
        with threadpool_limits(1, user_api="openmp"):
            return tsne.fit_transform(x).astype(np.float64)
    with warnings.catch_warnings():  # umap warns that a seed disables parallelism
        warnings.simplefilter("ignore")
        import umap

        reducer = umap.UMAP(n_components=dims, n_neighbors=max(2, min(15, n - 1)),
                            metric="cosine", random_state=seed,
                            init="spectral" if n > 2 * dims + 10 else "random")
        return reducer.fit_transform(x).astype(np.float64)


def cosine_matrix(vectors: np.ndarray) -> np.ndarray:
    """(N, N) cosine similarities."""
    x = np.asarray(vectors, dtype=np.float64)
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return np.clip(unit @ unit.T, -1.0, 1.0)


def nearest_in_set(vectors: np.ndarray, labels: list[str], index: int, k: int = 5
                   ) -> list[tuple[str, float]]:
    """The k items of the set closest (cosine) to item `index`, itself left out."""
    if not 0 <= index < len(labels):
        raise InputError("Pick one of the points.")
    sims = cosine_matrix(vectors)[index]
    order = [i for i in np.argsort(-sims, kind="stable") if i != index][:k]
    return [(labels[i], float(sims[i])) for i in order]
