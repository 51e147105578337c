"""Attention math: one attention weight opened all the way down, on a real model's numbers."""

import math

import pandas as pd
import streamlit as st

from components.downloads import csv_button
from components.navigation import use_router
from components import url_state, working_text
from components.errors import shown_errors, shown_result
from components.i18n import t, tm
from components.lessons import show_lesson
from components.presenter import show_chart
from components.sidebar import model_picker
from lmlab.viz import math as viz_math
from lmlab.viz.tokens import visible_token
from lmlab.ablation import ABLATION_MAX_TOKENS, Ablation, head_sweep, run_ablation
from lmlab.attention_math import (MAX_MATH_TOKENS, capture_text, cell_math, max_recompute_error,
                                  recompute_attention, sqrt_dk_matches)
from lmlab.positional import (MAX_POSITIONS_SHOWN, cosine_similarity_matrix, describe_positions,
                              learned_positions, rotary_angles, rotary_scores,
                              sinusoidal_encoding)
from lmlab.toy_attention import EMBEDDING_RANGE, FEATURES, compute_toy, default_toy

# This page's widget and session keys (keys shared between pages live in components.state).
AM_FAMILY = "am_family"
AM_TEXT = "am_text"
AM_COMPUTE = "am_compute"
AM_CAPTURE = "am_capture"  # {"model": id, "text": ..., "capture": Capture}
AM_LAYER = "am_layer"
AM_HEAD = "am_head"
AM_QUERY = "am_query"
AM_KEY = "am_key"
AM_POS_N = "am_pos_positions"
AM_POS_D = "am_pos_width"
AM_ABL_TEXT = "am_ablation_text"
AM_ABL_LAYER = "am_ablation_layer"
AM_ABL_HEAD = "am_ablation_head"
AM_ABL_RUN = "am_ablation_run"
AM_ABL_RESULT = "am_ablation_result"
AM_ABL_SWEEP = "am_ablation_sweep"
AM_ABL_SWEEP_RESULT = "am_ablation_sweep_result"
AM_TOY_CAUSAL = "am_toy_causal"
AM_TOY_RESET = "am_toy_reset"


def am_toy_key(token: int, feature: int) -> str:
    return f"am_toy_{token}_{feature}"


use_router()

FAMILIES = {"generate": "Decoder: predicts the next token (causal mask)",
            "embed": "Encoder: BERT-like, every token sees every token"}
DEFAULT_TEXT = "The cat sat on the mat because it was warm."


def table(frame: pd.DataFrame, name: str, key: str) -> None:
    """A readable table (4 decimals) with its CSV download."""
    formats = {c: st.column_config.NumberColumn(format="%.4f")
               for c in frame.columns if frame[c].dtype.kind == "f"}
    st.dataframe(frame, hide_index=True, column_config=formats, width="stretch")
    csv_button(frame, name, key)


def show_token(index: int, token: str) -> str:
    return f"**{index}** `{token.strip() or '␣'}`"


