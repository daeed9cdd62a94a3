"""Exports as analysts receive them: BOM, rounding, whole numbers, UTC and local times, neutralised formulas,
names that carry the filters, and the Excel workbook."""

import errno
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from pulse.data.export import csv_bytes, export_name, write_tables, xlsx_bytes
from pulse.data.load import load_data_dir
from pulse.errors import PulseError
from pulse.metrics.filters import Filters
from pulse.metrics.summary import compute_tables
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


def test_whole_numbers_are_written_without_a_decimal_point():
    # A head-to-head table holds counts and percentages in one float column.
    frame = pl.DataFrame({"measure": ["Spaces", "Best Space", "Share"], "PTI": [22.0, 446_000.0, 86.908279]})
    assert csv_bytes(frame).decode("utf-8-sig").splitlines() == [
        "measure,PTI",
        "Spaces,22",
        "Best Space,446000",
        "Share,86.91",
    ]
    empty_and_odd = pl.DataFrame({"x": [None, -0.0, 0.004, 2.5, 2.0**60]})
    assert csv_bytes(empty_and_odd).decode("utf-8-sig").splitlines()[1:] == [
        "",
        "0",
        "0",
        "2.5",
        "1.152921504606847e+18",  # beyond 2^53 a float is not a whole number to trust: written as the float it is
    ]


def test_every_utc_time_has_a_local_twin_beside_it():
    frame = pl.DataFrame(
        {
            "space_id": ["sp-1"],
            "started_at": [utc(2022, 4, 20, 17)],
            "ended_at": [utc(2022, 4, 20, 19, 30)],
            "date": [date(2022, 4, 20)],
        }
    )
    assert csv_bytes(frame, "Asia/Karachi").decode("utf-8-sig").splitlines() == [
        "space_id,started_at,started_at_local,ended_at,ended_at_local,date",
        "sp-1,2022-04-20T17:00:00Z,2022-04-20 22:00,2022-04-20T19:30:00Z,2022-04-21 00:30,2022-04-20",
    ]
    # Half-hour zones too: 17:00 UTC is 22:30 in India.
    assert "2022-04-20 22:30" in csv_bytes(frame, "Asia/Kolkata").decode("utf-8-sig")


def test_download_names_carry_the_filters():
    assert (
        export_name("party_summary", ".csv", date(2022, 4, 1), date(2022, 4, 30), ("PTI", "PML-N"))
        == "party_summary_PTI-PML-N_2022-04-01_2022-04-30.csv"
    )
    assert export_name("spaces", ".csv", date(2022, 4, 1), date(2022, 4, 30)) == "spaces_2022-04-01_2022-04-30.csv"
    assert export_name("spaces", ".csv") == "spaces.csv"
    assert export_name("events", ".xlsx", parties=("A", "B", "C", "D", "E")) == "events_5-parties.xlsx"
    # A party code is data: it cannot reach another folder or break the name.
    assert export_name("spaces", ".csv", parties=("../x", "P P")) == "spaces_.._x-P_P.csv"


def test_workbook_has_a_sheet_per_table_with_typed_cells_and_guarded_text():
    spaces = pl.DataFrame(
        {
            "title": ['=HYPERLINK("http://x")', "امپورٹڈ_حکومت_نامنظور"],
            "started_at": [utc(2022, 4, 20, 17), utc(2022, 4, 21, 9, 30)],
            "total_listeners": [446_000, None],
            "record_multiple": [10.1363, None],
        }
    )
    daily = pl.DataFrame({"date": [date(2022, 4, 20)], "tweets": [7_000_000]})
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"spaces": spaces, "hashtag_daily": daily}, "Asia/Karachi")))
    assert book.sheetnames == ["spaces", "hashtag_daily"]
    sheet = book["spaces"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == ["title", "started_at", "started_at_local", "total_listeners", "record_multiple"]
    first, second = (list(r) for r in sheet.iter_rows(min_row=2))
    assert (first[0].value, first[0].data_type) == ('\'=HYPERLINK("http://x")', "s")  # text, never a formula
    assert first[1].value == datetime(2022, 4, 20, 17, 0) and first[1].is_date
    assert first[2].value == datetime(2022, 4, 20, 22, 0) and first[2].is_date
    assert type(first[3].value) is int and first[3].value == 446_000
    assert type(first[4].value) is float and first[4].value == 10.14
    assert second[0].value == "امپورٹڈ_حکومت_نامنظور"
    assert second[2].value == datetime(2022, 4, 21, 14, 30)
    assert second[3].value is None
    day = book["hashtag_daily"]["A2"]
    assert day.is_date and day.value == datetime(2022, 4, 20)
    assert book["hashtag_daily"]["B2"].value == 7_000_000


def column_widths(sheet) -> dict[str, int]:
    """Each column's width as Excel reads it (whole characters; the file adds the 5-pixel padding, 0.71)."""
    widths = {}
    for dimension in sheet.column_dimensions.values():
        for column in range(dimension.min, dimension.max + 1):
            widths[sheet.cell(1, column).value] = int(dimension.width)
    return widths


def test_workbook_columns_fit_their_header_and_widest_value_and_long_text_wraps():
    title = "Imported government na manzoor: what next? " * 3  # 129 characters
    spaces = pl.DataFrame(
        {
            "hashtag": ["ImportedHakumatNaManzoor", "x"],
            "started_at": [utc(2022, 4, 20, 17), None],
            "total_listeners": [446_000, -1_234_567],
            "lift": [12.3456, None],
            "is_record": [True, False],
            "title": [title, "short"],
            "none": pl.Series([None, None], dtype=pl.Int64),
        }
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"spaces": spaces}, "Asia/Karachi")))
    sheet = book["spaces"]
    # Each is its header or its widest value as shown, whichever is longer, plus 2; at most 50.
    assert column_widths(sheet) == {
        "hashtag": 24 + 2,  # ImportedHakumatNaManzoor
        "started_at": 16 + 2,  # 2022-04-20 17:00
        "started_at_local": 16 + 2,  # the header, as long as the time
        "total_listeners": 15 + 2,  # the header, longer than -1,234,567
        "lift": 5 + 2,  # 12.35
        "is_record": 9 + 2,  # the header, longer than FALSE
        "title": 50,  # 129 characters: capped, and wrapped
        "none": 4 + 2,  # no value: the header
    }
    assert sheet["G2"].alignment.wrap_text and not sheet["A2"].alignment.wrap_text
    # 129 characters at 48 a line take 3 lines of 15 points; the short row keeps the default height.
    assert sheet.row_dimensions[2].height == 45 and sheet.row_dimensions[3].height is None


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
        write_tables(tables.as_dict(), out, "Asia/Karachi")
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

    monkeypatch.setattr("pulse.data.export.atomic_write", fills_up)
    with pytest.raises(PulseError) as caught:
        write_tables(tables.as_dict(), out, "Asia/Karachi")
    assert str(caught.value) == f"could not write the export to {out}: No space left on device; no file was changed"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_whole_set_replaces_the_previous_one(tables, tmp_path):
    out = tmp_path / "exports"
    previous_set(out)
    assert [p.name for p in write_tables(tables.as_dict(), out, "Asia/Karachi")] == NAMES
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    assert (out / "spaces.csv").read_bytes() == csv_bytes(tables.spaces, "Asia/Karachi")
