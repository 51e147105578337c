"""The "Download CSV" button under a table or figure: the numbers behind it, one way everywhere."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.i18n import t


def csv_button(table: pd.DataFrame | list[dict], name: str, key: str,
               index_label: str | None = None, what: str | None = None) -> None:
    """Offer `table` (a DataFrame or row dicts) as `name`.csv; `index_label` keeps the index;
    `what` (translated) names the table where two buttons stand together."""
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    data = frame.to_csv(index=index_label is not None, index_label=index_label)
    label = f"⬇ {t('Download CSV')}" + (f" · {what}" if what else "")
    st.download_button(label, data, file_name=f"{name}.csv", mime="text/csv", key=key)
