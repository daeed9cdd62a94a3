"""`python -m pulse export` on the bundled data and on a bad file, as a scheduled job would run it."""

import errno
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl

from pulse import cli
from tests.conftest import BUNDLED, ROOT

TABLES = ["spaces", "hashtag_daily", "party_daily", "party_summary", "events"]
# and who drives each hashtag, from the bundled raw sample (tests/test_drivers_export.py)
DRIVERS = ["hashtag_drivers", "copy_bursts"]
# and the claims ledger with its verdicts, from the bundled claims.csv (tests/test_claims_export.py)
CLAIMS = ["claims"]
# and the live streams with their metrics, from the bundled streams.csv (tests/test_streams_export.py)
STREAMS = ["streams"]


def export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pulse", "export", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def read(path):
    return pl.read_csv(path, infer_schema=False)


def test_export_writes_the_five_tables_from_bundled_data(tmp_path):
    result = export("--data", str(BUNDLED), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.csv" for t in TABLES + STREAMS + DRIVERS + CLAIMS)
    spaces = read(tmp_path / "spaces.csv")
    record = spaces.filter(pl.col("total_listeners") == "446000").row(0, named=True)
    assert record["party"] == "PTI"
    assert record["is_record"] == "true"
    assert record["record_multiple"] == "10.14"  # 446,000 / 44,000
    assert record["retention_pct"] == "37"  # 165,000 / 446,000, a whole number written without ".0"
    assert record["started_at"] == "2022-04-20T17:00:00Z"
    assert record["started_at_local"] == "2022-04-20 22:00"  # the default zone, Asia/Karachi (UTC+5)
    events = read(tmp_path / "events.csv")
    assert set(events["event_type"]) == {"space", "rally_announcement", "rally"}
    lahore = events.filter((pl.col("event_type") == "rally_announcement") & (pl.col("event_id") == "rl-009"))
    assert lahore.height == 3  # moved from the 23rd to the 24th to the 21st
    daily = read(tmp_path / "hashtag_daily.csv")
    assert "امپورٹڈ_حکومت_نامنظور" in set(daily["hashtag"])


def test_export_files_get_the_mode_the_umask_gives(tmp_path):
    # mkstemp alone would leave them 0600: unreadable to a colleague or the dashboard's service account.
    for umask, mode in ((0o022, 0o644), (0o027, 0o640)):
        out = tmp_path / f"umask-{umask:o}"
        done = subprocess.run(
            ["sh", "-c", f'umask {umask:03o} && exec "$0" -m pulse export --data "$1" --out "$2"', sys.executable]
            + [str(BUNDLED), str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()} == {
            f"{t}.csv": mode for t in TABLES + STREAMS + DRIVERS + CLAIMS
        }


def test_export_as_one_excel_workbook(tmp_path):
    result = export("--data", str(BUNDLED), "--out", str(tmp_path), "--format", "xlsx", "--party", "PTI")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["pulse-export.xlsx"]
    assert result.stdout.strip() == str(tmp_path / "pulse-export.xlsx")
    book = openpyxl.load_workbook(tmp_path / "pulse-export.xlsx")
    assert book.sheetnames == TABLES + STREAMS + DRIVERS + CLAIMS
    spaces = book["spaces"]
    header = [c.value for c in spaces[1]]
    assert header[header.index("started_at") + 1] == "started_at_local"
    rows = spaces.iter_rows(min_row=2, values_only=True)
    record = next(r for r in rows if r[header.index("total_listeners")] == 446000)
    assert record[header.index("started_at")] == datetime(2022, 4, 20, 17, 0)
    assert record[header.index("started_at_local")] == datetime(2022, 4, 20, 22, 0)
    assert record[header.index("record_multiple")] == 10.14
    daily = book["hashtag_daily"]
    assert "امپورٹڈ_حکومت_نامنظور" in {r[0] for r in daily.iter_rows(min_row=2, values_only=True)}
    assert all(book[name].freeze_panes == "A2" for name in TABLES)


def test_export_filters_dates_and_parties(tmp_path):
    result = export(
        "--data",
        str(BUNDLED),
        "--out",
        str(tmp_path),
        "--start",
        "2022-04-18",
        "--end",
        "2022-04-24",
        "--party",
        "PTI",
        "PPP",
    )
    assert result.returncode == 0, result.stderr
    party_daily = read(tmp_path / "party_daily.csv")
    assert set(party_daily["party"]) == {"PTI", "PPP"}
    assert party_daily["date"].min() == "2022-04-18"
    assert party_daily["date"].max() == "2022-04-24"
    assert party_daily.height == 14
    events = read(tmp_path / "events.csv")
    assert set(events["party"]) <= {"PTI", "PPP"}


def test_bad_file_exits_non_zero_with_report_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md"))
    spaces = (data / "spaces.csv").read_text(encoding="utf-8").splitlines()
    spaces[3] = spaces[3].replace("2022-", "20/", 1)  # break started_at on line 4
    (data / "spaces.csv").write_text("\n".join(spaces) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = export("--data", str(data), "--out", str(out))
    assert result.returncode == 2
    assert "spaces.csv, line 4, column 'started_at'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_unknown_time_zone_is_a_clear_usage_error(tmp_path):
    result = export("--data", str(BUNDLED), "--out", str(tmp_path / "out"), "--tz", "Mars/Base")
    assert result.returncode == 2
    assert "unknown time zone 'Mars/Base'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_data_directory_is_reported(tmp_path):
    result = export("--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr == f"error: data directory {tmp_path / 'nowhere'} does not exist\n"


def test_export_refuses_an_unknown_party_and_lists_the_known_ones(tmp_path):
    out = tmp_path / "out"
    result = export("--data", str(BUNDLED), "--out", str(out), "--party", "PTI", "P<script>")
    assert result.returncode == 2
    assert (
        "--party P<script>: not in the data; known party codes: PTI, PML-N, PPP, JUI-F, MQM-P, OTHER" in result.stderr
    )
    assert not out.exists()


def test_export_refuses_a_start_after_the_end(tmp_path):
    out = tmp_path / "out"
    result = export("--data", str(BUNDLED), "--out", str(out), "--start", "2022-05-01", "--end", "2022-04-30")
    assert result.returncode == 2
    assert "--start 2022-05-01 is after --end 2022-04-30" in result.stderr
    assert not out.exists()


def test_export_warns_when_a_valid_filter_matches_no_row(tmp_path):
    result = export("--data", str(BUNDLED), "--out", str(tmp_path), "--start", "2023-01-01")
    assert result.returncode == 0, result.stderr
    assert "warning: no row matches these filters" in result.stderr
    assert {p.name for p in tmp_path.iterdir()} >= {f"{t}.csv" for t in TABLES}
    assert read(tmp_path / "party_summary.csv").height == 0


def test_export_writes_the_recent_windows_to_as_of(tmp_path):
    result = export("--data", str(BUNDLED), "--out", str(tmp_path), "--party", "PTI")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    pti = read(tmp_path / "party_summary.csv").row(0, named=True)
    # The bundled hashtags end with the hour from 23:00 UTC on 31 May: 05:00 on 1 June in Pakistan.
    assert pti["as_of"] == "2022-06-01T00:00:00Z"
    expected = (
        pl.read_csv(BUNDLED / "hashtags.csv", try_parse_dates=True)
        .filter(pl.col("party") == "PTI")
        .select(
            pl.col("tweets").filter(pl.col("period_start") >= pl.datetime(2022, 5, 25, time_zone="UTC")).sum(),
            pl.col("tweets")
            .filter(
                pl.col("period_start").is_between(
                    pl.datetime(2022, 5, 18, time_zone="UTC"), pl.datetime(2022, 5, 25, time_zone="UTC"), closed="left"
                )
            )
            .sum()
            .alias("before"),
        )
        .row(0)
    )
    assert (int(pti["tweets_7d"]), int(pti["tweets_prev_7d"])) == expected
    assert pti["growth_7d_pct"] == f"{(expected[0] - expected[1]) / expected[1] * 100:.2f}"
    hours = read(tmp_path / "party_daily.csv").filter(pl.col("date").is_in(["2022-05-31", "2022-06-01"]))
    assert hours.select("date", "hours_covered", "partial_day").rows() == [
        ("2022-05-31", "24", "false"),  # whole numbers are written without a decimal point
        ("2022-06-01", "5", "true"),
    ]


def export_to(out: Path) -> int:
    return cli.main(["export", "--data", str(BUNDLED), "--out", str(out)])


def test_out_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "exports").write_text("not a directory", encoding="utf-8")
    assert export_to(tmp_path / "exports") == 2
    assert (
        capsys.readouterr().err
        == f"error: {tmp_path / 'exports'} is a file, not a directory: choose another output directory\n"
    )


def test_out_that_cannot_be_written_is_a_clear_error(tmp_path, capsys):
    # /proc refuses new directories even to root, as a read-only or foreign directory would.
    assert export_to(Path("/proc/pulse-exports")) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write to /proc/pulse-exports: ") and "Traceback" not in err


def test_out_on_a_full_disk_is_a_clear_error(tmp_path, capsys, monkeypatch):
    def full(target: Path, content: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pulse.data.export.atomic_write", full)
    assert export_to(tmp_path / "exports") == 2
    assert capsys.readouterr().err == (
        f"error: could not write the export to {tmp_path / 'exports'}: No space left on device; no file was changed\n"
    )
    assert list((tmp_path / "exports").iterdir()) == []
