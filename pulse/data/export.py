"""Tables as analysts get them: CSV with a byte-order mark or one Excel workbook, floats to 2 decimals,
whole numbers without a decimal point, a local-time twin beside every UTC time, no spreadsheet formulas."""

import io
import os
import re
import shutil
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import xlsxwriter

from pulse.data.contract import TEXT_CHARS, ZULU_FORMAT
from pulse.data.store import atomic_write
from pulse.errors import PulseError

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets;
# a leading apostrophe makes the spreadsheet show it as text.
FORMULA_START = r"^([=+\-@\t\r])"
# How a local-time twin is written in a CSV: Excel reads it as a date and time.
LOCAL_FORMAT = "%Y-%m-%d %H:%M"
LOCAL_SUFFIX = "_local"
WORKBOOK = "pulse-export.xlsx"
# Floats this large are written as they are: beyond 2^53 a float no longer holds every whole number.
WHOLE_LIMIT = 2.0**53
# Characters kept in a file name; anything else (a '/' in a party code, a space) becomes '_'.
_UNSAFE_IN_NAME = re.compile(r"[^\w.-]+")
MAX_PARTIES_IN_NAME = 4
# Workbook column widths, in characters (Excel's unit: the width of one digit). A column is as wide as its header
# or its widest value as shown, plus a margin, up to MAX_WIDTH; longer text wraps within it.
MAX_WIDTH = 50
WIDTH_MARGIN = 2
# How times and dates are shown in the workbook, and so how many characters they take.
XLSX_DATETIME = "yyyy-mm-dd hh:mm"
XLSX_DATE = "yyyy-mm-dd"
# A line of 11-point text is 15 points high. Neither Excel nor LibreOffice fits a row's height to its wrapped text
# when opening a file, so rows with wrapped text are given the height of their lines.
LINE_HEIGHT_PT = 15


