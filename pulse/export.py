"""Tables as analysts get them: CSV with a byte-order mark, floats to 2 decimals, no spreadsheet formulas."""

import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

from pulse.errors import PulseError
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
    """Write every table (and `more` tables) as `<name>.csv` in `out`, as one set: all of them, or none and the
    previous set untouched.

    The files are written whole into a staging directory inside `out`, and only then renamed into place, one
    rename each (which needs no space and cannot leave half a file). What could stop a rename, a directory in
    the way, is checked before anything is written.
    """
    contents = {f"{name}.csv": csv_bytes(frame) for name, frame in (tables.as_dict() | (more or {})).items()}
    if out.exists() and not out.is_dir():
        raise PulseError(f"{out} is a file, not a directory: choose another output directory")
    in_the_way = [name for name in contents if (out / name).exists() and not (out / name).is_file()]
    if in_the_way:
        raise PulseError(f"{out}: {', '.join(in_the_way)} exist(s) but not as a file; move it away and export again")
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".export-", suffix=".tmp"))
    except OSError as error:
        raise PulseError(f"cannot write to {out}: {error.strerror or error}") from error
    try:
        _stage(contents, staging, out)
        _move_into_place(list(contents), staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / name for name in contents]


def _stage(contents: dict[str, bytes], staging: Path, out: Path) -> None:
    try:
        for name, content in contents.items():
            atomic_write(staging / name, content)
    except OSError as error:
        raise PulseError(
            f"could not write the export to {out}: {error.strerror or error}; no file was changed"
        ) from error


def _move_into_place(names: list[str], staging: Path, out: Path) -> None:
    for done, name in enumerate(names):
        try:
            os.replace(staging / name, out / name)
        except OSError as error:
            replaced = ", ".join(names[:done]) or "no file"
            raise PulseError(
                f"could not move {name} into {out}: {error.strerror or error}; replaced: {replaced}"
            ) from error
