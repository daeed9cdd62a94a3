"""A CSV file as text, checked the way an analyst reads it: by physical line.

polars reads the cells; what it does not say is checked here, and reported by line: the encoding (UTF-8, or
UTF-16 with a byte-order mark, which is decoded), a row with more or fewer fields than the header (polars
pads a short row with empty cells), a repeated column name (polars renames it), and, where a quoted cell
holds a line break, on which physical line each row starts.
"""

import codecs
import csv
import io

import polars as pl

from pulse.data import budget
from pulse.errors import MAX_REPORTED_PROBLEMS, Problem, ValidationError

POSITION = "__position"  # a row's 0-based physical line after the header, passed to validation.validate
_HEAD_CHARS = 1 << 16


def read_csv(data: bytes, file: str) -> tuple[pl.DataFrame, pl.Series | None]:
    """The cells as text, and each row's physical line when quoted line breaks make rows and lines differ."""
    data = _utf8(data, file)
    if not data.strip():
        raise budget.refusal(file, "the file is empty")
    if data.lstrip()[:1] == b"<":
        raise budget.refusal(file, "this is a web page (HTML or XML), not a CSV table")
    budget.check_csv(file, data)
    text = data.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text[:_HEAD_CHARS], newline="")))
    budget.check_columns(file, len(header))
    budget.check_unique_names(file, header)
    records = _records(text) if '"' in text else None
    _report_ragged(file, text, len(header), records)
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8")
    if records is None:
        return frame, None
    starts = pl.Series("line", [line for line, _ in records[1:]], dtype=pl.Int64)
    return frame, starts if starts.len() == frame.height else None


def _utf8(data: bytes, file: str) -> bytes:
    """UTF-8 bytes of the file: UTF-16 with a byte-order mark is decoded; other text must be valid UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].decode("utf-16", "replace").count("\n") + 1
            raise _bad_text(file, line, data[error.start : error.end], "not valid UTF-16") from None
    head = data[:8192]
    if b"\x00" in head:
        # Text in UTF-16 has a NUL in every other byte (ASCII) and is still valid UTF-8: say what it is.
        half = len(head) // 4
        if head[1::2].count(0) > half or head[0::2].count(0) > half:
            raise budget.refusal(file, "this looks like UTF-16 text without a byte-order mark: save it as CSV UTF-8")
        raise budget.refusal(file, "this is a binary file, not a CSV text file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.end]
        raise _bad_text(file, line, bad, "not valid UTF-8: save the file as CSV UTF-8") from None
    return data


def _bad_text(file: str, line: int, raw: bytes, reason: str) -> ValidationError:
    return ValidationError([Problem(file, line, None, raw.hex(" "), f"bytes {reason}")])


def _records(text: str) -> list[tuple[int, int]]:
    """(first physical line, number of fields) of every record, the header first."""
    reader = csv.reader(io.StringIO(text, newline=""))
    found, line = [], 1
    for record in reader:
        found.append((line, len(record) or 1))  # a blank line is one empty field, as polars reads it
        line = reader.line_num + 1
    return found


def _report_ragged(file: str, text: str, width: int, records: list[tuple[int, int]] | None) -> None:
    """Every line with more or fewer fields than the header, with its number."""
    if records is not None:
        counts = pl.DataFrame(records, schema={"line": pl.Int64, "fields": pl.Int64}, orient="row")
    else:  # no quotes: a line is a row and its fields are its commas plus one
        lines = pl.Series("text", [text]).str.split("\n").explode()
        lines = lines.head(-1) if text.endswith("\n") else lines
        counts = lines.to_frame().select(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("line"),
            (pl.col("text").str.count_matches(",", literal=True) + 1).alias("fields"),
        )
    ragged = counts.filter(pl.col("fields") != width)
    if ragged.is_empty():
        return
    problems = [
        Problem(file, line, None, None, f"this line has {fields} field(s), the header has {width}")
        for line, fields in ragged.head(MAX_REPORTED_PROBLEMS).iter_rows()
    ]
    raise ValidationError(problems, ragged.height)
