"""The Streamlit internal that components/streamlit_internals.py sets, on the installed
Streamlit: an upgrade that renames or drops it fails here, by name."""

from __future__ import annotations


def test_route_through_navigation_switches_off_the_pages_directory_mode():
    from streamlit.runtime.pages_manager import PagesManager

    from components.streamlit_internals import route_through_navigation

    before = PagesManager.uses_pages_directory
    assert "uses_pages_directory" in vars(PagesManager)  # still a class attribute there
    try:
        PagesManager.uses_pages_directory = None
        route_through_navigation()
        assert PagesManager.uses_pages_directory is False
    finally:
        PagesManager.uses_pages_directory = before
