"""The Data page through AppTest: upload, validation report, save only with the editor key, undo."""

import json
import shutil
import time

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from werkzeug import Request, Response

from pulse import config
from pulse.data.store import SAMPLE_REFUSAL, Store
from pulse.escape import markdown_text
from pulse.ui import editor, session
from tests.conftest import BUNDLED, ROOT
from tests.test_sample_guard import snapshot

PAGE = str(ROOT / "pages" / "5_Data.py")
KEY = "correct horse battery staple"
NEW_SPACE = "sp-9999,PPP,Bilawal Bhutto,Test,2022-05-30T15:00:00Z,2022-05-30T16:00:00Z,500000,,,\n"


def data_page(editor_key: str | None = KEY) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    if editor_key is not None:
        at.secrets["editor_key"] = editor_key
    return at.run()


def spaces_with_new_row(store_dir) -> bytes:
    return ((store_dir / "spaces.csv").read_text(encoding="utf-8") + NEW_SPACE).encode()


def test_bad_upload_shows_the_rows_to_fix_and_saves_nothing(store_dir):
    before = (store_dir / "spaces.csv").read_bytes()
    at = data_page()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", before.replace(b"2022-04-20T17:00:00Z", b"20/04/2022"))
    at.run()
    assert not at.exception
    assert "was not loaded: 1 problem. Fix these rows" in at.error[0].value
    problems = at.dataframe[1].value  # after the stored-datasets table
    assert problems.iloc[0]["column"] == "started_at" and problems.iloc[0]["value"] == "20/04/2022"
    with pytest.raises(KeyError):
        at.button(key="data-replace")  # nothing to save
    assert at.selectbox(key="data-undo-dataset").value == "spaces"  # the rest of the page is still there
    assert (store_dir / "spaces.csv").read_bytes() == before


def test_save_requires_the_editor_key_then_undo_restores(store_dir):
    before = (store_dir / "spaces.csv").read_bytes()
    at = data_page()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    at.run()
    assert "52 rows of spaces, all valid" in at.success[0].value
    at.text_input(key="data-editor-key").input("wrong key")
    at.button(key="data-replace").click().run()
    assert "editor key is not right" in at.error[0].value
    assert (store_dir / "spaces.csv").read_bytes() == before

    at.text_input(key="data-editor-key").input(KEY)
    at.button(key="data-replace").click().run()
    assert not at.exception
    assert at.success[0].value == "Replaced spaces with 52 rows. Undo is below."
    saved = pl.read_csv(store_dir / "spaces.csv", infer_schema=False)
    assert saved.height == 52 and "sp-9999" in saved["space_id"].to_list()

    at.selectbox(key="data-undo-dataset").select("spaces").run()
    at.text_input(key="data-undo-key").input(KEY)
    at.button(key="data-undo").click().run()
    assert (store_dir / "spaces.csv").read_bytes() == before


def test_merge_reports_added_updated_unchanged(store_dir):
    at = data_page()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    at.run()
    at.text_input(key="data-editor-key").input(KEY)
    at.button(key="data-merge").click().run()
    assert at.success[0].value == "Merged into spaces: 1 added, 0 updated, 51 unchanged."


def test_without_an_editor_key_uploads_stay_in_the_session(store_dir):
    before = (store_dir / "spaces.csv").read_bytes()
    at = data_page(editor_key=None)
    at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    at.run()
    assert "Saving is off" in at.info[0].value
    with pytest.raises(KeyError):
        at.button(key="data-replace")
    at.button(key="data-session").click().run()
    assert "spaces" in at.session_state["session_uploads"]
    assert (store_dir / "spaces.csv").read_bytes() == before


def test_an_upload_viewed_in_the_session_is_merged_once_and_shown_on_the_pages(store_dir, monkeypatch):
    merges = []
    merge = session.with_uploads
    monkeypatch.setattr(session, "with_uploads", lambda *args: merges.append(args) or merge(*args))
    stored_spaces = pl.read_csv(store_dir / "spaces.csv").height
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/5_Data.py").run()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    at.run()
    at.button(key="data-session").click().run()

    at.switch_page("pages/1_Spaces.py").run()
    assert at.metric[0].label == "Spaces" and at.metric[0].value == str(stored_spaces + 1)
    at.run()  # a rerun, as every widget change makes, reuses the merged data
    assert len(merges) == 1
    assert (store_dir / "spaces.csv").read_bytes() != spaces_with_new_row(store_dir)  # never saved
    # The entry (dashboard.py) says so above every page while the upload is in view, and offers the stored data
    # back. AppTest runs a switched-to page without its entry, so this is checked on the overview.
    at.switch_page("dashboard.py").run()
    assert "your own upload (spaces), in this session only" in at.warning[0].value
    at.button(key="drop-uploads").click().run()
    assert "session_uploads" not in at.session_state
    at.switch_page("pages/1_Spaces.py").run()
    assert at.metric[0].value == str(stored_spaces)
    assert not [w for w in at.warning if "your own upload" in w.value]
    with pytest.raises(KeyError):
        at.button(key="drop-uploads")


