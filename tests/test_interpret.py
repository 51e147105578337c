"""Logit lens, residual decomposition, activation patching and saliency, checked against
the models' own forward passes (tiny Llama and GPT-2; the embedded SmolLM2 when installed)."""

import threading

import pytest
import torch

from lmlab.errors import InputError
from lmlab.flow import components_at, contributions, flow_graph, traced_edges
from lmlab.lens import lens_logits, logit_lens
from lmlab.patching import patch_head_grid, patch_residual_grid, prepare, run_patched
from lmlab.residual import MAX_TRACE_TOKENS, trace_text
from lmlab import saliency
from lmlab.saliency import saliency_text

TEXT = "the cat sat on the mat . the dog"
SMOLLM = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture(params=["tiny/llama-chat", "tiny/gpt2"])
def tiny(request, store):
    return store.get(request.param, "inspect")


def decode(loaded):
    return lambda i: loaded.tokenizer.decode([i])


def own_forward(loaded, text):
    ids = loaded.tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.inference_mode(), loaded.eager_attention() as model:  # as the trace runs it
        return model(ids, output_hidden_states=True)


def check_lens_is_the_model(loaded, text):
    trace = trace_text(loaded, text)
    out = own_forward(loaded, text)
    last = lens_logits(trace, torch.tensor([trace.n_layers]))[0]  # (T, V)
    torch.testing.assert_close(last, out.logits[0].float(), atol=1e-5, rtol=0)
    torch.testing.assert_close(last, trace.logits, atol=1e-5, rtol=0)
    fast = trace_text(loaded, text, attentions=False)  # SDPA, as generation runs the model
    with torch.inference_mode():
        sdpa_logits = loaded.model(torch.tensor([fast.token_ids])).logits[0].float()
    torch.testing.assert_close(lens_logits(fast, torch.tensor([fast.n_layers]))[0], sdpa_logits,
                               atol=1e-5, rtol=0)
    grid = logit_lens(trace, decode(loaded))
    assert grid.n_rows == trace.n_layers + 1 and grid.n_tokens == trace.n_tokens
    assert grid.final_ids == out.logits[0].argmax(-1).tolist()
    assert [c[0] for c in grid.top_ids[-1]] == grid.final_ids  # the last row is the output
    probs = torch.softmax(out.logits[0].float(), -1)
    torch.testing.assert_close(grid.top_probs[-1, :, 0], probs.max(-1).values, atol=1e-5, rtol=0)
    for pos, row in enumerate(grid.first_layer):  # from the first layer on, it stays top-1
        assert all(grid.top_ids[r][pos][0] == grid.final_ids[pos] for r in range(row, grid.n_rows))
        assert row == 0 or grid.top_ids[row - 1][pos][0] != grid.final_ids[pos]
    return trace, out


def check_components_add_up(loaded, text):
    trace = trace_text(loaded, text)
    out = own_forward(loaded, text)
    hidden = out.hidden_states  # embeddings, after each layer (the last one after the final norm)
    parts = trace.parts
    # 1e-4 absolute, plus float32's own rounding (rtol 1e-6) on SmolLM2's massive activations:
    # one dimension reaches ~2e4, where adjacent float32 values are 2e-3 apart.
    for pos in range(trace.n_tokens):
        comps = components_at(trace, pos)
        for layer in range(trace.n_layers - 1):
            torch.testing.assert_close(comps.residual_after(layer), hidden[layer + 1][0, pos],
                                       atol=1e-4, rtol=1e-6)
        final = parts.final_norm(comps.residual_after(trace.n_layers - 1))
        torch.testing.assert_close(final, hidden[-1][0, pos], atol=1e-4, rtol=0)
        torch.testing.assert_close(comps.residual_after(-1), hidden[0][0, pos], atol=1e-5, rtol=0)
    # The frozen-norm read-out gives back the model's own logit, token by token.
    for pos in (0, trace.n_tokens - 1):
        share = contributions(trace, pos, decode=decode(loaded))
        assert share.token_id == int(out.logits[0, pos].argmax())
        assert share.total == pytest.approx(float(out.logits[0, pos, share.token_id]), abs=1e-3)
    return trace


def test_lens_at_the_last_layer_is_the_models_logits(tiny):
    trace, _ = check_lens_is_the_model(tiny, TEXT)
    assert trace.parts.family in ("llama", "gpt2")


