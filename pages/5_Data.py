"""Data: bring your own files in (upload or URL), check them, then save, merge, undo or export."""

import streamlit as st

from pulse.config import data_dir
from pulse.data.store import Store
from pulse.ui import access, editor, session, settings

session.setup_page("Data")
st.title("Data")
store = Store(data_dir())
configured_key = settings.configured_editor_key()
editor.saved_message()

st.subheader("Stored datasets")
editor.stored_datasets(store)

# A viewer (sign-in on) gets the reads only: no control that changes anything is drawn. Each write path checks the
# role again on the server before it runs (pulse.ui.editor).
if access.may_change():
    st.subheader("Bring data in")
    editor.bring_data_in(store, configured_key)

    st.subheader("Undo a save")
    editor.undo_a_save(store, configured_key)

    st.subheader("Track a live Space")
    editor.track_a_space(store, configured_key)

    st.subheader("Track a live stream")
    editor.track_a_stream(store, configured_key)
editor.tracker_status()
