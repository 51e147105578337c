"""The "Download CSV" button under a table or figure: the numbers behind it, one way everywhere."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.i18n import t


def csv_button(table: pd.DataFrame | list[dict], name: str, key: str,
               index_label: str | None = None) -> None:
    """Offer `table` (a DataFrame or row dicts) as `name`.csv; `index_label` keeps the index."""
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    data = frame.to_csv(index=index_label is not None, index_label=index_label)
    st.download_button(f"⬇ {t('Download CSV')}", data, file_name=f"{name}.csv",
                       mime="text/csv", key=key)