def test_every_lens_cell_is_the_softmax_of_its_logits(tiny, monkeypatch):
    """Every row, not only the last: chunks and read-out slices that end mid-layer give
    each cell the probabilities of its own full row of lens logits."""
    from lmlab import lens

    monkeypatch.setattr(lens, "_ROWS_PER_CHUNK", 7)
    monkeypatch.setattr(lens, "_ROWS_PER_READ", 3)
    trace = trace_text(tiny, TEXT)
    grid = logit_lens(trace, decode(tiny))
    probs = torch.softmax(lens_logits(trace), -1)  # (L+1, T, V)
    top = probs.topk(lens.TOP_K, -1)
    assert grid.top_ids == top.indices.tolist()
    torch.testing.assert_close(grid.top_probs, top.values, atol=1e-6, rtol=0)
    final = torch.tensor(grid.final_ids)[None, :, None].expand(probs.shape[0], -1, 1)
    torch.testing.assert_close(grid.final_token_prob, probs.gather(2, final)[..., 0],
                               atol=1e-6, rtol=0)


def test_components_add_up_to_the_hidden_states(tiny):
    trace = check_components_add_up(tiny, TEXT)
    expected = {"llama": ["token embedding"], "gpt2": ["token embedding", "position embedding"]}
    assert list(components_at(trace, 0).embeddings) == expected[trace.parts.family]


