"""What the pages say about the data in view, through AppTest: the bundled sample is illustrative (a banner above
every page, from the entry), a directory of one's own has no banner, and a war room's new directory says how it
fills instead of showing empty pages. The banner on every page in a real browser: tests/e2e/test_sample_banner.py."""

import shutil
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from pulse import config
from pulse.ui import session
from tests.conftest import BUNDLED, ROOT
from tests.fake_x import FakeX
from tests.test_sample_guard import COUNTS
from tests.test_x_api import TOKEN

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
    shown = notes.markdown[0].value
    assert shown == session.sample_notes() and "446,000 listeners in total" in shown
    # data/README.md, its headings below the page's own: the page's title stays the page's first heading.
    readme = (BUNDLED / "README.md").read_text(encoding="utf-8")
    assert [line for line in shown.splitlines() if line.startswith("#")] == [
        "##" + line for line in readme.splitlines()[1:] if line.startswith("#")
    ]
    assert "#### Marked as the sample: `SAMPLE.md`" in shown.splitlines()


def test_a_data_directory_of_ones_own_has_no_banner(tmp_path, monkeypatch):
    own = tmp_path / "own"
    shutil.copytree(BUNDLED, own, ignore=shutil.ignore_patterns("*.py", config.SAMPLE_MARKER))
    monkeypatch.setenv("PULSE_DATA_DIR", str(own))
    at = overview()
    assert not at.exception and not banner_shown(at)
    assert at.title[0].value == "Campaign Pulse"  # the page itself is there


ANALYSIS_PAGES = [path for path, _ in session.PAGES if path not in ("pages/5_Data.py", "pages/6_Alerts.py")]


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_a_new_war_room_directory_says_how_it_fills(page, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path))  # nothing in it yet
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == [session.NOTHING_STORED]


def test_a_war_room_after_the_watchers_first_pass_shows_its_data(httpserver, tmp_path, monkeypatch):
    """As the README says to start it: `pulse watch --data warroom/` on a directory that does not exist yet, then
    the dashboard on it. The watcher has stored hashtag counts and nothing else (no Spaces, no rallies)."""
    FakeX(counts=dict(COUNTS)).install(httpserver)
    config_file = tmp_path / "watch.toml"
    config_file.write_text('[[hashtags]]\ntag = "ImranKhan"\nparty = "PTI"\n')
    warroom = tmp_path / "warroom"
    env = {"X_BEARER_TOKEN": TOKEN, "X_API_BASE_URL": httpserver.url_for("/2"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "pulse", "watch", "--config", str(config_file), "--data", "warroom/", "--once"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # The counts, and the audit's record of the watcher writing them (pulse.data.audit).
    assert sorted(p.name for p in warroom.iterdir() if not p.name.startswith(".")) == ["audit.csv", "hashtags.csv"]

    monkeypatch.setenv("PULSE_DATA_DIR", str(warroom))
    at = overview()
    assert not at.exception and not at.error and not banner_shown(at)
    ranking = at.dataframe[0].value
    assert ranking["party"].tolist() == ["PTI"]
    assert ranking["tweets_24h"].tolist() == [sum(COUNTS.values())]  # 40 + 41 + 42, the three hours to as of