# ---------------------------------------------------------------- cell math
def cell_section(loaded) -> None:
    st.markdown(t("Pick a cell of one head's attention pattern — **query token i** looking at "
                "**key token j** — and follow every step the model takes, on the q, k and v "
                "vectors it really used (captured from inside the model)."))
    text = st.text_area(url.label("text", t("Text (up to {max_math_tokens} tokens)",
                                            max_math_tokens=MAX_MATH_TOKENS)),
                        height=80, **url.kw("text"))
    stored = st.session_state.get(AM_CAPTURE)
    # A text that arrived by link or from another page is computed at once (same view, same numbers).
    arrived = ARRIVED and not (stored and stored["model"] == loaded.spec.id
                               and stored.get("text") == text)
    if st.button(t("Compute"), type="primary", key=AM_COMPUTE) or arrived:
        with shown_errors():
            with st.spinner(t("Running the model and capturing q, k, v…")):
                capture = capture_text(loaded, text)
            st.session_state[AM_CAPTURE] = {"model": loaded.spec.id, "capture": capture,
                                            "text": text}
            st.session_state[AM_QUERY] = capture.n_tokens - 1
            st.session_state[AM_KEY] = max(0, capture.n_tokens - 2)
    stored = st.session_state.get(AM_CAPTURE)
    if not stored or stored["model"] != loaded.spec.id:
        st.info(t("Type a text and press **Compute** to capture the model's q, k and v."))
        return
    capture = stored["capture"]
    first = capture.layers[0]
    if stored.get("text") != text:
        st.caption(t("Showing the last computed text; press Compute for the new one."))
    st.caption(t("{n_tokens} tokens · {n_layers} layers · {n_heads} query heads · "
                 "{n_kv_heads} key/value heads · d_k = {head_dim}",
                 n_tokens=capture.n_tokens, n_layers=capture.n_layers, n_heads=first.n_heads, n_kv_heads=first.n_kv_heads, head_dim=first.head_dim))
    last_token = capture.n_tokens - 1
    url.bind(url_state.number("layer", AM_LAYER, 0, low=0, high=capture.n_layers - 1, what="layer"),
             url_state.number("head", AM_HEAD, 0, low=0, high=first.n_heads - 1, what="head"),
             url_state.number("i", AM_QUERY, last_token, low=0, high=last_token,
                              what="query token"),
             url_state.number("j", AM_KEY, max(0, last_token - 1), low=0, high=last_token,
                              what="key token"))
    cols = st.columns(4)
    layer = cols[0].number_input(t("Layer (0–{number})", number=capture.n_layers - 1), min_value=0, step=1,
                                 key=AM_LAYER, disabled=url.locked("layer"))
    head = cols[1].number_input(t("Head (0–{number})", number=first.n_heads - 1), min_value=0, step=1,
                                key=AM_HEAD, disabled=url.locked("head"))
    query = cols[2].number_input(t("Query token i (0–{number})", number=capture.n_tokens - 1), min_value=0,
                                 step=1, key=AM_QUERY, disabled=url.locked("i"))
    key = cols[3].number_input(t("Key token j (0–{number})", number=capture.n_tokens - 1), min_value=0,
                               step=1, key=AM_KEY, disabled=url.locked("j"))
    cell = shown_result(lambda: cell_math(capture, int(layer), int(head), int(query), int(key)))
    if cell is None:
        return
    show_cell(capture, cell)


def show_cell(capture, cell) -> None:
    tokens = capture.tokens
    qkv = capture.layers[cell.layer]
    shared = ""
    if qkv.n_kv_heads < qkv.n_heads:
        group = qkv.n_heads // qkv.n_kv_heads
        shared = t(" Grouped-query attention: query heads {first}–{last} share key/value "
                   "head {kv_head}.", first=cell.kv_head * group,
                   last=cell.kv_head * group + group - 1, kv_head=cell.kv_head)
    st.markdown(t("Query {show_token} → key {show_token2}, layer **{layer}**, head "
                  "**{head}**.{shared}",
                  show_token=show_token(cell.query, tokens[cell.query]),
                  show_token2=show_token(cell.key, tokens[cell.key]), layer=cell.layer,
                  head=cell.head, shared=shared))
    _step_dot(cell)
    _step_scale(cell)
    _step_mask(cell, qkv)
    _step_softmax(cell, tokens)
    _step_values(cell, qkv, tokens)


def _step_dot(cell) -> None:
    """The dot product of the query and key vectors, number by number."""
    st.subheader(t("1 · Dot product q · k"))
    st.markdown(t("The query vector of token {query} and the key vector of token {key} "
                  "each have d_k = {d_k} numbers. Multiply them pairwise and add up.",
                  query=cell.query, key=cell.key, d_k=cell.d_k))
    left, right = st.columns([2, 3])
    with left:
        st.metric("q · k", f"{cell.dot:.4f}")
        table(pd.DataFrame({"n": range(cell.d_k), "q_n": cell.q, "k_n": cell.k,
                            "q_n × k_n": cell.products}), "q_dot_k", "am_csv_qk")
    show_chart(right, viz_math.qk_products_figure(cell), key="am_fig_qk")


def _step_scale(cell) -> None:
    """The scaling by the model's own factor (1/√d_k for most models)."""
    st.subheader(t("2 · Scale by √d_k"))
    st.latex(rf"\frac{{q\cdot k}}{{\sqrt{{d_k}}}} = \frac{{{cell.dot:.4f}}}{{\sqrt{{{cell.d_k}}}}}"
             rf" = {cell.scaled:.4f}")
    st.caption(t("Without the scaling, dot products of long vectors grow large and the softmax "
               "saturates: one key would take almost all the weight."))
    if not sqrt_dk_matches(cell):
        st.caption(t("This model multiplies by {scale} rather than 1/√d_k = {number}; the "
                     "numbers use the model's own factor.",
                     scale=f"{cell.scale:.5f}", number=f"{cell.d_k ** -0.5:.5f}"))