def test_flow_graph_shares_and_paths(tiny):
    trace = trace_text(tiny, TEXT)
    graph = flow_graph(trace)
    L, T = trace.n_layers, trace.n_tokens
    assert graph.attention.shape == (L, T, T)
    totals = graph.attention.sum(-1) + graph.residual  # shares at each (layer, target) sum to 1
    torch.testing.assert_close(totals, torch.ones(L, T), atol=1e-5, rtol=0)
    assert float(graph.attention.triu(1).abs().max()) == 0.0  # causal: no edge from the future
    # What heads carry from all sources adds up to the attention output (without its bias).
    parts = trace.parts
    layer, t = L - 1, T - 1
    values = trace.values[layer].repeat_interleave(parts.n_heads // trace.values.shape[1], 0)
    written = torch.einsum("hsd,hdc->hsc", values, parts.head_out_weight(layer).detach())
    carried = torch.einsum("hs,hsc->c", trace.attentions[layer, :, t], written)
    bias = parts.head_out_bias(layer)
    expected = trace.attn_out[layer, t] - (bias.detach() if bias is not None else 0)
    torch.testing.assert_close(carried, expected, atol=1e-4, rtol=0)
    per_source = torch.einsum("hs,hsc->sc", trace.attentions[layer, :, t], written).norm(dim=-1)
    total = per_source.sum() + trace.resid[layer, t].norm()
    torch.testing.assert_close(graph.attention[layer, t], per_source / total, atol=1e-5, rtol=1e-4)
    edges = traced_edges(graph, T - 1, 0.0)
    assert {e[2] for e in edges if e[0] == L - 1} == {T - 1}  # the top layer ends at the target
    assert all(s <= t for _, s, t, _ in edges)
    assert len(traced_edges(graph, T - 1, 1.01)) == 0


def test_patching_restores_and_leaves_alone(tiny):
    setup = prepare(tiny, "a king and a queen", "a queen and a king", " ruled", " walked")
    assert any("first token" in note for note in setup.notes)  # " ruled" is several tokens
    T, L = setup.n_tokens, setup.clean.n_layers
    everything_first = [(0, p) for p in range(T)]
    metrics = run_patched(tiny, setup, [everything_first, [], [(L - 1, p) for p in range(T)]])
    assert float(metrics[0]) == pytest.approx(setup.clean_metric, abs=1e-5)
    assert float(metrics[1]) == pytest.approx(setup.corrupted_metric, abs=1e-5)
    assert abs(setup.clean_metric - setup.corrupted_metric) > 1e-4  # the prompts differ
    seen = []
    grid, stopped = patch_residual_grid(tiny, setup, on_progress=lambda d, n, g: seen.append(d),
                                        batch_rows=5)
    assert not stopped and grid.shape == (L, T) and not torch.isnan(grid).any()
    assert seen[-1] == L * T and seen == sorted(seen)
    # Position 0 is the same token "a" in both prompts: patching it changes nothing.
    assert float(grid[0, 0]) == pytest.approx(setup.corrupted_metric, abs=1e-5)
    single = run_patched(tiny, setup, [[(1, 2)]])
    assert float(grid[1, 2]) == pytest.approx(float(single[0]), abs=1e-5)
    heads, _ = patch_head_grid(tiny, setup, 0, batch_rows=7)
    assert heads.shape == (setup.clean.parts.n_heads, T) and not torch.isnan(heads).any()
    stop = threading.Event()
    stop.set()
    partial, stopped = patch_residual_grid(tiny, setup, stop=stop)
    assert stopped and torch.isnan(partial).all()


def test_integrated_gradients_are_complete(tiny):
    result = saliency_text(tiny, TEXT, steps=64)
    assert len(result.integrated) == len(result.tokens) == len(result.grad_x_input)
    assert result.f_input != result.f_baseline
    assert result.completeness_gap < 0.05, (sum(result.integrated), result.f_input,
                                            result.f_baseline)
    ids = tiny.tokenizer(TEXT, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        logits = tiny.model(ids).logits[0, -1]
    assert result.token_id == int(logits.argmax())
    assert result.f_input == pytest.approx(float(logits[result.token_id]), abs=1e-5)
    assert result.grad_x_input == pytest.approx(  # the gradient at the path's end is at x
        saliency_text(tiny, TEXT, steps=1).grad_x_input, abs=1e-6)
    other = saliency_text(tiny, TEXT, token_id=3, steps=8)
    assert other.token_id == 3 and other.integrated != result.integrated
    assert 8 <= other.steps <= saliency.IG_MAX_FACTOR * 8


def test_trapezoid_refinement_measures_its_own_gap():
    """The segment errors add up to Σ trapezoid − (f(1) − f(0)): the gap the page reports.
    On f(α) = α^8, steep near 1, halving the worst segments shrinks it, unlike more
    points spread evenly."""
    alphas = saliency.path_points(4).double()  # (5,)
    f, slope = alphas ** 8, 8 * alphas ** 7
    errors = saliency.segment_errors(alphas, f, slope)
    weights = saliency.trapezoid_weights(alphas)
    assert float(weights.sum()) == pytest.approx(1.0)
    assert float(errors.sum()) == pytest.approx(float((weights * slope).sum() - (f[-1] - f[0])))
    assert int(errors.abs().argmax()) == 3  # the last segment, where f turns steep
    refined = torch.cat([alphas, torch.tensor([0.875])]).sort().values
    even = saliency.path_points(5).double()
    gap = lambda a: abs(float(saliency.segment_errors(a, a ** 8, 8 * a ** 7).sum()))  # noqa: E731
    assert gap(refined) < gap(even) < gap(alphas)


def test_bad_inputs_get_one_sentence(tiny, store):
    for text, words in [("", "Please type some text"), ("   ", "Please type some text"),
                        ("the cat " * 60, f"the limit here is {MAX_TRACE_TOKENS}")]:
        with pytest.raises(InputError, match=words):
            trace_text(tiny, text)
        with pytest.raises(InputError, match=words):
            saliency_text(tiny, text)
    with pytest.raises(InputError, match="same number of tokens"):
        prepare(tiny, "the cat sat on the mat", "the man sat", " mat", " rug")
    with pytest.raises(InputError, match="same token"):
        prepare(tiny, "a king and a queen", "a queen and a king", " mat", " mat")
    with pytest.raises(InputError, match="corrupted prompt"):
        prepare(tiny, "the cat sat", "", " mat", " rug")
    with pytest.raises(InputError, match="type the wrong answer"):
        prepare(tiny, "a king and a queen", "a queen and a king", " mat", "  ")
    setup = prepare(tiny, "a king and a queen", "a queen and a king", " mat", " rug")
    with pytest.raises(InputError, match="Layer must be between 0 and 1"):
        patch_head_grid(tiny, setup, 5)
    with pytest.raises(InputError, match="Position must be between"):
        contributions(trace_text(tiny, TEXT), 99)
    bert = store.get("tiny/bert", "inspect")
    with pytest.raises(InputError, match="not one"):
        trace_text(bert, TEXT)


def test_a_model_without_the_parts_is_refused(tiny):
    from lmlab.model_parts import model_parts

    saved = tiny.model.lm_head
    try:
        del tiny.model.lm_head
        with pytest.raises(InputError, match="is not one"):
            model_parts(tiny)
    finally:
        tiny.model.lm_head = saved


def test_smollm2_lens_components_patching_and_ig(smollm):
    check_lens_is_the_model(smollm, "The capital of France is")
    check_components_add_up(smollm, "The capital of France is")
    setup = prepare(smollm, "The Eiffel Tower is in the city of", "The Colosseum is in the city of",
                    " Paris", " Rome")
    T = setup.n_tokens
    metrics = run_patched(smollm, setup, [[(0, p) for p in range(T)], []])
    assert float(metrics[0]) == pytest.approx(setup.clean_metric, abs=1e-4)
    assert float(metrics[1]) == pytest.approx(setup.corrupted_metric, abs=1e-4)
    assert setup.clean_metric > 0 > setup.corrupted_metric  # Paris vs Rome, as it should
    # Integrated gradients on SmolLM2 are complete at 64 steps from the end-of-text baseline
    # (from all-zero embeddings its RMSNorm layers make the output jump next to 0: no
    # 64-step quadrature came within 5%).
    result = saliency_text(smollm, "The capital of France is", steps=64)
    assert result.token == " Paris" and result.f_input != result.f_baseline
    assert result.completeness_gap < 0.05, (sum(result.integrated), result.f_input,
                                            result.f_baseline)
    assert result.integrated[0] == 0.0  # the first token is the baseline's too
    # Here f(x) − f(x') is small (-0.24) and the path is rough between α ≈ 0.6 and 0.9: 64
    # even midpoints were off by 154%; refining where the segments disagree meets the 5%.
    result = saliency_text(smollm, "The Eiffel Tower is in the city of", steps=64)
    assert result.token == " Paris" and result.completeness_gap < 0.05, (
        sum(result.integrated), result.f_input - result.f_baseline, result.steps)


def figure_texts(fig) -> list[str]:
    """Every text a figure shows: title, axis titles and ticks, legend names, hover, colourbar."""
    spec = fig.to_plotly_json()
    layout = spec["layout"]
    texts = [layout.get("title", {}).get("text", "")]
    for axis in ("xaxis", "yaxis"):
        texts.append(layout.get(axis, {}).get("title", {}).get("text", "") or "")
        texts += [str(v) for v in layout.get(axis, {}).get("ticktext", []) or []]
    for trace in spec["data"]:
        texts.append(trace.get("name") or "")
        texts.append(((trace.get("colorbar") or {}).get("title") or {}).get("text", "") or "")
        for field in ("hovertext", "y"):
            values = trace.get(field)
            rows = values if isinstance(values, (list, tuple)) else []
            for row in rows:
                texts += [str(v) for v in (row if isinstance(row, (list, tuple)) else [row])
                          if v is not None]
    return [t for t in texts if t]


def test_figures_speak_the_readers_language(tiny):
    """With the Chinese table, no English word is left in the lens, share, flow and patching
    figures (tokens of the text, code and kept names aside); without it they stay English."""
    from i18n_scan import KEPT_WORDS, english_words, model_words
    from lmlab.i18n import table
    from lmlab.viz.interpret import (contributions_heatmap, flow_figure, lens_heatmap,
                                     patching_heatmap)

    trace = trace_text(tiny, TEXT)
    grid = logit_lens(trace, decode(tiny))
    share = contributions(trace, 2)
    edges = traced_edges(flow_graph(trace), 2, 0.0)
    restored = torch.tensor([[0.5, float("nan")], [1.0, 0.0]])
    zh = table("zh")

    def figures(labels):
        return {"lens": lens_heatmap(grid, labels=labels),
                "shares": contributions_heatmap(share, labels=labels),
                "flow": flow_figure(trace.tokens, trace.n_layers, edges, 2, labels=labels),
                "patching": patching_heatmap(restored, ["a", "b"], trace.tokens[:2], "t",
                                             labels=labels)}

    allowed = KEPT_WORDS | model_words() | {"MLP"}
    pieces = " ".join([TEXT, *trace.tokens, *(t for row in grid.top_texts for cell in row
                                             for t in cell)]).lower()
    for name, fig in figures(zh).items():
        left = [w for text in figure_texts(fig) for w in english_words(text, allowed, pieces)]
        assert not left, (name, sorted(set(left)))
    english = " ".join(" ".join(figure_texts(f)) for f in figures(None).values())
    for words in ("Logit lens", "after layer 0", "residual states", "not run", "final prediction"):
        assert words in english
    chinese = " ".join(" ".join(figure_texts(f)) for f in figures(zh).values())
    assert "逻辑透镜" in chinese and "第 0 层之后" in chinese and "未运行" in chinese
