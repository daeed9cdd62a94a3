"""Scenario 3: the overview's "Download CSV" saves the party summary exactly as the table shows it, and the sidebar
saves the whole view as one Excel workbook, the one `python -m pulse export --format xlsx` writes."""

import csv
import io
import math

import openpyxl

from pulse.ui.columns import SUMMARY_COLUMNS
from tests.test_cli import CLAIMS, DRIVERS, STREAMS, TABLES, export

from .streamlit_dom import grid, selected, sidebar_multiselect


def same_value(shown: str, written: str) -> bool:
    """The grid holds raw values; the CSV has floats rounded to 2 decimals (pulse.data.export), integers as they are."""
    if shown == written:
        return True
    try:
        return math.isclose(float(shown), float(written), abs_tol=0.005 + 1e-9)
    except ValueError:
        return False


def test_download_csv_matches_the_summary_table(visitor, tmp_path):
    person = visitor()
    page = person.page
    person.open()
    table = grid(page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').last)  # the summary
    parties = selected(sidebar_multiselect(page, "Parties"))

    button = page.get_by_role("button", name="Download CSV")
    button.scroll_into_view_if_needed()
    person.shot("summary-and-button")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "party_summary_2022-03-01_2022-06-01.csv"  # the view's dates
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode()), "the CSV must start with a BOM so Excel reads Urdu text"
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    # as_of is a time: the CSV has it in UTC and, beside it, its local twin (the table shows it local, once).
    twin = header.index("as_of_local")
    assert header[twin - 1] == "as_of"
    assert {(row[twin - 1], row[twin]) for row in rows} == {("2022-06-01T00:00:00Z", "2022-06-01 05:00")}
    header = header[: twin - 1] + header[twin + 1 :]
    rows = [row[: twin - 1] + row[twin + 1 :] for row in rows]
    table["rows"] = [row[: twin - 1] + row[twin:] for row in table["rows"]]
    table["headers"].remove(SUMMARY_COLUMNS["as_of"]["label"])
    # Same columns, in the same order, as the table (which shows each column under its label). The grid's
    # accessible table holds only the columns in view (14 do not fit in 1,400 px): those are compared.
    assert len(header) == table["colcount"] - 1
    shown = len(table["headers"])
    assert shown >= 8, table["headers"]
    assert [SUMMARY_COLUMNS[name]["label"] for name in header[:shown]] == table["headers"]
    header, rows = header[:shown], [row[:shown] for row in rows]
    # Same rows: as many as the grid says it has, one per party in the filter, with the same values.
    assert len(rows) == table["rowcount"] - 1 == len(table["rows"])
    assert sorted(row[0] for row in rows) == sorted(parties)
    for shown, written in zip(table["rows"], rows, strict=True):
        mismatched = [(h, s, w) for h, s, w in zip(header, shown, written, strict=True) if not same_value(s, w)]
        assert not mismatched, f"row {written[0]}: {mismatched}"


def test_the_sidebar_downloads_the_whole_view_as_one_workbook(visitor, tmp_path):
    person = visitor()
    page = person.page
    person.open()
    button = page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Excel workbook of this view")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "pulse-export_2022-03-01_2022-06-01.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert (
        book.sheetnames == TABLES + STREAMS + DRIVERS + CLAIMS
    )  # who drives each hashtag too: the bundled data has raw tweets
    header = [c.value for c in book["party_summary"][1]]
    assert header == [c for name in SUMMARY_COLUMNS for c in ([name, "as_of_local"] if name == "as_of" else [name])]
    assert {row[0] for row in book["party_summary"].iter_rows(min_row=2, values_only=True)} == {
        "JUI-F", "MQM-P", "OTHER", "PML-N", "PPP", "PTI"
    }  # fmt: skip

    # The same workbook as the CLI's for the same filters (the view's dates, every party), value for value.
    result = export(
        "--data", str(person.app.data_dir), "--out", str(tmp_path / "cli"), "--format", "xlsx",
        "--start", "2022-03-01", "--end", "2022-06-01",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    exported = openpyxl.load_workbook(tmp_path / "cli" / "pulse-export.xlsx")
    assert exported.sheetnames == book.sheetnames
    for sheet in book.sheetnames:
        rows = list(book[sheet].iter_rows(values_only=True))
        assert len(rows) > 1, sheet
        # copy_bursts too: the app and the CLI hash account ids with the data directory's one author key.
        assert rows == list(exported[sheet].iter_rows(values_only=True)), sheet
