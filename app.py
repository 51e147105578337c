"""LM Lab: the Streamlit entry point. A router plus the shared sidebar."""

from pathlib import Path

import streamlit as st

from components.i18n import t
from components.navigation import PAGES, run_routed
from components.quiz import begin_run as begin_quiz, show_quiz
from components.presenter import (keep_classroom_flags, presenter_css, presenter_toggle,
                                  read_classroom_flags, share_box)
from components.sidebar import shared_sidebar
from components.wire_repair import install_surrogate_repair
from lmlab.logs import setup_logging

ROOT = Path(__file__).resolve().parent
setup_logging()  # LMLAB_LOG_LEVEL; idempotent, so every rerun of this script may call it
install_surrogate_repair()  # a lone surrogate typed in a browser must not freeze its session

# A teacher's link may ask for presenter mode (?present=1): the sidebar starts folded.
presenting = read_classroom_flags()
st.set_page_config(page_title="LM Lab", page_icon="🔬", layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")

sections: dict[str, list] = {}
page_names: list[tuple[object, str]] = []  # (st.Page, quiz name)
for info in PAGES:
    entry = st.Page(info.path, title=t(info.title), icon=info.icon, url_path=info.url_path,
                    default=info.path == "pages/home.py")
    sections.setdefault(t(info.section), []).append(entry)
    page_names.append((entry, Path(info.path).stem))

css = ROOT / "assets" / "css" / "app.css"
if css.is_file():
    st.html(f"<style>{css.read_text()}</style>")
presenter_css()
page = st.navigation(sections)
shared_sidebar()
with st.sidebar:
    presenter_toggle()
keep_classroom_flags()
share = st.sidebar.container()
begin_quiz()
try:
    run_routed(page)
    show_quiz(next((name for entry, name in page_names if entry is page), ""))
finally:  # after the page has written its settings to the link (also after st.stop)
    with share:
        share_box()
