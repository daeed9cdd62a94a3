"""What an xlsx file holds, read from its zip before calamine parses it: the first sheet's size and formulas.

calamine (pulse.data.load's Excel reader) reads the first sheet whole, and a formula's stored result as the
cell's value. Both need a look first: a small xlsx can unpack to gigabytes, and a formula written by a tool
that never computed it (openpyxl, xlsxwriter) has no result, or a placeholder 0, that would load as data.
"""

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

CHUNK = 1 << 20
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A row element, with or without a namespace prefix (<row r="2">, <x:row r="2">).
_ROW = re.compile(rb"<(?:\w{1,8}:)?row[\s>/]")
_FORMULA = re.compile(rb"<(?:\w{1,8}:)?f[\s>/]")
_LONGEST_TAG = 16


@dataclass(frozen=True)
class Sheet:
    """The sheet calamine reads: its name, how many rows it has, and whether any cell holds a formula."""

    name: str
    path: str
    rows: int
    has_formulas: bool


@dataclass(frozen=True)
class FormulaCell:
    cell: str  # e.g. B3
    formula: str


def unpacked_size(archive: zipfile.ZipFile) -> int:
    """What every member of the zip says it unpacks to (zipfile refuses a member that unpacks to more)."""
    return sum(info.file_size for info in archive.infolist())


def first_sheet(archive: zipfile.ZipFile) -> Sheet:
    """The workbook's first sheet, its rows counted as the XML streams (never held whole)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
    if sheet is None:
        raise KeyError("the workbook has no sheet")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next(
        r.get("Target") for r in relations.iter(f"{_PACKAGE_REL}Relationship") if r.get("Id") == sheet.get(f"{_REL}id")
    )
    path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
    rows, formulas = 0, False
    for block in _blocks(archive, path):
        rows += len(_ROW.findall(block))
        formulas = formulas or _FORMULA.search(block) is not None
    return Sheet(sheet.get("name", "Sheet1"), path, rows, formulas)


def _blocks(archive: zipfile.ZipFile, path: str) -> Iterator[bytes]:
    """The member in consecutive pieces that never cut a tag the patterns look for in two."""
    with archive.open(path) as stream:
        tail = b""
        while chunk := stream.read(CHUNK):
            block = tail + chunk
            # A tag can only be cut at the last '<'; further back than a tag is long, it is whole already.
            cut = block.rfind(b"<")
            cut = len(block) if cut < 0 or len(block) - cut > _LONGEST_TAG else cut
            yield block[:cut]
            tail = block[cut:]
        yield tail


def formulas_without_result(archive: zipfile.ZipFile, sheet: Sheet) -> list[FormulaCell]:
    """Cells of `sheet` whose formula has no stored result, or one the workbook says was never computed."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    calc = workbook.find(f"{_MAIN}calcPr")
    never_computed = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
    found = []
    with archive.open(sheet.path) as stream:
        for _, element in ElementTree.iterparse(stream):
            if element.tag != f"{_MAIN}c":
                continue
            formula, value = element.find(f"{_MAIN}f"), element.find(f"{_MAIN}v")
            if formula is not None and (never_computed or value is None or not value.text):
                found.append(FormulaCell(element.get("r", "?"), formula.text or "(shared formula)"))
            element.clear()
    return found
