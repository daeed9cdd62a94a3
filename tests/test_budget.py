"""Memory bombs: every reader refuses a file over its budget before materialising it, naming the limit."""

import io
import zipfile

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from pulse import cli, config
from pulse.data.ingest import inspect
from pulse.data.load import load_hashtags
from pulse.errors import PulseError, ValidationError
from tests.conftest import BUNDLED

SPACES = "space_id,party,host,started_at,total_listeners\n"
ROW = "s{},PTI,h,2022-04-20T17:00:00Z,100\n"


@pytest.fixture
def never_read(monkeypatch):
    """Make polars' readers fail the test if they are reached: a refusal must come before them."""

    def materialised(*args, **kwargs):
        raise AssertionError("the file was read whole before its budget was checked")

    for reader in ("read_parquet", "read_csv", "read_excel"):
        monkeypatch.setattr(pl, reader, materialised)


def refusal(error: ValidationError) -> str:
    assert len(error.problems) == 1
    return str(error.problems[0])


def test_thirty_million_row_parquet_is_refused_from_its_footer(spaces_bomb, never_read):
    assert len(spaces_bomb) < 1_000_000  # under a megabyte on the wire
    with pytest.raises(ValidationError) as caught:
        inspect(spaces_bomb, "spaces.parquet", "spaces")
    assert refusal(caught.value) == (
        "spaces.parquet: too large: 30,000,000 rows, above the limit of 1,000,000 rows one file may have; "
        "split the file, or raise PULSE_MAX_ROWS if the server has the memory"
    )


def test_the_cli_refuses_the_bomb_in_a_data_directory(spaces_bomb, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("hashtags.csv", "rallies.csv"):
        (data / name).write_bytes((BUNDLED / name).read_bytes())
    (data / "spaces.parquet").write_bytes(spaces_bomb)
    assert cli.main(["export", "--data", str(data), "--out", str(tmp_path / "out")]) == 2
    assert "30,000,000 rows, above the limit of 1,000,000 rows" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_csv_is_refused_by_its_line_count(monkeypatch, never_read):
    monkeypatch.setenv("PULSE_MAX_ROWS", "2")
    with pytest.raises(ValidationError) as caught:
        inspect((SPACES + ROW.format(1) + ROW.format(2) + ROW.format(3)).encode(), "spaces.csv", "spaces")
    assert refusal(caught.value) == (
        "spaces.csv: too large: 3 rows, above the limit of 2 rows one file may have; "
        "split the file, or raise PULSE_MAX_ROWS if the server has the memory"
    )


def test_raising_the_limit_admits_the_file(monkeypatch):
    monkeypatch.setenv("PULSE_MAX_ROWS", "3")
    assert (
        inspect((SPACES + ROW.format(1) + ROW.format(2) + ROW.format(3)).encode(), "s.csv", "spaces").frame.height == 3
    )


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("Spaces")
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
    return buffer.getvalue()


def test_an_xlsx_is_refused_by_the_rows_of_its_first_sheet(monkeypatch, never_read):
    monkeypatch.setenv("PULSE_MAX_ROWS", "2")
    header = SPACES.strip().split(",")
    rows = [header, *[[f"s{i}", "PTI", "h", "2022-04-20T17:00:00Z", 100] for i in range(3)]]
    with pytest.raises(ValidationError) as caught:
        inspect(xlsx_bytes(rows), "spaces.xlsx", "spaces")
    assert "too large: 3 rows, above the limit of 2 rows" in refusal(caught.value)


def test_an_xlsx_that_unpacks_to_more_than_the_budget_is_refused(monkeypatch, never_read):
    monkeypatch.setenv("PULSE_MAX_UNPACKED_MB", "1")
    hosts = [f"{i:03}" + "x" * 32_000 for i in range(100)]  # an Excel cell holds at most 32,767 characters
    packed = xlsx_bytes([SPACES.strip().split(","), *[["s1", "PTI", h, "2022-04-20T17:00:00Z", 1] for h in hosts]])
    assert len(packed) < 100_000
    with pytest.raises(ValidationError) as caught:
        inspect(packed, "spaces.xlsx", "spaces")
    assert refusal(caught.value) == (
        "spaces.xlsx: too large: 4 MB of data, above the limit of 1 MB of data one file may have; "
        "split the file, or raise PULSE_MAX_UNPACKED_MB if the server has the memory"
    )


def test_a_parquet_file_that_unpacks_to_more_than_the_budget_is_refused(monkeypatch, never_read):
    monkeypatch.setenv("PULSE_MAX_UNPACKED_MB", "1")
    table = pa.table({"space_id": ["x" * 1_000_000 + str(i) for i in range(3)]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(ValidationError) as caught:
        inspect(buffer.getvalue(), "spaces.parquet", "spaces")
    assert "MB of data, above the limit of 1 MB of data" in refusal(caught.value)


def test_a_zip_that_is_not_a_workbook_is_reported():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError) as caught:
        inspect(buffer.getvalue(), "spaces.xlsx", "spaces")
    assert refusal(caught.value).startswith("spaces.xlsx: could not be read as xlsx:")


def test_raw_tweets_streamed_from_the_store_have_their_own_budget(monkeypatch, tmp_path):
    monkeypatch.setenv("PULSE_MAX_RAW_TWEETS", "2")
    path = tmp_path / "hashtags.csv"
    path.write_text("created_at,party,hashtag\n" + "2022-04-20T17:00:00Z,PTI,a\n" * 3, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_hashtags(path, "UTC")
    assert refusal(caught.value) == (
        "hashtags.csv: too large: 3 rows, above the limit of 2 rows one file may have; "
        "split the file, or raise PULSE_MAX_RAW_TWEETS if the server has the memory"
    )
    monkeypatch.setenv("PULSE_MAX_RAW_TWEETS", "3")
    assert load_hashtags(path, "UTC").counts["tweets"].to_list() == [3]


@pytest.mark.parametrize("value", ["lots", "0", "-5", "1000000001"])
def test_a_budget_setting_that_is_not_a_sensible_number_is_an_error(monkeypatch, value):
    monkeypatch.setenv("PULSE_MAX_ROWS", value)
    with pytest.raises(PulseError, match="PULSE_MAX_ROWS=.* is not a whole number from 1 to 1,000,000,000"):
        config.max_rows()