def test_every_page_sees_a_save_on_its_next_rerun(store_dir):
    overview = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()

    def ppp_best_space() -> int:
        table = overview.dataframe[-1].value
        return int(table.loc[table["party"] == "PPP", "best_space_reach"].iloc[0])

    assert ppp_best_space() < 500_000
    at = data_page()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    at.run()
    at.text_input(key="data-editor-key").input(KEY)
    at.button(key="data-replace").click().run()
    overview.run()
    assert ppp_best_space() == 500_000


SPACE_ID = "1DXxyRYNejbKM"


@pytest.fixture
def x_api(httpserver, monkeypatch):
    """A local X API answering that the Space is live, with one more listener at each poll."""
    from tests.test_x_api import TOKEN

    polls = []

    def live(request: Request) -> Response:
        polls.append(request)
        data = {"id": SPACE_ID, "state": "live", "participant_count": 100 + len(polls)}
        return Response(json.dumps({"data": data}), content_type="application/json")

    httpserver.expect_request(f"/2/spaces/{SPACE_ID}").respond_with_handler(live)
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("X_API_BASE_URL", httpserver.url_for("/2"))
    yield polls
    # The registry outlives a page run (that is its point): stop what a test started.
    registry = editor.trackers()
    for status in registry.statuses():
        registry.stop(status.subject_id)
        registry.wait(status.subject_id, 10)
    st.cache_resource.clear()


def tracker_states(at: AppTest) -> list[tuple]:
    table = at.dataframe[-1].value  # the last table on the page
    assert list(table.columns[:3]) == ["space_id", "state", "samples"]
    return list(table[["space_id", "state", "samples"]].itertuples(index=False, name=None))


def test_tracking_needs_the_editor_key(store_dir, x_api):
    at = data_page()
    at.text_input(key="track-space-id").input(SPACE_ID)
    at.text_input(key="track-editor-key").input("wrong key")
    at.button(key="track-start").click().run()
    assert "editor key is not right; nothing was started" in at.error[0].value
    assert editor.trackers().statuses() == [] and x_api == []
    assert "No Space is being tracked." in [c.value for c in at.caption]


