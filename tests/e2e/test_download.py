"""Scenario 3: the overview's "Download CSV" saves the party summary exactly as the table shows it."""

import csv
import io
import math

from pulse.ui import SUMMARY_COLUMNS

from .streamlit_dom import grid, selected, sidebar_multiselect


def same_value(shown: str, written: str) -> bool:
    """The grid holds raw values; the CSV has floats rounded to 2 decimals (pulse.export), integers as they are."""
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
    table = grid(page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first)
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
    # Same columns, in the same order, as the table (which shows each column under its label).
    assert [SUMMARY_COLUMNS[name]["label"] for name in header] == table["headers"]
    assert len(header) == table["colcount"]
    # Same rows: as many as the grid says it has, one per party in the filter, with the same values.
    assert len(rows) == table["rowcount"] - 1 == len(table["rows"])
    assert sorted(row[0] for row in rows) == sorted(parties)
    for shown, written in zip(table["rows"], rows, strict=True):
        mismatched = [(h, s, w) for h, s, w in zip(header, shown, written, strict=True) if not same_value(s, w)]
        assert not mismatched, f"row {written[0]}: {mismatched}"
