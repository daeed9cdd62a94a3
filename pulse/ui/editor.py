"""The Data page's editing: the editor-key check, and the blocks that bring a file in, save or merge it, undo a
save and track a live Space."""

import math

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pulse.config import history_versions, time_zone
from pulse.data import ingest
from pulse.data.contract import EDITABLE
from pulse.data.store import Store
from pulse.errors import PulseError, ValidationError
from pulse.escape import markdown_text
from pulse.http import fetch_bytes
from pulse.keyguard import KeyGuard
from pulse.ui.columns import STORE_COLUMNS
from pulse.ui.labels import counted
from pulse.ui.session import view_upload
from pulse.ui.settings import author_ids_key, configured_x_token
from pulse.ui.widgets import user_errors
from pulse.watch import tracking
from pulse.watch.tracking import Trackers


@st.cache_resource(show_spinner=False)
def key_guard() -> KeyGuard:
    """The editor-key attempts of this server process, shared by every session (it locks itself)."""
    return KeyGuard.from_env()


def key_accepted(given: str | None, configured: str, nothing_was: str) -> bool:
    """Whether the typed editor key is the configured one, unless too many wrong ones came first; if not, say
    that nothing was `nothing_was`."""
    ctx = get_script_run_ctx()
    with user_errors():
        verdict = key_guard().attempt(ctx.session_id if ctx else "", given, configured)
    if verdict.accepted:
        return True
    if verdict.locked:
        reason = f"Too many wrong editor keys: saving is locked for {_duration(verdict.wait_s)}"
    elif verdict.wait_s and given:
        reason = f"That editor key is not right. Wait {_duration(verdict.wait_s)} before the next try"
    else:
        reason = "That editor key is not right"
    st.error(f"{reason}; nothing was {nothing_was}.", icon=":material/lock:")
    return False


def _duration(seconds: float) -> str:
    # To the millisecond first: a wait of (now + 600) - now on a large monotonic clock can come out as
    # 600.0000000001 s, which must read "10 min", not "11 min".
    seconds = round(seconds, 3)
    return f"{math.ceil(seconds / 60)} min" if seconds > 90 else f"{math.ceil(seconds)} s"


@st.cache_resource(show_spinner=False)
def trackers() -> Trackers:
    """The live Space trackers of this server process, shared by every session: change it through its methods only."""
    return Trackers()


def saved_message() -> None:
    """What the last save did, said once after the rerun that follows it."""
    if "data-saved" in st.session_state:
        st.success(st.session_state.pop("data-saved"), icon=":material/check_circle:")


def stored_datasets(store: Store) -> None:
    """Every stored dataset with its size, last save and earlier versions, and all of them as one zip."""
    # No server path here: a viewer has no use for it, and it tells an attacker how the server is laid out.
    st.caption(
        f"Days are cut in {time_zone()}. Every save keeps the previous version; "
        f"the last {history_versions()} versions of each dataset are kept."
    )
    with user_errors():
        # "–": never saved through the store (the bundled files, a file put there by hand).
        st.dataframe(ingest.stored_overview(store), hide_index=True, column_config=STORE_COLUMNS, placeholder="–")
        st.download_button(
            "Export all datasets (zip)",
            # Author ids as keyed hashes, as on every page and in every export; raw only where the deployment's
            # show_author_ids says so.
            lambda: ingest.zip_bytes(ingest.stored_tables(store, author_ids_key())),
            file_name="campaign-pulse-data.zip",
            mime="application/zip",
            icon=":material/folder_zip:",
            on_click="ignore",
            key="download-store-zip",
        )


def bring_data_in(store: Store, configured_key: str | None) -> None:
    """A file for one dataset, uploaded or fetched from a URL, then its review (see review_incoming)."""
    dataset = st.selectbox("Dataset", EDITABLE, key="data-dataset")
    upload_tab, url_tab = st.tabs(["Upload a file", "Fetch from a URL"])
    cap_mb = st.get_option("server.maxUploadSize")
    with upload_tab:
        uploaded = st.file_uploader(
            f"CSV, Parquet or Excel (up to {cap_mb} MB)", type=["csv", "parquet", "xlsx"], key=f"upload-{dataset}"
        )
        if uploaded is not None:
            st.session_state["incoming"] = (dataset, uploaded.name, uploaded.getvalue())
    with url_tab:
        url = st.text_input("URL of a CSV, Parquet or Excel file (http or https)", key="data-url")
        if st.button("Fetch", icon=":material/cloud_download:", key="data-fetch") and url:
            try:
                from_url = fetch_bytes(url, max_bytes=cap_mb * 1024 * 1024)
                st.session_state["incoming"] = (dataset, ingest.file_name_from_url(url), from_url)
            except PulseError as error:
                st.session_state.pop("incoming", None)
                st.error(markdown_text(error), icon=":material/cloud_off:")
    incoming = st.session_state.get("incoming")
    if incoming is not None and incoming[0] == dataset:
        review_incoming(*incoming, store=store, configured_key=configured_key)