def _step_mask(cell, qkv) -> None:
    """What the causal mask adds to this cell."""
    st.subheader(t("3 · Mask"))
    if cell.mask == -math.inf:
        st.markdown(t("Key {key} comes **after** query {query}. A decoder may not look at the "
                      "future: the causal mask adds **−∞**, so after the softmax this weight "
                      "is exactly 0.", key=cell.key, query=cell.query))
    elif qkv.causal:
        st.markdown(t("Key {key} is not after query {query}, so the causal mask adds **0**: "
                      "the score passes unchanged.",
                      key=cell.key, query=cell.query))
    else:
        st.markdown(t("This is an encoder: there is no causal mask, every token may look at every "
                    "other (the mask adds **0**)."))


def _step_softmax(cell, tokens) -> None:
    """The softmax over the query's whole row of scores."""
    st.subheader(t("4 · Softmax over the whole row"))
    st.latex(r"w_{ij} = \frac{e^{s_{ij}}}{\sum_{j'} e^{s_{ij'}}},\quad "
             r"s_{ij} = \frac{q_i\cdot k_j}{\sqrt{d_k}} + m_{ij}")
    st.markdown(t("Weight of key {key}: **{weight}**; the row sums to **{sum}**.",
                  key=cell.key, weight=f"{cell.weight:.4f}", sum=f"{sum(cell.row_weights):.6f}"))
    row = pd.DataFrame({"j": range(len(tokens)), "token": tokens, "q·k_j": cell.row_dots,
                        "÷ √d_k": cell.row_scaled,
                        "mask": ["−∞" if m == -math.inf else "0" for m in cell.row_mask],
                        "weight": cell.row_weights})
    left, right = st.columns([2, 3])
    with left:
        table(row, "softmax_row", "am_csv_row")
    show_chart(right, viz_math.softmax_row_figure(cell), key="am_fig_row")


def _step_values(cell, qkv, tokens) -> None:
    """The head's output: the values weighted by the row, recomputed."""
    st.subheader(t("5 · Weighted sum of the values"))
    st.latex(r"\text{output}_i = \sum_j w_{ij}\, v_j")
    weights, _ = recompute_attention(qkv)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(t("Token {query}'s output from this head: {d_k} numbers that go, with the "
                      "other heads', into the layer's output projection.",
                      query=cell.query, d_k=cell.d_k))
        table(pd.DataFrame({"n": range(cell.d_k), "output_n": cell.output}), "head_output",
              "am_csv_output")
        with st.expander(t("The value vectors v_j")):
            values = pd.DataFrame(cell.values, columns=[f"v{n}" for n in range(cell.d_k)])
            values.insert(0, "weight", cell.row_weights)
            values.insert(0, "token", tokens)
            table(values, "values", "am_csv_values")
    with right:
        show_chart(st, viz_math.head_pattern_figure(
            weights[cell.head].tolist(), tokens, cell.query, cell.key,
            f"Layer {cell.layer}, head {cell.head}: every row recomputed the same way"),
            key="am_fig_head")
        st.caption(t("Largest difference between this recomputation and the attention weights "
                     "the model itself returned, over all heads of layer {layer}: "
                     "{max_recompute_error}.",
                     layer=cell.layer, max_recompute_error=f"{max_recompute_error(qkv):.1e}"))


# ---------------------------------------------------------- positional encoding
def positional_section(loaded) -> None:
    st.markdown(t("Attention itself ignores word order: it sums over the tokens as a set. The "
                "original Transformer added a **sinusoidal position encoding** to each token "
                "embedding."))
    cols = st.columns(2)
    n = cols[0].slider(t("Positions"), 8, 128, 64, 8, key=AM_POS_N)
    width = cols[1].slider(t("Encoding width"), 8, 256, 64, 8, key=AM_POS_D)
    st.latex(r"PE_{pos,2i} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right),\quad "
             r"PE_{pos,2i+1} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right)")
    pe = shown_result(lambda: sinusoidal_encoding(int(n), int(width)))
    if pe is None:
        return
    left, right = st.columns(2)
    show_chart(left, viz_math.sinusoid_figure(pe), key="am_fig_pe")
    show_chart(right, viz_math.similarity_figure(
        cosine_similarity_matrix(pe), t("Cosine similarity of positions")), key="am_fig_pe_sim")
    st.caption(t("Nearby positions look alike and the similarity depends only on the distance "
               "between positions (each diagonal is constant)."))
    csv_button(pd.DataFrame(pe), "sinusoidal_encoding", "am_csv_pe", index_label="position")

    st.subheader(t("What {name} uses instead", name=loaded.spec.name))
    scheme = describe_positions(loaded)
    st.markdown(tm(scheme.summary))
    shown = min(int(n), scheme.max_positions, MAX_POSITIONS_SHOWN)
    with shown_errors():
        left, right = st.columns(2)
        if scheme.kind == "rotary":
            show_chart(left, viz_math.rotary_frequency_figure(rotary_angles(loaded)),
                              key="am_fig_rope_freq")
            show_chart(right, viz_math.matrix_heatmap(
                rotary_scores(loaded, shown), t("key position"), t("query position"),
                t("q·k of one fixed query and key, rotated to every position pair")),
                key="am_fig_rope_scores")
            st.caption(t("The same two vectors give the same score whenever they are the same "
                       "distance apart: RoPE encodes relative position."))
        elif scheme.kind == "learned":
            table_ = learned_positions(loaded, shown)
            show_chart(left, viz_math.matrix_heatmap(
                table_, t("dimension"), t("position"),
                t("{name}'s learned position vectors", name=loaded.spec.name)),
                key="am_fig_learned")
            show_chart(right, viz_math.similarity_figure(
                cosine_similarity_matrix(table_), "Cosine similarity of learned positions"),
                key="am_fig_learned_sim")
