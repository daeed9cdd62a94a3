"""The Data page through AppTest: upload, validation report, save only with the editor key, undo."""

import shutil

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import BUNDLED, ROOT

PAGE = str(ROOT / "pages" / "5_Data.py")
KEY = "correct horse battery staple"
NEW_SPACE = "sp-9999,PPP,Bilawal Bhutto,Test,2022-05-30T15:00:00Z,2022-05-30T16:00:00Z,500000,,,\n"


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    shutil.copytree(BUNDLED, directory, ignore=shutil.ignore_patterns("*.py", "*.md"))
    monkeypatch.setenv("PULSE_DATA_DIR", str(directory))
    monkeypatch.delenv("PULSE_EDITOR_KEY", raising=False)
    return directory


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
    assert "was not loaded: 1 problem(s)" in at.error[0].value
    problems = at.dataframe[1].value  # after the stored-datasets table
    assert problems.iloc[0]["column"] == "started_at" and problems.iloc[0]["value"] == "20/04/2022"
    with pytest.raises(KeyError):
        at.button(key="data-replace")  # nothing to save
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


def test_every_page_sees_a_save_on_its_next_rerun(store_dir):
    overview = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()

    def ppp_best_space() -> int:
        table = overview.dataframe[0].value
        return int(table.loc[table["party"] == "PPP", "best_space_reach"].iloc[0])

    assert ppp_best_space() < 500_000
    at = data_page()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", spaces_with_new_row(store_dir))
    at.run()
    at.text_input(key="data-editor-key").input(KEY)
    at.button(key="data-replace").click().run()
    overview.run()
    assert ppp_best_space() == 500_000
