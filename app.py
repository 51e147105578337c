"""LM Lab: the Streamlit entry point. A router plus the shared sidebar."""

from pathlib import Path

import streamlit as st

from components.navigation import PAGES, run_routed
from components.sidebar import shared_sidebar

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="LM Lab", page_icon="🔬", layout="wide")

sections: dict[str, list] = {}
for info in PAGES:
    sections.setdefault(info.section, []).append(
        st.Page(info.path, title=info.title, icon=info.icon, url_path=info.url_path,
                default=info.path == "pages/home.py"))

css = ROOT / "assets" / "css" / "app.css"
if css.is_file():
    st.html(f"<style>{css.read_text()}</style>")
page = st.navigation(sections)
shared_sidebar()
run_routed(page)
