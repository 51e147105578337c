"""Home: what LM Lab is, and a link to every page."""

import streamlit as st

from components.i18n import t
from components.lessons import show_lesson
from components.navigation import PAGES, use_router

use_router()

st.title("🔬 " + t("LM Lab"))
st.markdown(
    t("**See how language models work by using real ones and looking inside them.** "
    "Every number on these pages comes from a real model running on this computer: "
    "the probabilities it gives each next token, the attention between words, the "
    "vectors that words become. Nothing here needs the internet: the default models "
    "are embedded, and the Hugging Face Hub models are used when it is reachable."))
show_lesson("home", expanded=True)

sections: dict[str, list] = {}
for info in PAGES:
    if info.path != "pages/home.py":
        sections.setdefault(info.section, []).append(info)
for section, infos in sections.items():
    st.subheader(t(section))
    cols = st.columns(min(3, len(infos)))
    for i, info in enumerate(infos):
        with cols[i % len(cols)].container(border=True):
            st.page_link(info.path, label=t(info.title), icon=info.icon)
            st.caption(t(info.blurb))
