"""LM Lab's views in a Jupyter or Colab notebook: the same numbers and figures as the app.

    import lmlab.notebook as lab
    lab.next_token("The capital of France is")       # bars of the most likely next tokens
    lab.token_lens("The cat sat on the mat.")        # every token coloured by probability
    lab.attention("The animal was tired.", layer=3)  # bertviz, offline, in an iframe
    lab.analogy("king - man + woman")                # GloVe word arithmetic
    lab.train("shakespeare_sonnets", steps=60)       # a tiny Transformer trained live

Each call returns an object that displays itself as the last line of a cell (a
Plotly figure, or HTML in a sandboxed iframe) and keeps its numbers in `.numbers`
and its figure in `.figure`. The models are the embedded ones, so nothing is
downloaded: importing this module sets LMLAB_OFFLINE=1 unless it is already set
(set LMLAB_OFFLINE=0 first to load other models from the Hugging Face Hub).
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("LMLAB_OFFLINE", "1")

EMBEDDED_LM = "HuggingFaceTB/SmolLM2-135M-Instruct"
EMBEDDED_VECTORS = "glove-6B-50d"


def iframe(page: str, height: int, title: str) -> str:
    """A whole HTML page in a sandboxed iframe: its scripts run inside it only."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height) + 20}px;border:0" '
            f'title="{html.escape(title)}"></iframe>')


@dataclass
class View:
    """A result that displays itself: its figure (Plotly) or HTML, and its numbers."""

    title: str
    numbers: dict[str, Any]
    figure: Any = None  # plotly.graph_objects.Figure
    page: str = ""  # a self-contained HTML page, shown in an iframe
    height: int = 400
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        parts = [f"<b>{html.escape(self.title)}</b>"]
        parts += [f"<div>{html.escape(note)}</div>" for note in self.notes]
        if self.page:  # a page view shows its page; `.figure` displays on its own
            parts.append(iframe(self.page, self.height, self.title))
        elif self.figure is not None:
            # include_plotlyjs=True inlines plotly.js: the figure draws with no network.
            parts.append(self.figure.to_html(full_html=False, include_plotlyjs=True))
        return "\n".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.page or self.figure is None:
            return {"text/html": self._repr_html_()}
        return self.figure._repr_mimebundle_(include, exclude)  # Jupyter's Plotly renderer

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.title!r}: numbers={sorted(self.numbers)}>"


def _load(model_id: str, purpose: str = "inspect"):
    from lmlab.loading import default_store

    return default_store().get(model_id, purpose)


def next_token(text: str, model_id: str = EMBEDDED_LM, temperature: float = 1.0,
               top_k: int = 10) -> View:
    """The model's distribution over the token after `text` (bars of the top_k)."""
    from lmlab.inputs import check_number
    from lmlab.probability import prompt_next_logits, top_next_tokens
    from lmlab.viz.tokens import next_token_bar

    temperature = check_number(temperature, name="Temperature", low=0, high=5)
    top_k = check_number(top_k, name="Top-k", low=1, high=100, integer=True)
    loaded = _load(model_id)
    view = top_next_tokens(loaded, prompt_next_logits(loaded, text), temperature, top_k)
    numbers = {"tokens": view.texts, "token_ids": view.token_ids, "probabilities": view.probs,
               "entropy_bits": view.entropy_bits, "rest": view.rest}
    return View(f"Next token after {text!r} ({loaded.spec.name})", numbers, next_token_bar(view))


def token_lens(text: str, model_id: str = EMBEDDED_LM, top_k: int = 5) -> View:
    """How likely the model found each token of `text`, its perplexity, and its guesses."""
    from lmlab.inputs import check_number
    from lmlab.probability import score_text
    from lmlab.viz.tokens import chips_page_html, surprisal_figure

    top_k = check_number(top_k, name="Top-k", low=1, high=20, integer=True)
    score = score_text(_load(model_id), text, top_k=top_k)
    numbers = {"perplexity": score.perplexity, "mean_nll": score.mean_nll,
               "tokens": [t.text for t in score.tokens],
               "probabilities": [t.prob for t in score.tokens],
               "surprisal_bits": [t.surprisal_bits for t in score.tokens]}
    return View(f"Perplexity {score.perplexity:,.2f} = exp(mean NLL {score.mean_nll:.3f})",
                numbers, surprisal_figure(score.tokens),
                page=chips_page_html(score.tokens, prefix=score.first_token), height=160)


