"""CSV as analysts receive it: BOM, rounding, UTC times, neutralised formulas, whole files only."""

import errno
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pulse.errors import PulseError
from pulse.export import csv_bytes, write_tables
from pulse.load import load_data_dir
from pulse.metrics import Filters, compute_tables
from tests.conftest import BUNDLED, utc


def test_csv_has_bom_rounds_floats_and_writes_utc():
    frame = pl.DataFrame(
        {
            "hashtag": ["امپورٹڈ_حکومت_نامنظور"],
            "at": [utc(2022, 4, 20, 17)],
            "date": [date(2022, 4, 21)],
            "lift": [2.3456],
            "tweets": [7_000_000],
        }
    )
    content = csv_bytes(frame)
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig") == (
        "hashtag,at,date,lift,tweets\nامپورٹڈ_حکومت_نامنظور,2022-04-20T17:00:00Z,2022-04-21,2.35,7000000\n"
    )


def test_formula_cells_are_neutralised_but_numbers_are_not():
    frame = pl.DataFrame({"title": ["=HYPERLINK(1)", "+92 300", "-ve", "@host", "a=b"], "n": [-1, 2, 3, 4, 5]})
    assert csv_bytes(frame).decode("utf-8-sig").splitlines()[1:] == [
        "'=HYPERLINK(1),-1",
        "'+92 300,2",
        "'-ve,3",
        "'@host,4",
        "a=b,5",
    ]


# -- a whole set or nothing ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables():
    return compute_tables(load_data_dir(BUNDLED, "Asia/Karachi"), Filters())


NAMES = ["spaces.csv", "hashtag_daily.csv", "party_daily.csv", "party_summary.csv", "events.csv"]


def previous_set(out: Path) -> dict[str, bytes]:
    out.mkdir()
    for name in NAMES[:4]:
        (out / name).write_bytes(f"previous {name}\n".encode())
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_a_directory_in_the_way_leaves_the_previous_set_untouched(tables, tmp_path):
    out = tmp_path / "exports"
    before = previous_set(out)
    (out / "events.csv").mkdir()
    with pytest.raises(PulseError, match=r"events\.csv exist\(s\) but not as a file"):
        write_tables(tables, out)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, "events.csv"])  # no staging left over


def test_a_full_disk_part_way_leaves_the_previous_set_untouched(tables, tmp_path, monkeypatch):
    out = tmp_path / "exports"
    before = previous_set(out)
    written = []

    def fills_up(target: Path, content: bytes) -> None:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(target.name)
        target.write_bytes(content)

    monkeypatch.setattr("pulse.export.atomic_write", fills_up)
    with pytest.raises(PulseError) as caught:
        write_tables(tables, out)
    assert str(caught.value) == f"could not write the export to {out}: No space left on device; no file was changed"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_whole_set_replaces_the_previous_one(tables, tmp_path):
    out = tmp_path / "exports"
    previous_set(out)
    assert [p.name for p in write_tables(tables, out)] == NAMES
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    assert (out / "spaces.csv").read_bytes() == csv_bytes(tables.spaces)
