"""CSV as analysts receive it: BOM, rounding, UTC times, neutralised formulas, whole files only."""

from datetime import date

import polars as pl

from pulse.export import csv_bytes
from tests.conftest import utc


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
