"""Tables as analysts get them: CSV with a byte-order mark, floats to 2 decimals, no spreadsheet formulas."""

from pathlib import Path

import polars as pl

from pulse.metrics import Tables
from pulse.schema import ZULU_FORMAT
from pulse.store import atomic_write

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets;
# a leading apostrophe makes the spreadsheet show it as text.
FORMULA_START = r"^([=+\-@\t\r])"


TEXT_CHARS = 140  # tweet texts leave the app cut to this many characters


def for_export(frame: pl.DataFrame) -> pl.DataFrame:
    """Round floats to 2 decimals, write times in UTC, cut tweet texts to 140 characters and neutralise text
    that a spreadsheet would execute."""
    if "text" in frame.columns:
        frame = frame.with_columns(pl.col("text").cast(pl.String).str.slice(0, TEXT_CHARS))
    return frame.with_columns(
        pl.col(pl.Float32, pl.Float64).round(2),
        pl.col(pl.Datetime).dt.convert_time_zone("UTC"),
        pl.col(pl.String, pl.Categorical, pl.Enum).cast(pl.String).str.replace(FORMULA_START, "'$1"),
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The CSV file an analyst downloads: UTF-8 with a BOM so Excel shows Urdu hashtags correctly."""
    text = for_export(frame).write_csv(datetime_format=ZULU_FORMAT, date_format="%Y-%m-%d")
    return "\ufeff".encode() + text.encode()


def write_tables(tables: Tables, out: Path, more: dict[str, pl.DataFrame] | None = None) -> list[Path]:
    """Write every table (and `more` tables) as `<name>.csv` in `out`; each file appears whole or not at all."""
    out.mkdir(parents=True, exist_ok=True)
    contents = {name: csv_bytes(frame) for name, frame in (tables.as_dict() | (more or {})).items()}
    written = []
    for name, content in contents.items():
        target = out / f"{name}.csv"
        atomic_write(target, content)
        written.append(target)
    return written
