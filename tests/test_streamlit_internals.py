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


def test_every_page_url_is_its_file_name():
    """A deep link opened first on a fresh server is looked up among the pages/ files."""
    from pathlib import Path

    from components.navigation import PAGES

    for info in PAGES:
        if info.url_path is not None:
            assert info.url_path == Path(info.path).stem, info
