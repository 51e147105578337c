"""Bias probe: pronoun probabilities after occupation templates, the GloVe gender
direction, and WEAT effect sizes on GloVe."""

import pandas as pd
import streamlit as st

from components.errors import shown_errors
from components.i18n import t
from components.lessons import show_lesson
from components.memo import session_memo
from components.model_cache import load_model
from components.navigation import use_router
from components.sidebar import model_picker
from lmlab import bias
from lmlab.viz.applications import paired_bars, projection_strip

# This page's widget and session keys (keys shared between pages live in components.state).
BIAS_TEMPLATE = "bias_template"
BIAS_OCCUPATIONS = "bias_occupations"
BIAS_METHOD = "bias_method"
BIAS_PROJECT_WORDS = "bias_project_words"
BIAS_WEAT_TEST = "bias_weat_test"

use_router()


def _table(frame: pd.DataFrame, name: str) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")
    st.download_button(t("Download CSV"), frame.to_csv(index=False), f"{name}.csv", "text/csv",
                       key=f"bias_{name}_csv")


def pronoun_tab(loaded) -> None:
    st.caption(t("The same sentence with only the occupation changed: the bars are the "
                 "model's probabilities for “he” and for “she” as the next word."))
    template = st.selectbox(t("Template"), bias.TEMPLATES, key=BIAS_TEMPLATE,
                            accept_new_options=True)
    occupations = st.text_area(t("Occupations"), ", ".join(bias.OCCUPATIONS[:16]),
                               key=BIAS_OCCUPATIONS, height=90)
    if loaded is None:
        return
    with shown_errors():
        rows = session_memo("bias_pronouns", (loaded.spec.id, template, occupations),
                            lambda: bias.pronoun_probabilities(loaded, template, occupations))
        st.plotly_chart(paired_bars([r.occupation for r in rows], [r.first for r in rows],
                                    [r.second for r in rows], ("P(he)", "P(she)"),
                                    f"{loaded.spec.name}: “{template}” + he / she"),
                        width="stretch", key="bias_pronoun_chart")
        _table(pd.DataFrame([(r.prompt, r.first, r.second, round(r.log2_ratio, 3)) for r in rows],
                            columns=["prompt", "P(he)", "P(she)", "log2 P(he)/P(she)"]),
               "pronouns")


def direction_tab(vectors) -> None:
    method = st.radio(t("Gender direction"), ["pca", "difference"], horizontal=True,
                      key=BIAS_METHOD, format_func={
                          "pca": "PCA of 10 definitional pairs (Bolukbasi et al.)",
                          "difference": "she − he"}.get)
    words = st.text_area(t("Words to project"), ", ".join(bias.OCCUPATIONS), height=90,
                         key=BIAS_PROJECT_WORDS)
    with shown_errors():
        direction = bias.gender_direction(vectors, method)
        values = bias.project(vectors, words, direction, "The words to project")
        names = bias.parse_words(words, "The words to project")
        if direction.explained is not None:
            st.caption(t("The first component explains {share} of the variance of the centred "
                         "pairs.", share=f"{direction.explained:.0%}"))
        st.plotly_chart(projection_strip(names, values, f"GloVe: words on the {direction.method} "
                                         "axis", "he side", "she side"),
                        width="stretch", key="bias_direction_chart")
        _table(pd.DataFrame({"word": names, "cosine with the direction": values}), "direction")


def weat_tab(vectors) -> None:
    tests = bias.word_sets()
    name = st.selectbox(t("Word sets (Caliskan et al., 2017)"), [w["name"] for w in tests],
                        key=BIAS_WEAT_TEST)
    test = next(w for w in tests if w["name"] == name)
    cols = st.columns(4)
    sets = [cols[i].text_area(test[f"{k}_name"], ", ".join(test[k]), height=150,
                              key=f"bias_weat_{k}_{tests.index(test)}")
            for i, k in enumerate("xyab")]
    published = sets == [", ".join(test[k]) for k in "xyab"]
    with shown_errors():
        result = bias.weat(vectors, *sets, names=tuple(f"The set “{test[f'{k}_name']}”"
                                                       for k in "xyab"), skip_unknown=published)
        c1, c2, c3 = st.columns(3)
        c1.metric(t("Effect size d"), f"{result.effect_size:.2f}",
                  f"published (GloVe 840B): {test['published_d']:.2f}", delta_color="off")
        c2.metric(t("Test statistic S"), f"{result.statistic:.3f}")
        p = "< 0.0001" if result.p_value == 0 else f"{result.p_value:.4f}"
        c3.metric(t("p (permutation test)"), p, f"{result.permutations:,} re-partitions",
                  delta_color="off")
        if result.dropped:
            st.caption(t("Not in GloVe 6B and left out: {words}", words=", ".join(result.dropped)))
        words = [w for w in bias.parse_words(sets[0], "x") + bias.parse_words(sets[1], "y")
                 if w not in result.dropped]
        _table(pd.DataFrame({"word": words, "s(w, A, B)": result.x_scores + result.y_scores}),
               "weat")


st.title(f"⚖️ {t('Bias probe')}")
show_lesson("bias")
lm_tab, direction, weat = st.tabs([t("Language model: he / she"), t("GloVe gender direction"),
                                   t("WEAT on GloVe")])
with lm_tab:
    pronoun_tab(model_picker("generate"))
glove = load_model("glove-6B-50d")
if glove is not None:
    with direction:
        direction_tab(glove.model)
    with weat:
        weat_tab(glove.model)
