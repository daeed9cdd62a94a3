"""The Data page's editing: who may change the data, and the blocks that bring a file in, save or merge it, undo a
save and track a live Space or a live YouTube stream.

Each write path checks, on the server and just before it runs, that the visitor may change the data: with sign-in
on (secrets.toml's `[auth]`), that their role is editor or admin now, and the editor key is not accepted; without it,
the editor key, as before. Hiding a button is not the check: a session can send any widget's event.
"""

import math
from urllib.parse import urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pulse.config import history_versions, time_zone
from pulse.connectors.youtube_frames import Video, streams_frame
from pulse.data import ingest
from pulse.data.audit import Actor
from pulse.data.contract import EDITABLE
from pulse.data.store import Store
from pulse.errors import PulseError, ValidationError
from pulse.escape import markdown_text
from pulse.http import fetch_bytes
from pulse.keyguard import KeyGuard
from pulse.ui import access
from pulse.ui.columns import STORE_COLUMNS
from pulse.ui.labels import counted
from pulse.ui.session import view_upload
from pulse.ui.settings import author_ids_key, configured_x_token, configured_youtube_key
from pulse.ui.widgets import user_errors
from pulse.watch import tracking
from pulse.watch.tracking import Trackers


@st.cache_resource(show_spinner=False)
def key_guard() -> KeyGuard:
    """The editor-key attempts of this server process, shared by every session (it locks itself)."""
    return KeyGuard.from_env()


def key_accepted(given: str | None, configured: str, nothing_was: str) -> bool:
    """Whether the typed editor key is the configured one, unless too many wrong ones came first; if not, say
    that nothing was `nothing_was`. Never with sign-in on: no shared secret goes around the roles."""
    if access.sign_in_on():
        st.error(f"The editor key is not accepted when sign-in is on; nothing was {nothing_was}.")
        return False
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


def writer(given_key: str | None, configured_key: str | None, nothing_was: str) -> Actor | None:
    """Who makes a save, an undo or a tracker change, checked now: an editor or admin with sign-in on; the editor
    key's holder without it. None (and the reason shown) when the change must not run."""
    if access.sign_in_on():
        return access.change_allowed(nothing_was)
    if configured_key is None:
        st.error(f"No editor key is configured, so nothing may be changed; nothing was {nothing_was}.")
        return None
    return access.EDITOR_KEY_ACTOR if key_accepted(given_key, configured_key, nothing_was) else None


def may_bring_in(nothing_was: str) -> bool:
    """Whether this visitor may upload or fetch a file into their session: anyone with sign-in off (as ever), an
    editor or admin with it on."""
    return not access.sign_in_on() or access.change_allowed(nothing_was) is not None


def _key_field(key: str) -> str | None:
    """The editor key's field, without sign-in only (with it, the role decides and no key is asked)."""
    return None if access.sign_in_on() else st.text_input("Editor key", type="password", key=key)


@st.cache_resource(show_spinner=False)
def trackers() -> Trackers:
    """The live Space trackers of this server process, shared by every session: change it through its methods only."""
    return Trackers()


@st.cache_resource(show_spinner=False)
def stream_trackers() -> Trackers:
    """The live stream trackers of this server process, shared like the Space trackers."""
    return Trackers(subject=tracking.STREAM)


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
        if uploaded is not None and may_bring_in("uploaded"):
            st.session_state["incoming"] = (dataset, uploaded.name, uploaded.getvalue(), uploaded.name)
    with url_tab:
        url = st.text_input("URL of a CSV, Parquet or Excel file (http or https)", key="data-url")
        if st.button("Fetch", icon=":material/cloud_download:", key="data-fetch") and url:
            fetch_url(dataset, url, cap_mb)
    incoming = st.session_state.get("incoming")
    if incoming is not None and incoming[0] == dataset:
        review_incoming(*incoming, store=store, configured_key=configured_key)


def fetch_url(dataset: str, url: str, cap_mb: int) -> None:
    """Fetch a file from `url` into this session for review (no request at all for a visitor who may not)."""
    st.session_state.pop("incoming", None)
    if not may_bring_in("fetched"):
        return
    try:
        from_url = fetch_bytes(url, max_bytes=cap_mb * 1024 * 1024)
        host = urlsplit(url).hostname or ""
        st.session_state["incoming"] = (dataset, ingest.file_name_from_url(url), from_url, host)
    except PulseError as error:
        st.error(markdown_text(error), icon=":material/cloud_off:")


