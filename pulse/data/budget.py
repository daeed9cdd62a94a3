"""Memory budgets, checked before a file is read: a small file must not make the server hold gigabytes.

Each check reads only what is cheap and bounded (a Parquet footer, a zip's directory and its first sheet
as it streams, the line breaks of a CSV) and raises a ValidationError naming the limit and its setting.
"""

import io
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

from pulse import config
from pulse.data import xlsx
from pulse.errors import Problem, ValidationError


def refusal(file: str, reason: str) -> ValidationError:
    return ValidationError([Problem(file, None, None, None, reason)])


def over(file: str, what: str, found: int, limit: int, setting: str) -> ValidationError:
    """A file over a budget: how much it has, the limit, and the setting that raises it."""
    return refusal(
        file,
        f"too large: {found:,} {what}, above the limit of {limit:,} {what} one file may have; split the file, "
        f"or raise {setting} if the server has the memory",
    )


def check_rows(file: str, rows: int, limit: int | None = None, setting: str = "PULSE_MAX_ROWS") -> None:
    limit = config.max_rows() if limit is None else limit
    if rows > limit:
        raise over(file, "rows", rows, limit, setting)


def check_columns(file: str, columns: int) -> None:
    if columns > (limit := config.max_columns()):
        raise over(file, "columns", columns, limit, "PULSE_MAX_COLUMNS")


def check_bytes(file: str, size: int) -> None:
    """What a file holds once unpacked (a CSV's size; what Parquet or xlsx decompress to)."""
    if size > (limit := config.max_unpacked_bytes()):
        megabytes = -(-size // (1024 * 1024))
        raise over(file, "MB of data", megabytes, limit // (1024 * 1024), "PULSE_MAX_UNPACKED_MB")


def check_csv(file: str, data: bytes) -> None:
    """A CSV's size, and its lines as an upper bound of its rows (a quoted line break makes a row two lines)."""
    check_bytes(file, len(data))
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    check_rows(file, lines - 1)


def check_parquet(file: str, data: bytes) -> None:
    """Rows, columns and unpacked size from the footer, before one value is decoded; unique column names."""
    try:
        metadata = pq.ParquetFile(io.BytesIO(data)).metadata
        names = metadata.schema.to_arrow_schema().names
    except (pa.ArrowException, OSError) as error:
        raise refusal(file, f"could not be read as parquet: {str(error).splitlines()[0]}") from None
    check_rows(file, metadata.num_rows)
    check_columns(file, metadata.num_columns)
    check_bytes(file, sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)))
    check_unique_names(file, names)


def check_xlsx(file: str, data: bytes) -> None:
    """The zip's unpacked size, the first sheet's rows (counted as it streams) and formulas with no result."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            check_bytes(file, xlsx.unpacked_size(archive))
            sheet = xlsx.first_sheet(archive)
            check_rows(file, sheet.rows - 1)
            formulas = xlsx.formulas_without_result(archive, sheet) if sheet.has_formulas else []
    # A zip that is not a workbook, lacks a part, is encrypted or uses an unknown compression; XML that is not.
    except (zipfile.BadZipFile, KeyError, StopIteration, SyntaxError, OSError, EOFError, NotImplementedError) as error:
        raise refusal(file, f"could not be read as xlsx: {error or type(error).__name__}") from None
    if formulas:
        raise ValidationError(
            [
                Problem(
                    file,
                    None,
                    None,
                    f"={cell.formula}",
                    f"sheet '{sheet.name}', cell {cell.cell}: a formula with no stored result would load as "
                    "empty or 0; open the file in Excel and save it, or paste the cells as values",
                )
                for cell in formulas
            ]
        )


def check_unique_names(file: str, names: list[str]) -> None:
    """Two columns with one name: which one is meant cannot be told, so neither is guessed."""
    seen: set[str] = set()
    repeated = [n for n in names if n in seen or seen.add(n)]
    if repeated:
        raise ValidationError(
            [
                Problem(file, 1, name, name, "duplicate column name: rename or remove one")
                for name in dict.fromkeys(repeated)
            ]
        )
