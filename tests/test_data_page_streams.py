"""The Data page's "Track a live stream": editors only, and a tracker started there stores the stream, its samples
and its final figures, audited as the editor's change (against the fake YouTube API)."""

import shutil
from datetime import timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from pulse.connectors.youtube import BASE_URL_ENV, KEY_ENV
from pulse.data.load import load_dataset
from pulse.ui import editor
from tests.conftest import BUNDLED
from tests.fake_youtube import KEY, PREFIX, Step
from tests.test_access_pages import ACCESS, AUTH, DASHBOARD, EDITOR, VIEWER
from tests.test_youtube import T0, VIDEO, rally_stream


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    shutil.copytree(BUNDLED, directory, ignore=shutil.ignore_patterns("*.py", "*.md"))
    monkeypatch.setenv("PULSE_DATA_DIR", str(directory))
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.delenv("PULSE_EDITOR_KEY", raising=False)
    return directory


def data_page(user: dict) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = user
    return at.run().switch_page("pages/5_Data.py").run()


def headers(at: AppTest) -> list[str]:
    return [h.value for h in at.subheader]


def test_a_viewer_does_not_see_track_a_live_stream(store_dir):
    at = data_page(VIEWER)
    assert not at.exception
    assert "Track a live stream" not in headers(at)
    with pytest.raises(KeyError):
        at.text_input(key="track-stream-id")


def test_an_editor_sees_track_a_live_stream(store_dir):
    at = data_page(EDITOR)
    assert not at.exception and "Track a live stream" in headers(at)
    assert at.text_input(key="track-stream-id") and at.text_input(key="track-stream-party")
    assert at.button(key="track-stream-start").label == "Start tracking"


def test_without_a_youtube_key_the_editor_is_told_what_tracking_needs(store_dir, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    at = data_page(EDITOR)
    assert any("needs the editor key and a YouTube Data API key" in i.value for i in at.info)
    with pytest.raises(KeyError):
        at.text_input(key="track-stream-id")


def start_stream(directory: str) -> None:
    """Runs in AppTest: the editor presses Start for a stream, as the Data page does."""
    from pathlib import Path

    from pulse.data.store import Store
    from pulse.ui import editor, settings

    key = settings.configured_youtube_key()
    editor.change_tracking(Store(Path(directory)), "start", "https://youtu.be/rallyLive01", 5, key, None, None, "PTI")


def test_a_stream_tracked_from_the_page_is_stored_with_its_samples_and_figures(
    store_dir, httpserver, youtube, monkeypatch
):
    youtube.streams = [rally_stream([Step("live", 800), Step("ended")])]
    monkeypatch.setenv(BASE_URL_ENV, httpserver.url_for(PREFIX))
    at = AppTest.from_function(start_stream, default_timeout=60, args=(str(store_dir),))
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = EDITOR
    at.run()
    assert not at.exception and not at.error
    status = editor.stream_trackers().wait(VIDEO, 30)
    assert (status.state, status.samples, status.last_count) == ("ended", 1, 800), status.error
    streams = load_dataset(store_dir, "streams")[0]
    stream = streams.filter(pl.col("stream_id") == VIDEO).row(0, named=True)  # beside the bundled streams
    assert (stream["stream_id"], stream["party"], stream["peak_viewers"], stream["avg_viewers"]) == (
        VIDEO,
        "PTI",
        800,
        800.0,
    )
    assert stream["ended_at"] == T0 + timedelta(hours=2)
    samples = load_dataset(store_dir, "stream_samples")[0]
    assert samples.filter(pl.col("stream_id") == VIDEO)["viewers"].to_list() == [800]
    audit = load_dataset(store_dir, "audit")[0]
    started = audit.filter(audit["action"] == "track-start")
    assert started.select("actor", "dataset").rows() == [("desk@party.example", "stream_samples")]