def attention(text: str, model_id: str = EMBEDDED_LM, layer: int = 0, view: str = "head",
              continue_tokens: int = 0) -> View:
    """bertviz's head/model/neuron view of the model's attention over `text`, offline."""
    from lmlab.attention import capture_attention
    from lmlab.viz.bertviz_html import build_view

    capture = capture_attention(_load(model_id), text, continue_tokens)
    page = build_view(capture, view, first_layer=layer)
    numbers = {"tokens": capture.tokens, "n_layers": capture.n_layers,
               "n_heads": capture.n_heads, "causal": capture.causal,
               "weights": capture.attentions}  # (L, H, T, T), every row sums to 1
    return View(f"Attention of {capture.model_name} ({view} view)", numbers, page=page.html,
                height=page.height, notes=[*capture.notes, *page.notes])


def analogy(expression: str, model_id: str = EMBEDDED_VECTORS, k: int = 10) -> View:
    """GloVe word arithmetic: the words closest to e.g. "king - man + woman"."""
    from lmlab.errors import InputError
    from lmlab.inputs import check_number
    from lmlab.viz.embeddings import neighbour_bars
    from lmlab.word_arithmetic import MAX_TOP_K, evaluate
    from lmlab.wordvectors import WordVectors

    k = check_number(k, name="Answers", low=1, high=MAX_TOP_K, integer=True)
    vectors = _load(model_id, "generate").model
    if not isinstance(vectors, WordVectors):
        raise InputError("Pick a word-vector model (GloVe) for the calculator.")
    answers = evaluate(vectors, expression, k)
    words, cosines = [a.word for a in answers], [a.cosine for a in answers]
    figure = neighbour_bars(words, cosines, f"{expression.strip()} ≈ {words[0]}")
    return View(f"{expression.strip()} ≈ {words[0]}", {"words": words, "cosines": cosines}, figure)


def train(corpus: str = "shakespeare_sonnets", architecture: str = "transformer",
          size: str = "tiny", steps: int = 100, seed: int = 0) -> View:
    """Train a small character-level model on a bundled corpus (or your own text) for
    `steps` steps; shows its training and validation loss and a sample it writes."""
    from lmlab.training import TrainConfig, new_trainer
    from lmlab.training_data import TextDataset, bundled_corpora, load_corpus, unigram_perplexity
    from lmlab.viz.training import curves_figure

    text = load_corpus(corpus) if corpus in bundled_corpora() else corpus
    dataset = TextDataset.from_text(text, name=corpus if corpus in bundled_corpora() else "text")
    config = TrainConfig(steps=steps, eval_every=max(1, steps // 8), sample_every=steps,
                         seed=seed)
    trainer = new_trainer(dataset, architecture, size, config)
    trainer.run_steps(steps)
    baseline = unigram_perplexity(dataset)
    last = trainer.last
    numbers = {"steps": trainer.step, "parameters": trainer.n_params,
               "val_loss": [p.val_loss for p in trainer.history],
               "train_loss": [p.train_loss for p in trainer.history],
               "val_perplexity": last.val_perplexity if last else None,
               "unigram_perplexity": baseline, "sample": trainer.sample(length=120)}
    figure = curves_figure([(trainer.name, trainer.history)], baseline_perplexity=baseline,
                           total_steps=steps)
    figure.update_layout(title=f"{architecture} ({size}, {trainer.n_params:,} parameters), "
                               f"{trainer.step} steps")
    return View(f"{architecture} after {trainer.step} steps", numbers, figure)
