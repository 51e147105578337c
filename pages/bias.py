"""Bias probe: pronoun probabilities after occupation templates, the GloVe gender
direction, and WEAT effect sizes on GloVe."""

import pandas as pd
import streamlit as st

from components import url_state, working_text
from components.downloads import csv_button
from components.errors import shown_errors
from components.i18n import labels as figure_texts, t, tm
from components.lessons import show_lesson
from components.memo import session_memo
from components.model_cache import load_model
from components.navigation import use_router
from components.presenter import show_chart
from components.quiz import offer
from components.sidebar import model_picker
from lmlab import bias
from lmlab.quiz_applications import most_she_leaning
from lmlab.viz.applications import paired_bars, projection_strip
from lmlab.viz.common import safe_texts

# This page's widget and session keys (keys shared between pages live in components.state).
BIAS_TEMPLATE = "bias_template"
BIAS_OCCUPATIONS = "bias_occupations"
BIAS_METHOD = "bias_method"
BIAS_PROJECT_WORDS = "bias_project_words"
BIAS_WEAT_TEST = "bias_weat_test"
BIAS_OTHER_TEMPLATE = "bias_other_template"

use_router()

METHODS = {"pca": "PCA of 10 definitional pairs (Bolukbasi et al.)", "difference": "she − he"}
MAX_WORD_CHARS = bias.MAX_WORDS * 40  # the longest word list lmlab.bias.parse_words takes


def bind_settings(tests: list[dict]) -> url_state.PageURL:
    """?model=…&template=…&occupations=…&direction=…&words=…&weat=…: the view a link opens."""
    url = url_state.PageURL("bias")
    url.bind(working_text.model_setting("generate"),
             url_state.checked(url_state.text("template", BIAS_TEMPLATE, bias.TEMPLATES[0],
                                              max_chars=bias.MAX_TEMPLATE_CHARS, what="template"),
                               bias.check_template, what="template"),
             url_state.text("occupations", BIAS_OCCUPATIONS, ", ".join(bias.OCCUPATIONS[:16]),
                            max_chars=MAX_WORD_CHARS, what="occupations"),
             url_state.choice("direction", BIAS_METHOD, "pca", list(METHODS),
                              what="gender direction"),
             url_state.text("words", BIAS_PROJECT_WORDS, ", ".join(bias.OCCUPATIONS),
                            max_chars=MAX_WORD_CHARS, what="words to project"),
             url_state.number("weat", BIAS_WEAT_TEST, 0, low=0, high=len(tests) - 1,
                              what="WEAT test"))
    return url


def _table(frame: pd.DataFrame, name: str) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")
    csv_button(frame, name, f"bias_{name}_csv")


def use_template(template: str) -> None:
    st.session_state[BIAS_TEMPLATE] = template


def template_input(url: url_state.PageURL) -> str:
    """The template as text (it is what the model reads), with the other one a click away."""
    template = st.text_input(url.label("template", t("Template")),
                             **url.kw("template", help=t(
                                 "The sentence the model reads, with {slot} where each "
                                 "occupation goes.", slot="`{occupation}`")))
    other = next((x for x in bias.TEMPLATES if x != template), None)
    if other:
        note, button = st.columns([4, 1])
        note.caption(t("Another template to try: {example}", example=f"`{other}`"))
        button.button(t("Use this template"), key=BIAS_OTHER_TEMPLATE, on_click=use_template,
                      args=(other,), disabled=url.locked("template"))
    return template


