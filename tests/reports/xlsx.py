"""Reading back an XLSX file without a spreadsheet library: unzip it and read each sheet's XML."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
EPOCH = datetime(1899, 12, 30)


def serial(moment: date | datetime) -> float:
    """The number a spreadsheet stores for a date or a (naive UTC) date and time."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, datetime.min.time())
    delta = moment.replace(tzinfo=None) - EPOCH
    # Whole days plus the fraction of the day, written with 16 significant digits, as XlsxWriter does.
    return float(f"{delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400:.16G}")


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def read_workbook(data: bytes) -> dict[str, list[list]]:
    """{sheet name: rows}, each row a list of str/float/bool/None; missing rows are []."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{REL}Relationship")}
    shared: list[str] = []
    if "xl/sharedStrings.xml" in archive.namelist():
        strings = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
        shared = [
            "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in strings.findall("m:si", NS)
        ]
    sheets = {}
    for sheet in workbook.find("m:sheets", NS):
        target = targets[sheet.get(f"{{{NS['r']}}}id")]
        root = ElementTree.fromstring(archive.read(f"xl/{target}"))
        rows: list[list] = []
        for row in root.find("m:sheetData", NS):
            index = int(row.get("r")) - 1
            while len(rows) <= index:
                rows.append([])
            cells: list = []
            for cell in row.findall("m:c", NS):
                column = _column(cell.get("r"))
                while len(cells) < column:
                    cells.append(None)
                kind = cell.get("t")
                if kind == "inlineStr":
                    value = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
                elif kind == "s":
                    value = shared[int(cell.find("m:v", NS).text)]
                elif kind == "b":
                    value = cell.find("m:v", NS).text == "1"
                else:
                    value = float(cell.find("m:v", NS).text)
                cells.append(value)
            rows[index] = cells
        sheets[sheet.get("name")] = rows
    return sheets