def with_local_times(frame: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Each (zoned) time column followed by `<column>_local`: the same moment as a wall-clock time in `tz`."""
    columns: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        columns.append(pl.col(name))
        twin = f"{name}{LOCAL_SUFFIX}"
        if isinstance(dtype, pl.Datetime) and twin not in frame.columns:
            columns.append(pl.col(name).dt.convert_time_zone(tz).dt.replace_time_zone(None).alias(twin))
    return frame.select(columns)


def for_export(frame: pl.DataFrame, tz: str | None = None) -> pl.DataFrame:
    """Round floats to 2 decimals, write times in UTC (with local twins when `tz` is given), cut tweet texts to
    140 characters and neutralise text that a spreadsheet would execute."""
    if "text" in frame.columns:
        frame = frame.with_columns(pl.col("text").cast(pl.String).str.slice(0, TEXT_CHARS))
    # A time without a zone is UTC by the data contract.
    frame = frame.with_columns(
        pl.col(c).dt.replace_time_zone("UTC") if t.time_zone is None else pl.col(c).dt.convert_time_zone("UTC")
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime)
    )
    if tz is not None:
        frame = with_local_times(frame, tz)
    return frame.with_columns(
        pl.col(pl.Float32, pl.Float64).round(2),
        pl.col(pl.String, pl.Categorical, pl.Enum).cast(pl.String).str.replace(FORMULA_START, "'$1"),
    )


def _csv_number(column: pl.Expr) -> pl.Expr:
    """A rounded float as CSV text: a whole number without '.0' (22, not 22.0), others as they are."""
    whole = (column == column.round(0)) & (column.abs() < WHOLE_LIMIT)
    return pl.when(whole).then(column.cast(pl.Int64).cast(pl.String)).otherwise(column.cast(pl.String))


def csv_bytes(frame: pl.DataFrame, tz: str | None = None) -> bytes:
    """The CSV file an analyst downloads: UTF-8 with a BOM so Excel shows Urdu hashtags correctly.

    With `tz`, every UTC time has a `<column>_local` twin written as YYYY-MM-DD HH:MM in that zone.
    """
    exported = for_export(frame, tz)
    twins = [c for c, t in exported.schema.items() if isinstance(t, pl.Datetime) and t.time_zone is None]
    floats = [c for c, t in exported.schema.items() if t in (pl.Float32, pl.Float64)]
    text = exported.with_columns(
        pl.col(twins).dt.strftime(LOCAL_FORMAT), *(_csv_number(pl.col(c)).alias(c) for c in floats)
    ).write_csv(datetime_format=ZULU_FORMAT, date_format="%Y-%m-%d")
    return "\ufeff".encode() + text.encode()


def xlsx_bytes(frames: dict[str, pl.DataFrame], tz: str) -> bytes:
    """One Excel workbook, a sheet per table: numbers as numbers, times as dates (UTC, and local beside them),
    the header row frozen, text guarded against formulas as in the CSV files."""
    buffer = io.BytesIO()
    # Text is written as text, never turned into a formula or a link, whatever it starts with.
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    with xlsxwriter.Workbook(buffer, options) as workbook:
        for name, frame in frames.items():
            sheet = for_export(frame, tz).with_columns(pl.col(pl.Datetime).dt.replace_time_zone(None))
            widths = column_widths(sheet)
            sheet.write_excel(
                workbook,
                worksheet=_sheet_name(name),
                table_style=None,
                autofilter=False,
                freeze_panes=(1, 0),
                float_precision=2,
                dtype_formats={
                    pl.Datetime: XLSX_DATETIME,
                    pl.Date: XLSX_DATE,
                    (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64): "#,##0",
                    (pl.Float32, pl.Float64): "#,##0.00",
                },
                column_formats={c: {"text_wrap": True} for c, w in widths.items() if w == MAX_WIDTH} or None,
                # polars takes pixels (xlsxwriter's set_column_pixels): a digit is 7 px, and Excel adds 5 px.
                column_widths={c: w * 7 + 5 for c, w in widths.items()},
            )
            worksheet = workbook.get_worksheet_by_name(_sheet_name(name))
            for row, lines in _wrapped_lines(sheet, widths).items():
                worksheet.set_row(row + 1, lines * LINE_HEIGHT_PT)  # below the header row
    return buffer.getvalue()


def column_widths(sheet: pl.DataFrame) -> dict[str, int]:
    """Each column's width in characters as xlsx_bytes shows it: its header or its widest value, whichever is
    wider, plus WIDTH_MARGIN, at most MAX_WIDTH (text beyond it wraps)."""
    return {name: min(max(len(name), _widest_value(sheet[name])) + WIDTH_MARGIN, MAX_WIDTH) for name in sheet.columns}


def _widest_value(column: pl.Series) -> int:
    """Characters of the column's widest value in the workbook's formats (0 when it has none)."""
    dtype = column.dtype
    if column.null_count() == column.len():
        return 0
    if isinstance(dtype, pl.Datetime):
        return len(XLSX_DATETIME)
    if dtype == pl.Date:
        return len(XLSX_DATE)
    if dtype == pl.Boolean:
        return len("FALSE")
    if dtype.is_integer():  # the widest is the largest or the most negative, written as #,##0
        return max(len(f"{value:,}") for value in (column.min(), column.max()))
    if dtype.is_float():  # as #,##0.00
        return max(len(f"{value:,.2f}") for value in (column.min(), column.max()))
    return column.cast(pl.String).str.len_chars().max()


def _wrapped_lines(sheet: pl.DataFrame, widths: dict[str, int]) -> dict[int, int]:
    """Rows whose wrapped text takes more than one line, and how many lines it takes (by row index)."""
    wrapped = [c for c, w in widths.items() if w == MAX_WIDTH and sheet.schema[c] == pl.String]
    if not wrapped:
        return {}
    per_line = MAX_WIDTH - WIDTH_MARGIN
    lines = sheet.select(
        pl.max_horizontal(
            (pl.col(c).str.len_chars() + per_line - 1) // per_line + pl.col(c).str.count_matches("\n") for c in wrapped
        ).fill_null(1)
    ).to_series()
    return {row: lines[row] for row in (lines > 1).arg_true().to_list()}


def _sheet_name(name: str) -> str:
    """Excel allows 31 characters and none of []:*?/\\ in a sheet name."""
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31]


def export_name(
    name: str, suffix: str, start: date | None = None, end: date | None = None, parties: tuple[str, ...] | None = None
) -> str:
    """A download's file name carrying the view's filters: `party_summary_PTI-PML-N_2022-04-01_2022-04-30.csv`.

    Parties appear only when some are filtered out (up to four by code, else how many); dates when set.
    """
    parts = [name]
    if parties is not None:
        parts.append("-".join(parties) if len(parties) <= MAX_PARTIES_IN_NAME else f"{len(parties)}-parties")
    parts += [d.isoformat() for d in (start, end) if isinstance(d, date)]
    return _UNSAFE_IN_NAME.sub("_", "_".join(parts)) + suffix


def write_tables(frames: dict[str, pl.DataFrame], out: Path, tz: str, xlsx: bool = False) -> list[Path]:
    """Write every table as `<name>.csv` in `out`, or all of them as one `pulse-export.xlsx`,
    as one set: all of them, or none and the previous set untouched.

    The files are written whole into a staging directory inside `out`, and only then renamed into place, one
    rename each (which needs no space and cannot leave half a file). What could stop a rename, a directory in
    the way, is checked before anything is written.
    """
    if xlsx:
        contents = {WORKBOOK: xlsx_bytes(frames, tz)}
    else:
        contents = {f"{name}.csv": csv_bytes(frame, tz) for name, frame in frames.items()}
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
