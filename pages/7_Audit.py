"""Audit: every change to the store, newest first (who, what, which dataset, how many rows, from what), and who
has which role. Admins only."""

import streamlit as st

from pulse.access import ADMIN
from pulse.config import data_dir
from pulse.data.store import Store
from pulse.ui import audit_log, session

session.setup_page("Audit", needed=ADMIN)
st.title("Audit")
st.caption(
    "Every change to the store, newest first: replace, merge, undo, tracking, `fetch-x` and the watcher's cycles. "
    "Times are UTC. Nobody can edit or delete a row; `python -m pulse audit` prints the same trail."
)

rows = audit_log.audit_rows(Store(data_dir()))
if rows.is_empty():
    st.info("Nothing has been changed yet.", icon=":material/history:")
else:
    shown = audit_log.filtered_trail(rows)
    st.caption(f"{shown.height:,} of {rows.height:,} changes.")
    st.dataframe(shown, hide_index=True, key="audit-trail")

st.subheader("Who has access")
st.caption(
    "From `[access]` in .streamlit/secrets.toml; the most specific rule wins, and a role from the ID token "
    "counts when it is higher."
)
audit_log.access_table()