def review_incoming(dataset: str, file: str, content: bytes, store: Store, configured_key: str | None) -> None:
    """Show the validation result of a file, then the ways to use it."""
    try:
        inspected = ingest.inspect(content, file, dataset)
    except ValidationError as error:
        if ingest.whole_file_problem(error):  # too large, unreadable: one sentence, shown whole at any width
            st.error(f"**{markdown_text(file)}** was not loaded.")
            st.text(error.problems[0].reason)
            return
        st.error(
            f"**{markdown_text(file)}** was not loaded: {counted(error.total, 'problem')}. "
            "Fix these rows and upload again."
        )
        st.dataframe(ingest.problems_table(error), hide_index=True, key="data-problems", placeholder="")
        return
    except PulseError as error:
        st.error(markdown_text(error))
        return
    st.success(f"**{markdown_text(file)}**: {inspected.frame.height:,} rows of {inspected.form}, all valid.")
    st.dataframe(inspected.frame.head(100), hide_index=True, key="data-preview")

    if st.button("View in my session only", key="data-session", help="Not saved: only you see it, until you leave"):
        view_upload(dataset, inspected.frame, inspected.contract)
        st.toast(f"Your pages now show your {dataset}; nobody else's do.")
    if configured_key is None:
        st.info("Saving is off: no editor key is configured (`editor_key` in .streamlit/secrets.toml).")
        return
    given = st.text_input("Editor key", type="password", key="data-editor-key")
    replace_col, merge_col = st.columns(2)
    replace_clicked = replace_col.button("Replace", type="primary", key="data-replace")
    merge_clicked = merge_col.button("Merge", key="data-merge")
    if not (replace_clicked or merge_clicked) or not key_accepted(given, configured_key, "saved"):
        return
    with user_errors():
        if replace_clicked:
            ingest.replace(store, inspected)
            done = f"Replaced {dataset} with {inspected.frame.height:,} rows. Undo is below."
        else:
            summary = ingest.merge(store, inspected, time_zone())
            done = (
                f"Merged into {dataset}: {summary.added:,} added, {summary.updated:,} updated, "
                f"{summary.unchanged:,} unchanged."
            )
    st.session_state.pop("incoming", None)
    st.session_state["data-saved"] = done
    st.rerun()


def undo_a_save(store: Store, configured_key: str | None) -> None:
    """Put back the version of a dataset saved before its last save."""
    undo_dataset = st.selectbox("Dataset to restore", EDITABLE, key="data-undo-dataset")
    versions = store.history(undo_dataset)
    earlier = f"{counted(len(versions), 'earlier version')} of {undo_dataset}." if versions else "No earlier versions."
    st.caption(earlier)
    if versions and configured_key is not None:
        undo_key = st.text_input("Editor key", type="password", key="data-undo-key")
        if st.button(f"Undo the last save of {undo_dataset}", key="data-undo") and key_accepted(
            undo_key, configured_key, "changed"
        ):
            with user_errors():
                store.undo(undo_dataset)
            st.session_state["data-saved"] = f"Restored the version of {undo_dataset} saved before the last save."
            st.rerun()


def track_a_space(store: Store, configured_key: str | None) -> None:
    """Start or stop polling a live Space's listener count (needs the editor key and an X API token)."""
    st.caption(
        "Polls a live Space's listener count until it ends and stores each sample in `space_samples`; a Space "
        "with no stored peak or average listeners gets them from these samples. Tracking runs on the server, so "
        "it goes on after you leave this page (or run `python -m pulse track-space ID`)."
    )
    x_token = configured_x_token()
    if configured_key is None or x_token is None:
        st.info(
            "Tracking is off: it needs the editor key and an X API bearer token "
            "(`x_bearer_token` in .streamlit/secrets.toml or X_BEARER_TOKEN).",
            icon=":material/sensors_off:",
        )
    else:
        id_col, every_col = st.columns([3, 1])
        track_id = id_col.text_input("Space id or link", key="track-space-id", placeholder="https://x.com/i/spaces/…")
        every = every_col.number_input(
            "Every (seconds)",
            min_value=int(tracking.MIN_INTERVAL_S),
            max_value=600,
            value=30,
            step=5,
            key="track-every",
        )
        track_key = st.text_input("Editor key", type="password", key="track-editor-key")
        start_col, stop_col = st.columns(2)
        start = start_col.button("Start tracking", type="primary", icon=":material/play_arrow:", key="track-start")
        stop = stop_col.button("Stop tracking", icon=":material/stop:", key="track-stop")
        if (start or stop) and key_accepted(track_key, configured_key, "started or stopped"):
            try:
                if start:
                    store.check_writable()  # here, not at the first sample in the tracker's thread
                    trackers().start(track_id, every, x_token, Store(store.root).append_samples)
                elif not trackers().stop(track_id):
                    st.info(f"Space {markdown_text(track_id.strip())} is not being tracked.")
            except PulseError as error:
                st.error(markdown_text(error), icon=":material/error:")


def tracker_status() -> None:
    """The tracked Spaces and how each is doing, refreshed every 5 s while one is running."""
    # Made a fragment on every run, as the page did: whether it refreshes depends on the trackers now.
    running = any(s.running for s in trackers().statuses())
    st.fragment(run_every=5 if running else None)(_tracker_table)()


def _tracker_table() -> None:
    statuses = trackers().statuses()
    if statuses:
        st.dataframe(tracking.status_table(statuses), hide_index=True, key="track-status")
    else:
        st.caption("No Space is being tracked.")