# ----------------------------------------------------------------- ablation
def ablation_section(loaded) -> None:
    st.markdown(t("Knock out one attention head (its output is set to zero before the layer's "
                "output projection) or a whole layer's attention, and compare the model's "
                "next-token prediction and the text's perplexity with and without it."))
    if loaded.spec.kind != "causal-lm":
        st.info(t("Ablation compares next-token predictions: choose the decoder family above."))
        return
    heads = int(loaded.model.config.num_attention_heads)
    layers = int(loaded.model.config.num_hidden_layers)
    text = st.text_area(t("Text (2–{ablation_max_tokens} tokens)",
                          ablation_max_tokens=ABLATION_MAX_TOKENS),
                        "The capital of France is Paris. The capital of Germany is",
                        height=80, key=AM_ABL_TEXT)
    cols = st.columns(2)
    layer = cols[0].number_input(t("Layer (0–{number})", number=layers - 1), min_value=0, step=1,
                                 key=AM_ABL_LAYER)
    choices = ["all"] + list(range(heads))
    head = cols[1].selectbox(t("Head"), choices, key=AM_ABL_HEAD,
                             format_func=lambda h: t("the whole layer") if h == "all"
                             else t("head {head}", head=h))
    run, sweep = st.columns(2)
    if run.button(t("Knock out"), type="primary", key=AM_ABL_RUN):
        with shown_errors():
            with st.spinner(t("Running the model with and without it…")):
                result = run_ablation(loaded, text, Ablation(int(layer), None if head == "all"
                                                             else int(head)))
            st.session_state[AM_ABL_RESULT] = {"model": loaded.spec.id, "result": result}
    if sweep.button(t("Try every head of this layer"), key=AM_ABL_SWEEP):
        with shown_errors():
            bar = st.progress(0.0, text=t("Removing one head at a time…"))
            base, without = head_sweep(loaded, text, int(layer), progress=bar.progress)
            bar.empty()
            st.session_state[AM_ABL_SWEEP_RESULT] = {
                "model": loaded.spec.id, "layer": int(layer), "base": base, "without": without}
    stored = st.session_state.get(AM_ABL_RESULT)
    if stored and stored["model"] == loaded.spec.id:
        result = stored["result"]
        st.markdown(t("**Without {describe}** ({n_tokens} tokens):",
                      describe=result.ablation.describe(), n_tokens=result.n_tokens))
        m1, m2, m3 = st.columns(3)
        m1.metric(t("Perplexity"), f"{result.ablated.perplexity:.3f}",
                  f"{result.perplexity_change:+.3f} vs {result.base.perplexity:.3f}",
                  delta_color="inverse")
        m2.metric(t("KL(full ‖ ablated), bits"), f"{result.kl_bits:.4f}")
        m3.metric(t("Top next token"), visible_token(result.ablated.top[0][0]))
        m3.caption(t("full model: {value} ({value2})",
                     value=visible_token(result.base.top[0][0]), value2=f"{result.base.top[0][1]:.1%}"))
        left, right = st.columns([3, 2])
        show_chart(left, viz_math.ablation_figure(result), key="am_fig_ablation")
        with right:
            table(pd.DataFrame({"token": [visible_token(x) for x in result.top_tokens],
                                "P full": result.base_probs,
                                "P ablated": result.ablated_probs}), "ablation", "am_csv_ablation")
    sweep_result = st.session_state.get(AM_ABL_SWEEP_RESULT)
    if sweep_result and sweep_result["model"] == loaded.spec.id:
        show_chart(st, viz_math.head_sweep_figure(sweep_result["base"], sweep_result["without"],
                                                   sweep_result["layer"]), key="am_fig_sweep")
        st.caption(t("A big change means the text's predictions lean on that head here; a small "
                   "one does not prove the head is useless (others may do the same job)."))


