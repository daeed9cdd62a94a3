"""What the pages say about the data in view, through AppTest: the bundled sample is illustrative (a banner above
every page, from the entry), and a directory of one's own has no banner. The banner on every page in a real
browser: tests/e2e/test_sample_banner.py."""

import shutil

from streamlit.testing.v1 import AppTest

from pulse import config
from tests.conftest import BUNDLED, ROOT

BANNER = (
    ":material/science: **Sample data from 2022, for illustration.** Figures with a source link are reported facts; "
    "everything else is generated and must not be quoted."
)


def overview() -> AppTest:
    """The app's entry, as a browser first opens it: the overview with what the entry puts above every page."""
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()


def banner_shown(at: AppTest) -> bool:
    return BANNER in [m.value for m in at.markdown]


def test_the_bundled_sample_says_it_is_illustrative_with_its_notes_one_click_away(monkeypatch):
    monkeypatch.delenv("PULSE_DATA_DIR", raising=False)  # data/, as `make run` shows it
    at = overview()
    assert not at.exception
    assert banner_shown(at)
    [notes] = [e for e in at.expander if e.label == "What is reported, what is generated"]
    assert notes.markdown[0].value == (BUNDLED / "README.md").read_text(encoding="utf-8").strip()
    assert "446,000 listeners in total" in notes.markdown[0].value


def test_a_data_directory_of_ones_own_has_no_banner(tmp_path, monkeypatch):
    own = tmp_path / "own"
    shutil.copytree(BUNDLED, own, ignore=shutil.ignore_patterns("*.py", config.SAMPLE_MARKER))
    monkeypatch.setenv("PULSE_DATA_DIR", str(own))
    at = overview()
    assert not at.exception and not banner_shown(at)
    assert at.title[0].value == "Campaign Pulse"  # the page itself is there