def pronoun_tab(url: url_state.PageURL, loaded) -> None:
    st.caption(t("The same sentence with only the occupation changed: the bars are the "
                 "model's probabilities for “he” and for “she” as the next word."))
    template = template_input(url)
    occupations = st.text_area(url.label("occupations", t("Occupations")), height=90,
                               **url.kw("occupations"))
    if loaded is None:
        return
    with shown_errors():
        rows = session_memo("bias_pronouns", (loaded.spec.id, template, occupations),
                            lambda: bias.pronoun_probabilities(loaded, template, occupations))
        quiz = most_she_leaning([r.occupation for r in rows], [r.log2_ratio for r in rows])
        if quiz is not None:  # the end-of-page quiz, from these probabilities
            offer(quiz)
        title = t("{model}: “{template}” + he / she", model=loaded.spec.name,
                  template=safe_texts([template])[0])
        show_chart(st, paired_bars([r.occupation for r in rows], [r.first for r in rows],
                                   [r.second for r in rows], ("P(he)", "P(she)"), title,
                                   texts=figure_texts()),
                   width="stretch", key="bias_pronoun_chart")
        _table(pd.DataFrame([(r.prompt, r.first, r.second, round(r.log2_ratio, 3)) for r in rows],
                            columns=[t("prompt"), "P(he)", "P(she)", "log2 P(he)/P(she)"]),
               "pronouns")


def direction_tab(url: url_state.PageURL, vectors) -> None:
    method = st.radio(url.label("direction", t("Gender direction")), list(METHODS),
                      horizontal=True, format_func=lambda k: t(METHODS[k]),
                      **url.kw("direction"))
    words = st.text_area(url.label("words", t("Words to project")), height=90,
                         **url.kw("words"))
    with shown_errors():
        direction = bias.gender_direction(vectors, method)
        values = bias.project(vectors, words, direction, "The list of words to project")
        names = bias.parse_words(words, "The list of words to project")
        if direction.explained is not None:
            st.caption(t("The first component explains {share} of the variance of the centred "
                         "pairs.", share=f"{direction.explained:.0%}"))
        show_chart(st, projection_strip(names, values, t("GloVe: words on the {method} axis",
                                                         method=tm(direction.method)),
                                        t("he side"), t("she side"), texts=figure_texts()),
                   width="stretch", key="bias_direction_chart")
        _table(pd.DataFrame({t("word"): names, t("cosine with the direction"): values}),
               "direction")


def weat_tab(url: url_state.PageURL, vectors, tests: list[dict]) -> None:
    index = st.selectbox(url.label("weat", t("Word sets (Caliskan et al., 2017)")),
                         range(len(tests)), format_func=lambda i: t(tests[i]["name"]),
                         **url.kw("weat"))
    test = tests[index]
    cols = st.columns(4)
    sets = [cols[i].text_area(t(test[f"{k}_name"]), ", ".join(test[k]), height=150,
                              key=f"bias_weat_{k}_{index}")
            for i, k in enumerate("xyab")]
    published = sets == [", ".join(test[k]) for k in "xyab"]
    with shown_errors():
        result = bias.weat(vectors, *sets, names=tuple(f"The set “{test[f'{k}_name']}”"
                                                       for k in "xyab"), skip_unknown=published)
        c1, c2, c3 = st.columns(3)
        c1.metric(t("Effect size d"), f"{result.effect_size:.2f}",
                  t("published (GloVe 840B): {d}", d=f"{test['published_d']:.2f}"),
                  delta_color="off", delta_arrow="off")
        c2.metric(t("Test statistic S"), f"{result.statistic:.3f}")
        p = "< 0.0001" if result.p_value == 0 else f"{result.p_value:.4f}"
        c3.metric(t("p (permutation test)"), p,
                  t("{n} re-partitions", n=f"{result.permutations:,}"), delta_color="off",
                  delta_arrow="off")
        if result.dropped:
            st.caption(t("Not in GloVe 6B and left out: {words}", words=", ".join(result.dropped)))
        words = [w for w in bias.parse_words(sets[0], "x") + bias.parse_words(sets[1], "y")
                 if w not in result.dropped]
        _table(pd.DataFrame({t("word"): words, "s(w, A, B)": result.x_scores + result.y_scores}),
               "weat")


st.title(f"⚖️ {t('Bias probe')}")
show_lesson("bias")
word_sets = bias.word_sets()
url = bind_settings(word_sets)
lm_tab, direction, weat = st.tabs([t("Language model: he / she"), t("GloVe gender direction"),
                                   t("WEAT on GloVe")])
with lm_tab:
    pronoun_tab(url, model_picker("generate"))
glove = load_model("glove-6B-50d")
if glove is not None:
    with direction:
        direction_tab(url, glove.model)
    with weat:
        weat_tab(url, glove.model, word_sets)
