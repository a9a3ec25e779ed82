"""Bomb files for ``make soak``: small uploads that expand to a lot (never collected by pytest).

``shared_strings_xlsx``: a ~0.3 MB workbook whose 300 shared strings are 1 MB each (300 MB of
cell text once unzipped), referenced by a 300-row sheet with a time and an event column. The
engine must refuse it (uncompressed-size / cell-length limits) or read it within the memory
budget; the soak measures the server either way.
"""

from __future__ import annotations

import io
import zipfile

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="cohort" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def shared_strings_xlsx(count: int = 300, size: int = 1_000_000) -> bytes:
    """A workbook of ``count`` rows whose note cells are ``count`` shared strings of ``size``
    characters each (compressed: about 1 KB per MB of text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="{count}" '
                       f'uniqueCount="{count}">'.encode())
            filler = b"A" * (size - 8)
            for index in range(count):
                part.write(b"<si><t>" + f"{index:08d}".encode() + filler + b"</t></si>")
            part.write(b"</sst>")
        rows = ['<row r="1"><c r="A1" t="inlineStr"><is><t>time</t></is></c>'
                '<c r="B1" t="inlineStr"><is><t>event</t></is></c>'
                '<c r="C1" t="inlineStr"><is><t>note</t></is></c></row>']
        for index in range(count):
            r = index + 2
            rows.append(f'<row r="{r}"><c r="A{r}"><v>{index % 60 + 1}</v></c>'
                        f'<c r="B{r}"><v>{index % 2}</v></c><c r="C{r}" t="s"><v>{index}</v>'
                        "</c></row>")
        archive.writestr("xl/worksheets/sheet1.xml",
                         f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>'
                         + "".join(rows) + "</sheetData></worksheet>")
    return buffer.getvalue()


BOMBS = {"shared-strings-300x1MB.xlsx": shared_strings_xlsx}
