"""The one place LM Lab reaches into Streamlit's internals.

A folder named pages/ makes Streamlit treat the app as an old-style multipage app
until app.py has called st.navigation once in the server process; Streamlit has no
public setting for "this app routes with st.navigation". A page opened by a deep
link before that (a teacher's /attention link on a freshly started Space) would run
alone, without the menu and sidebar. tests/test_streamlit_internals.py checks the
attribute on the installed Streamlit, so an upgrade that renames it fails there.
"""

from __future__ import annotations


def route_through_navigation() -> None:
    """Switch this server process to st.navigation routing (what app.py's first run does)."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