def test_tracking_is_off_without_a_token(store_dir, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    at = data_page()
    assert any("Tracking is off" in i.value for i in at.info)
    with pytest.raises(KeyError):
        at.button(key="track-start")


def test_start_tracking_shows_samples_then_stop(store_dir, x_api):
    at = data_page()
    at.text_input(key="track-space-id").input(f"https://x.com/i/spaces/{SPACE_ID}")
    at.text_input(key="track-editor-key").input(KEY)
    at.button(key="track-start").click().run()
    assert not at.exception and not at.error
    samples = store_dir / "space_samples.csv"
    deadline = time.monotonic() + 30
    while not (samples.exists() and samples.read_text().count("\n") >= 2):  # header and a first sample
        assert time.monotonic() < deadline, "no sample stored"
        time.sleep(0.05)
    at.run()
    [(space_id, state, taken)] = tracker_states(at)
    assert (space_id, state) == (SPACE_ID, "running") and taken >= 1
    assert pl.read_csv(samples)["participants"][0] == 101

    at.button(key="track-stop").click().run()
    assert tracker_states(at)[0][:2] == (SPACE_ID, "stopped")
    assert editor.trackers().wait(SPACE_ID, 10).state == "stopped"


def test_a_url_inside_the_network_is_refused_and_nothing_of_it_shown(store_dir, httpserver, monkeypatch):
    monkeypatch.delenv("PULSE_ALLOW_HOSTS", raising=False)
    httpserver.expect_request("/spaces.csv").respond_with_data("internal_admin_token=hunter2\n")
    at = data_page(editor_key=None)
    at.text_input(key="data-url").input(f"http://2130706433:{httpserver.port}/spaces.csv")
    at.button(key="data-fetch").click().run()
    assert not at.exception
    assert "is on a private or local network" in at.error[0].value
    assert "hunter2" not in json.dumps([e.value for e in at.error]) and httpserver.log == []
    assert "incoming" not in at.session_state


def page_text(at: AppTest) -> str:
    """Everything the page writes as text: titles, captions, messages and the stored-datasets table."""
    kinds = ("title", "subheader", "caption", "markdown", "info", "success", "error")
    shown = [e.value for kind in kinds for e in getattr(at, kind)]
    return "\n".join(map(str, shown)) + "\n" + at.dataframe[0].value.to_csv()


def test_viewers_see_no_server_path_and_last_saved_is_the_stores_own_record(store_dir):
    at = data_page(editor_key=None)
    assert not at.exception
    assert str(store_dir) not in page_text(at) and str(store_dir.parent) not in page_text(at)
    overview = at.dataframe[0].value
    # The bundled files were copied here, never saved by this store: no time to show, whatever their mtime says.
    assert overview["last_saved"].isna().all()

    saved = data_page()
    saved.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    saved.run()
    saved.text_input(key="data-editor-key").input(KEY)
    saved.button(key="data-replace").click().run()
    last = saved.dataframe[0].value.set_index("dataset")["last_saved"]
    assert abs(time.time() - last["spaces"].timestamp()) < 60
    assert last.drop("spaces").isna().all()


def test_problems_leave_empty_cells_blank(store_dir):
    at = data_page()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", b"space_id,party\nsp-1,PTI\n")
    at.run()
    problems = at.dataframe[1]
    assert problems.value["line"].isna().any()  # a problem with the whole file has no line or column
    assert problems.proto.HasField("placeholder") and problems.proto.placeholder == ""  # blank, not "None"


# -- the bundled sample: shown, never written ----------------------------------------------------------------------


@pytest.fixture
def sample_dir(store_dir):
    """The copy marked as the bundled sample, as data/ is (SAMPLE.md)."""
    shutil.copy(BUNDLED / config.SAMPLE_MARKER, store_dir)
    return store_dir


def refused(at: AppTest) -> bool:
    """The page says why nothing was written and where a war room goes, and shows no traceback."""
    return not at.exception and [e.value for e in at.error] == [markdown_text(SAMPLE_REFUSAL)]


@pytest.mark.parametrize("button", ["data-replace", "data-merge"])
@pytest.mark.parametrize("source", ["upload", "url"])
def test_a_save_into_the_sample_is_refused_and_changes_nothing(sample_dir, source, button, httpserver, monkeypatch):
    before = snapshot(sample_dir)
    at = data_page()
    if source == "upload":
        at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(sample_dir))
        at.run()
    else:
        monkeypatch.setenv("PULSE_ALLOW_HOSTS", "127.0.0.1")
        httpserver.expect_request("/spaces.csv").respond_with_data(spaces_with_new_row(sample_dir))
        at.text_input(key="data-url").input(httpserver.url_for("/spaces.csv"))
        at.button(key="data-fetch").click().run()
    assert "52 rows of spaces, all valid" in at.success[0].value
    at.text_input(key="data-editor-key").input(KEY)
    at.button(key=button).click().run()
    assert refused(at)
    assert snapshot(sample_dir) == before
    at.button(key="data-session").click().run()  # looking at it in one's own session is still fine
    assert not at.exception and "spaces" in at.session_state["session_uploads"]
    assert snapshot(sample_dir) == before


def test_an_undo_in_the_sample_is_refused_and_changes_nothing(sample_dir):
    Store(sample_dir, allow_sample=True).save("spaces", pl.read_csv(sample_dir / "spaces.csv").head(3))
    before = snapshot(sample_dir)
    at = data_page()
    at.selectbox(key="data-undo-dataset").select("spaces").run()
    at.text_input(key="data-undo-key").input(KEY)
    at.button(key="data-undo").click().run()
    assert refused(at)
    assert snapshot(sample_dir) == before


def test_tracking_into_the_sample_is_refused_before_it_starts(sample_dir, x_api):
    before = snapshot(sample_dir)
    at = data_page()
    at.text_input(key="track-space-id").input(SPACE_ID)
    at.text_input(key="track-editor-key").input(KEY)
    at.button(key="track-start").click().run()
    assert refused(at)
    assert editor.trackers().statuses() == [] and x_api == []
    assert snapshot(sample_dir) == before
