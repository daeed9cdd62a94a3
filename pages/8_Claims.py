"""Claims: every public number a party or the press stated, set beside what the data measured as of the claim."""

import streamlit as st

from pulse.charts.claims import claimed_vs_measured
from pulse.config import data_dir
from pulse.data.store import Store
from pulse.ui import access, claims, editor, session, settings, widgets

session.setup_page("Claims")
st.title("Claims")
st.caption(
    "Each number a party or the press stated, checked against what the data measured when it was said: "
    "which claims survive a fact-check."
)
editor.saved_message()

data, filters, _ = session.page_data()
ledger = session.claims_ledger(data)

if ledger.is_empty():
    widgets.empty_state("No claims are stored yet. Add one below, or upload a claims file on the Data page.")
else:
    shown = claims.filtered(ledger, filters)
    claims.summary(shown)
    if shown.is_empty():
        widgets.empty_state("No claim matches these filters.")
    else:
        widgets.chart(claimed_vs_measured(shown, data.colors), "claims_chart", None)
        st.caption(
            "Hollow: what was claimed. Filled: what the data measured as of the claim, in the party's colour. "
            "The line between them is the verdict's colour."
        )
        st.subheader("The ledger")
        claims.cards(shown, data)
        st.subheader("Every claim")
        widgets.table(claims.table_order(shown), "claims", data.tz, columns=claims.COLUMNS)
    claims.explanation()

# A viewer (sign-in on) gets no form; the write checks the role (or the editor key) again on the server.
if access.may_change():
    st.subheader("Add a claim")
    claims.add_claim_form(Store(data_dir()), settings.configured_editor_key())
widgets.how_computed()