# -------------------------------------------------------------- toy example
def reset_toy() -> None:
    toy = default_toy()
    for i in range(len(toy.tokens)):
        for f in range(len(FEATURES)):
            st.session_state[am_toy_key(i, f)] = float(toy.embeddings[i, f])


def toy_section() -> None:
    st.markdown(t("Five tokens with hand-made 4-number embeddings (features: {join}). "
                  "Fixed matrices W_q, W_k, W_v turn each embedding into a query, a key "
                  "and a value of 3 numbers. Drag the sliders and watch every row of the "
                  "attention weights stay a probability distribution.",
                  join=', '.join(t(f) for f in FEATURES)))
    example = default_toy()
    top = st.columns([1, 1, 3])
    causal = top[0].toggle(t("Causal mask"), key=AM_TOY_CAUSAL)
    top[1].button(t("Reset"), on_click=reset_toy, key=AM_TOY_RESET)
    low, high = EMBEDDING_RANGE
    cols = st.columns(len(example.tokens))
    for i, (col, token) in enumerate(zip(cols, example.tokens)):
        with col:
            st.markdown(f"**{t(token)}**")
            vector = []
            for f, feature in enumerate(FEATURES):
                key = am_toy_key(i, f)
                st.session_state.setdefault(key, float(example.embeddings[i, f]))
                vector.append(st.slider(t(feature), low, high, step=0.1, key=key))
        example = example.with_embedding(i, vector)
    toy = compute_toy(example, causal=causal)
    names = [t(token) for token in toy.tokens]

    def frame(matrix, columns):
        data = pd.DataFrame(matrix, columns=columns)
        data.insert(0, "token", names)
        return data

    st.markdown("**Q = X W_q**, **K = X W_k**, **V = X W_v**")
    qkv = pd.concat([frame(toy.queries, ["q1", "q2", "q3"]),
                     pd.DataFrame(toy.keys, columns=["k1", "k2", "k3"]),
                     pd.DataFrame(toy.values, columns=["v1", "v2", "v3"])], axis=1)
    table(qkv, "toy_qkv", "am_csv_toy_qkv")
    left, right = st.columns(2)
    with left:
        st.markdown(t("**Scores Q Kᵀ / √3** (masked cells are −∞)"))
        table(frame(toy.scaled + toy.mask, names), "toy_scores", "am_csv_toy_scores")
    with right:
        show_chart(st, viz_math.toy_weights_figure(toy), key="am_fig_toy")
    weights = frame(toy.weights, names)
    weights["row sum"] = toy.weights.sum(axis=1)
    st.markdown(t("**Weights = softmax of each row** (the last column is each row's sum)"))
    table(weights, "toy_weights", "am_csv_toy_weights")
    st.markdown(t("**Output = weights · V**: each token's new vector is a weighted average of the "
                "values"))
    table(frame(toy.output, ["out1", "out2", "out3"]), "toy_output", "am_csv_toy_output")
    with st.expander(t("The fixed projection matrices")):
        for name, matrix in (("W_q", example.w_q), ("W_k", example.w_k), ("W_v", example.w_v)):
            st.markdown(t("**{name}** (rows: {join})", name=name, join=', '.join(t(f) for f in FEATURES)))
            st.dataframe(pd.DataFrame(matrix, index=list(FEATURES)), width="content")


# ---------------------------------------------------------------------- page
st.title(f"🧮 {t('Attention math')}")
show_lesson("attention_math")
ARRIVED = AM_TEXT not in st.session_state  # a first visit, a shared link, or another page's text
url = url_state.PageURL("attention_math")  # ?family=…&model=…&text=…&layer=…&head=…&i=…&j=…
url.bind(url_state.choice("family", AM_FAMILY, "generate", list(FAMILIES), what="model family"))
url.bind(working_text.model_setting(st.session_state[AM_FAMILY]),
         working_text.text_setting(AM_TEXT, DEFAULT_TEXT))
family = st.radio(url.label("family", t("Model family")), list(FAMILIES),
                  format_func=lambda k: t(FAMILIES[k]), horizontal=True, key=AM_FAMILY,
                  disabled=url.locked("family"))
loaded = model_picker(family, purpose="inspect")
tabs = st.tabs([t("Cell math"), t("Positional encoding"), t("Ablation"), t("Toy example")])
if loaded is not None:
    with tabs[0]:
        cell_section(loaded)
    with tabs[1]:
        positional_section(loaded)
    with tabs[2]:
        ablation_section(loaded)
with tabs[3]:
    toy_section()
