"""Excel formulas: a formula with no stored result is reported by sheet, cell and formula, never loaded as 0."""

import io
import zipfile

import openpyxl
import pytest
import xlsxwriter

from pulse.data.ingest import inspect
from pulse.errors import ValidationError

HEADER = ["space_id", "party", "host", "started_at", "total_listeners"]


def problems(content: bytes) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        inspect(content, "spaces.xlsx", "spaces")
    return [str(p) for p in caught.value.problems]


def written_by_xlsxwriter(formulas: bool) -> bytes:
    """xlsxwriter stores 0 as every formula's result and asks Excel to compute them all on opening."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("Spaces")
        sheet.write_row(0, 0, HEADER)
        sheet.write_row(1, 0, ["s1", "PTI", "Imran Khan", "2022-04-20T17:00:00Z"])
        if formulas:
            sheet.write_formula(1, 4, "=SUM(40000,4000)")
            sheet.write_formula(2, 1, '=HYPERLINK("http://evil.example/x","PTI")')
            sheet.write_row(2, 2, ["h", "2022-04-21T17:00:00Z", 5])
            sheet.write(2, 0, "s2")
        else:
            sheet.write(1, 4, 44000)
    return buffer.getvalue()


def test_xlsxwriter_formulas_are_reported_with_sheet_cell_and_formula():
    reason = (
        "a formula with no stored result would load as empty or 0; "
        "open the file in Excel and save it, or paste the cells as values"
    )
    assert problems(written_by_xlsxwriter(formulas=True)) == [
        f"spaces.xlsx: value '=SUM(40000,4000)': sheet 'Spaces', cell E2: {reason}",
        f"spaces.xlsx: value '=HYPERLINK(\"http://evil.example/x\",\"PTI\")': sheet 'Spaces', cell B3: {reason}",
    ]


def test_openpyxl_formulas_have_no_result_at_all():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(HEADER)
    sheet.append(["s1", "PTI", "h", "2022-04-20T17:00:00Z", "=SUM(40000,4000)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert [p.split(": a formula")[0] for p in problems(buffer.getvalue())] == [
        "spaces.xlsx: value '=SUM(40000,4000)': sheet 'Data', cell E2"
    ]


def test_a_workbook_of_values_loads():
    assert inspect(written_by_xlsxwriter(formulas=False), "spaces.xlsx", "spaces").frame[
        "total_listeners"
    ].to_list() == [44000]


def test_a_workbook_calamine_cannot_read_is_reported():
    # A cell pointing past the shared strings: our checks pass, calamine then fails.
    source = zipfile.ZipFile(io.BytesIO(written_by_xlsxwriter(formulas=False)))
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="3"><c r="A3" t="s"><v>99</v></c></row></sheetData>')
            archive.writestr(info, data)
    assert problems(broken.getvalue()) == [
        "spaces.xlsx: could not be read as xlsx: calamine error: Xlsx error: "
        "Cell string index not found in shared strings table"
    ]


def test_a_repeated_column_name_is_an_error():
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, [*HEADER, "party"])
        sheet.write_row(1, 0, ["s1", "PTI", "h", "2022-04-20T17:00:00Z", 5, "PPP"])
    assert problems(buffer.getvalue()) == [
        "spaces.xlsx, line 1, column 'party': value 'party': duplicate column name: rename or remove one"
    ]