def review_incoming(
    dataset: str, file: str, content: bytes, source: str, store: Store, configured_key: str | None
) -> None:
    """Show the validation result of a file, then the ways to use it."""
    try:
        inspected = ingest.inspect(content, file, dataset, source)
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
        view_in_session(inspected)
    if configured_key is None and not access.sign_in_on():
        st.info("Saving is off: no editor key is configured (`editor_key` in .streamlit/secrets.toml).")
        return
    given = _key_field("data-editor-key")
    replace_col, merge_col = st.columns(2)
    replace_clicked = replace_col.button("Replace", type="primary", key="data-replace")
    merge_clicked = merge_col.button("Merge", key="data-merge")
    if replace_clicked or merge_clicked:
        done = save_incoming(store, inspected, "replace" if replace_clicked else "merge", given, configured_key)
        if done is not None:
            st.session_state.pop("incoming", None)
            st.session_state["data-saved"] = done
            st.rerun()


def view_in_session(inspected: ingest.Inspected) -> None:
    """Show this session's pages an inspected file in place of the stored dataset, if this visitor may."""
    if may_bring_in("shown in your session"):
        view_upload(inspected.dataset, inspected.frame, inspected.contract)
        st.toast(f"Your pages now show your {inspected.dataset}; nobody else's do.")


def save_incoming(
    store: Store, inspected: ingest.Inspected, how: str, given_key: str | None, configured_key: str | None
) -> str | None:
    """Replace or merge (`how`) an inspected file into the store, audited as this visitor's change, once the
    change is allowed; what was done, or None when it was refused or failed (and said so)."""
    actor = writer(given_key, configured_key, "saved")
    if actor is None:
        return None
    store = Store(store.root, store.allow_sample, actor)
    dataset = inspected.dataset
    with user_errors():
        if how == "replace":
            ingest.replace(store, inspected)
            return f"Replaced {dataset} with {inspected.frame.height:,} rows. Undo is below."
        summary = ingest.merge(store, inspected, time_zone())
        return (
            f"Merged into {dataset}: {summary.added:,} added, {summary.updated:,} updated, "
            f"{summary.unchanged:,} unchanged."
        )


def undo_a_save(store: Store, configured_key: str | None) -> None:
    """Put back the version of a dataset saved before its last save."""
    undo_dataset = st.selectbox("Dataset to restore", EDITABLE, key="data-undo-dataset")
    versions = store.history(undo_dataset)
    earlier = f"{counted(len(versions), 'earlier version')} of {undo_dataset}." if versions else "No earlier versions."
    st.caption(earlier)
    if versions and (configured_key is not None or access.sign_in_on()):
        undo_key = _key_field("data-undo-key")
        if st.button(f"Undo the last save of {undo_dataset}", key="data-undo") and undo_last_save(
            store, undo_dataset, undo_key, configured_key
        ):
            st.session_state["data-saved"] = f"Restored the version of {undo_dataset} saved before the last save."
            st.rerun()


def undo_last_save(store: Store, dataset: str, given_key: str | None, configured_key: str | None) -> bool:
    """Undo the last save of `dataset`, audited as this visitor's change, once the change is allowed."""
    actor = writer(given_key, configured_key, "changed")
    if actor is None:
        return False
    with user_errors():
        Store(store.root, store.allow_sample, actor).undo(dataset)
    return True


def track_a_space(store: Store, configured_key: str | None) -> None:
    """Start or stop polling a live Space's listener count (needs the editor key and an X API token)."""
    st.caption(
        "Polls a live Space's listener count until it ends and stores each sample in `space_samples`; a Space "
        "with no stored peak or average listeners gets them from these samples. Tracking runs on the server, so "
        "it goes on after you leave this page (or run `python -m pulse track-space ID`)."
    )
    x_token = configured_x_token()
    if (configured_key is None and not access.sign_in_on()) or x_token is None:
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
        track_key = _key_field("track-editor-key")
        start_col, stop_col = st.columns(2)
        start = start_col.button("Start tracking", type="primary", icon=":material/play_arrow:", key="track-start")
        stop = stop_col.button("Stop tracking", icon=":material/stop:", key="track-stop")
        if start or stop:
            change_tracking(store, "start" if start else "stop", track_id, every, x_token, track_key, configured_key)


