"""The bundled sample (marked by data/SAMPLE.md) is kept apart from live data: the store refuses every write into it
that its writer did not ask for by name, and `watch`, `fetch-x` and `track-space` say so (exit 2) before they call
the API, naming how to start a war room on a directory of its own."""

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from pulse import cli_x, config
from pulse.cli import main
from pulse.data.load import load_dataset
from pulse.data.store import SAMPLE_REFUSAL, Store
from pulse.errors import PulseError
from tests.conftest import BUNDLED, ROOT
from tests.fake_x import FakeSpace, FakeX
from tests.test_x_api import TOKEN

SPACE_ID = "1LyxBgkXXMpGN"
LAST_HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
# Three hours of #ImranKhan, so that a fetch that were let through would change the sample.
COUNTS = {("imrankhan", LAST_HOUR - timedelta(hours=h)): 40 + h for h in range(3)}


@pytest.fixture
def sample(tmp_path, monkeypatch):
    """A copy of the bundled sample, marker and all, in place of data/: a guard that failed would write into this copy,
    never into the repository."""
    copy = tmp_path / "data"
    shutil.copytree(BUNDLED, copy, ignore=shutil.ignore_patterns("*.py"))
    assert config.is_sample(copy)
    monkeypatch.setattr(config, "BUNDLED_DATA_DIR", copy)
    monkeypatch.delenv("PULSE_DATA_DIR", raising=False)
    return copy


@pytest.fixture
def x_api(httpserver, monkeypatch):
    """A fake X API with a live Space of @PTIofficial and recent #ImranKhan counts; the commands read it from the
    environment."""
    space = FakeSpace(SPACE_ID, "111", "PTIofficial", "Live", LAST_HOUR, counts=[1200, 1500])
    fake = FakeX(users={"ptiofficial": "111"}, spaces=[space], counts=dict(COUNTS))
    fake.install(httpserver)
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("X_API_BASE_URL", httpserver.url_for("/2"))
    monkeypatch.setattr(cli_x, "_wait", lambda seconds: None)  # track-space, if let through, polls without waiting
    return fake


@pytest.fixture
def files(tmp_path):
    """The watch.toml and hosts.csv a war room keeps, outside the data directory."""
    watch = tmp_path / "watch.toml"
    watch.write_text('[[hashtags]]\ntag = "ImranKhan"\nparty = "PTI"\n[[hosts]]\nuser = "PTIofficial"\nparty = "PTI"\n')
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("host,party\nPTIofficial,PTI\n", encoding="utf-8")
    start, end = LAST_HOUR - timedelta(hours=2), LAST_HOUR + timedelta(hours=1)
    return {"watch": str(watch), "hosts": str(hosts), "start": start.isoformat(), "end": end.isoformat()}


def snapshot(directory) -> dict[str, bytes | None]:
    """Every file and folder under `directory` (a lock or a .watch folder counts too), with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() if p.is_file() else None for p in directory.rglob("*")}


COMMANDS = {
    "watch": ["watch", "--config", "{watch}", "--once"],
    "fetch-x spaces": ["fetch-x", "spaces", "--ids", SPACE_ID, "--hosts", "{hosts}"],
    "fetch-x counts": ["fetch-x", "counts", "--hashtag", "ImranKhan=PTI", "--start", "{start}", "--end", "{end}"],
    "fetch-x tweets": ["fetch-x", "tweets", "--query", "#ImranKhan -is:retweet", "--party", "PTI"],
    "track-space": ["track-space", SPACE_ID, "--every", "5s"],
}


def argv(command: str, files: dict[str, str]) -> list[str]:
    return [arg.format(**files) for arg in COMMANDS[command]]


@pytest.mark.parametrize("chosen_by", ["default", "PULSE_DATA_DIR"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_refuses_the_sample_unless_data_names_it(
    command, chosen_by, sample, x_api, files, httpserver, monkeypatch, capsys
):
    if chosen_by == "PULSE_DATA_DIR":
        monkeypatch.setenv("PULSE_DATA_DIR", str(sample))
    before = snapshot(sample)

    code = main(argv(command, files))

    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"error: {SAMPLE_REFUSAL}\n")
    assert "--data warroom/" in err and "PULSE_DATA_DIR=warroom make run" in err
    assert snapshot(sample) == before  # not even a lock file or a .watch folder
    assert httpserver.log == []  # refused before the first API call


def test_data_naming_the_sample_writes_into_it(sample, x_api, files, capsys):
    stored = load_dataset(sample, "hashtags")[0].height

    code = main([*argv("fetch-x counts", files), "--data", str(sample)])

    assert code == 0, capsys.readouterr().err
    assert "hashtags: 3 added, 0 updated" in capsys.readouterr().out
    hashtags = load_dataset(sample, "hashtags")[0]
    assert hashtags.height == stored + 3
    assert hashtags.filter(pl.col("hashtag") == "ImranKhan")["tweets"].sort().to_list() == [40, 41, 42]


def test_the_readmes_old_watch_command_exits_2_through_the_real_cli(sample, files):
    """`python -m pulse watch --config watch.toml` as the README used to give it, without --data, in a process of
    its own: its data directory (here PULSE_DATA_DIR, a marked copy) is the sample."""
    env = {**os.environ, "PULSE_DATA_DIR": str(sample), "X_BEARER_TOKEN": TOKEN, "X_API_BASE_URL": "http://127.0.0.1:9"}
    before = snapshot(sample)
    done = subprocess.run(
        [sys.executable, "-m", "pulse", "watch", "--config", files["watch"], "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"error: {SAMPLE_REFUSAL}\n")
    assert snapshot(sample) == before


WRITES = {
    "save": lambda store: store.save("spaces", pl.DataFrame({"space_id": ["s1"]})),
    "merge": lambda store: store.merge("alerts", pl.DataFrame({"alert_id": ["a1"]}), ["alert_id"], pl.read_csv),
    "undo": lambda store: store.undo("spaces"),
    "append_samples": lambda store: store.append_samples(SPACE_ID, LAST_HOUR, 1200),
    "locked": lambda store: store.locked().__enter__(),  # what the rollup and every other writer hold
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_of_the_store_refuses_the_sample_without_the_opt_in(write, sample):
    Store(sample, allow_sample=True).save("spaces", load_dataset(sample, "spaces")[0])  # a version to undo
    before = snapshot(sample)
    with pytest.raises(PulseError) as refused:
        WRITES[write](Store(sample))
    assert str(refused.value) == SAMPLE_REFUSAL
    assert snapshot(sample) == before


def test_a_directory_of_ones_own_needs_no_opt_in(tmp_path):
    """A new war-room directory (it need not exist yet) and a copy of the sample without its marker are written."""
    Store(tmp_path / "warroom").append_samples(SPACE_ID, LAST_HOUR, 1200)
    assert (tmp_path / "warroom" / "space_samples.csv").read_text().splitlines()[1].endswith(",1200")
    own = tmp_path / "own"
    shutil.copytree(BUNDLED, own, ignore=shutil.ignore_patterns("*.py", config.SAMPLE_MARKER))
    Store(own).save("parties", load_dataset(own, "parties")[0].head(2))
    assert load_dataset(own, "parties")[0]["party"].to_list() == ["PTI", "PML-N"]
