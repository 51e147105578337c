"""Where generated text comes from: a sidebar line, and a caption on inspection views.

With LMLAB_ENGINE_URL set, chat and text generation stream from that server while
attention, the lens and the math views keep looking inside the copy of the model
on this machine (a server only returns tokens); both are said where they happen.
"""

from __future__ import annotations

import streamlit as st

from components.i18n import t
from lmlab.external_engine import generation_source


def _code(text: str) -> str:
    """Text as a markdown code span: no links, emphasis or HTML from a server's answer."""
    return "`" + text.replace("`", "'") + "`"


def show_text_source() -> None:
    """'Text from: llama.cpp server at http://… (model …)' or 'this machine'; and why, if a
    configured server is not answering."""
    source = generation_source()
    st.caption(f"{t('Text from')}: {_code(source.label)}")
    if source.notice:
        st.warning(source.notice, icon="⚠️")


def local_copy_caption() -> None:
    """One line on a view that looks inside the model, when generation is served elsewhere."""
    source = generation_source()
    if source.external:
        st.caption(f"🔍 {t('This view looks inside the copy of the model on this machine')}; "
                   f"{t('chat and text generation come from')} {_code(source.label)}.")
