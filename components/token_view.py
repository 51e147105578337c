"""Tokens coloured by probability, drawn with st.html (all token text escaped in lmlab)."""

from __future__ import annotations

import streamlit as st

from components.i18n import t

from lmlab.probability import TokenScore
from lmlab.viz.tokens import chips_page_html


def show_token_chips(tokens: list[TokenScore], prefix: str = "", legend: bool = True) -> None:
    if not tokens:
        st.caption(t("No tokens to colour."))
        return
    st.html(chips_page_html(tokens, prefix, legend))

