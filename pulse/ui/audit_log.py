"""The Audit page's parts: the audit trail with its filters and CSV download, and the access table. Admins only:
the page checks the role first (pulse.ui.access.require)."""

import polars as pl
import streamlit as st

from pulse import access as rules_of
from pulse.data import audit
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.ui import access
from pulse.ui.widgets import user_errors


def audit_rows(store: Store) -> pl.DataFrame:
    """Every audit row, newest first (read afresh: the trail is short, and an admin wants the last change now)."""
    with user_errors():
        loaded = load_dataset(store, audit.AUDIT_DATASET)
    return audit.read(loaded[0] if loaded else None)


def filtered_trail(rows: pl.DataFrame) -> pl.DataFrame:
    """The filters (actor, action, dataset, UTC dates) and the rows they leave, with a CSV download of them."""
    actor_col, action_col, dataset_col, dates_col = st.columns(4)
    actors = actor_col.multiselect("Actor", sorted(rows["actor"].unique()), key="audit-actor", placeholder="All")
    actions = action_col.multiselect("Action", sorted(rows["action"].unique()), key="audit-action", placeholder="All")
    datasets = dataset_col.multiselect(
        "Dataset", sorted(rows["dataset"].unique()), key="audit-dataset", placeholder="All"
    )
    first, last = rows["at"].min().date(), rows["at"].max().date()
    dates = dates_col.date_input("Dates (UTC)", (first, last), key="audit-dates")
    start, end = (tuple(dates) + (None, None))[:2] if isinstance(dates, tuple | list) else (dates, dates)
    shown = audit.filtered(rows, actors, actions, datasets, start, end)
    st.download_button(
        "Download CSV",
        audit.csv_bytes(shown),
        file_name="campaign-pulse-audit.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="download-audit",
    )
    return shown


def access_table() -> None:
    """The `[access]` rules as a table: who gets which role, and from what."""
    table = pl.DataFrame(rules_of.access_table(access.rules()), schema=["who", "rule", "role"], orient="row")
    st.dataframe(table, hide_index=True, key="access-table")