def change_tracking(
    store: Store,
    how: str,
    track_id: str,
    every: float,
    credential: str,
    given_key: str | None,
    configured_key: str | None,
    party: str | None = None,
) -> None:
    """Start or stop (`how`) tracking a Space (or, given its `party`, a YouTube stream), audited as this visitor's
    change, once the change is allowed."""
    actor = writer(given_key, configured_key, "started or stopped")
    if actor is None:
        return
    audited = Store(store.root, store.allow_sample, actor)
    registry, dataset = (trackers(), "space_samples") if party is None else (stream_trackers(), "stream_samples")
    try:
        if how == "start":
            store.check_writable()  # here, not at the first sample in the tracker's thread
            if party is None:
                started = registry.start(track_id, every, credential, Store(store.root).append_samples)
            else:
                started = _start_stream(audited, track_id, every, credential, party)
            audited.record("track-start", dataset, started.subject_id)
        elif registry.stop(track_id):
            audited.record("track-stop", dataset, registry.subject.id_from(track_id))
        else:
            what = registry.subject.name.capitalize()
            st.info(f"{what} {markdown_text(track_id.strip())} is not being tracked.")
    except PulseError as error:
        st.error(markdown_text(error), icon=":material/error:")


def _start_stream(audited: Store, track_id: str, every: float, key: str, party: str) -> tracking.TrackerStatus:
    """A stream tracker whose thread stores the stream when it first sees it, each sample, and its end with peak and
    average (through pulse.data.ingest, audited as this visitor's change)."""
    party = party.strip()
    if not party:
        raise PulseError("say whose stream it is: a party code (e.g. PTI)")
    tz = time_zone()

    def stored(video: Video) -> None:
        ingest.merge_fetched_streams(audited, streams_frame([video], party), tz, "Data page stream tracker")

    def sample(stream_id, at, viewers) -> None:
        Store(audited.root).append_samples(stream_id, at, viewers, "stream_samples")

    return stream_trackers().start(track_id, every, key, sample, on_end=stored, on_start=stored)


def track_a_stream(store: Store, configured_key: str | None) -> None:
    """Start or stop sampling a live YouTube stream's viewers (needs the editor key and a YouTube API key)."""
    st.caption(
        "Polls a live YouTube stream's concurrent viewers until it ends and stores each sample in `stream_samples`, "
        "then its end, peak and time-weighted average in `streams`. Each poll spends 1 unit of the day's YouTube "
        "quota (10,000 by default). Tracking runs on the server (or run `python -m pulse track-stream ID --party P`)."
    )
    key = configured_youtube_key()
    if (configured_key is None and not access.sign_in_on()) or key is None:
        st.info(
            "Tracking is off: it needs the editor key and a YouTube Data API key "
            "(`youtube_api_key` in .streamlit/secrets.toml or YOUTUBE_API_KEY).",
            icon=":material/sensors_off:",
        )
        return
    id_col, party_col, every_col = st.columns([3, 1, 1])
    track_id = id_col.text_input(
        "Stream id or link", key="track-stream-id", placeholder="https://www.youtube.com/watch?v=…"
    )
    party = party_col.text_input("Party", key="track-stream-party", placeholder="PTI")
    # At least 30 s: every poll costs a unit of the day's quota, and YouTube refreshes the count about that often.
    every = every_col.number_input(
        "Every (seconds)", min_value=30, max_value=600, value=30, step=10, key="track-stream-every"
    )
    track_key = _key_field("track-stream-editor-key")
    start_col, stop_col = st.columns(2)
    start = start_col.button("Start tracking", type="primary", icon=":material/play_arrow:", key="track-stream-start")
    stop = stop_col.button("Stop tracking", icon=":material/stop:", key="track-stream-stop")
    if start or stop:
        how = "start" if start else "stop"
        change_tracking(store, how, track_id, every, key, track_key, configured_key, party=party)


def tracker_status() -> None:
    """The tracked Spaces and how each is doing, refreshed every 5 s while one is running."""
    # Made a fragment on every run, as the page did: whether it refreshes depends on the trackers now.
    running = any(s.running for s in [*trackers().statuses(), *stream_trackers().statuses()])
    st.fragment(run_every=5 if running else None)(_tracker_table)()


def _tracker_table() -> None:
    statuses = trackers().statuses()
    if statuses:
        st.dataframe(tracking.status_table(statuses), hide_index=True, key="track-status")
    else:
        st.caption("No Space is being tracked.")
    streams = stream_trackers().statuses()
    if streams:
        table = tracking.status_table(streams, tracking.STREAM.id_column)
        st.dataframe(table, hide_index=True, key="track-stream-status")
