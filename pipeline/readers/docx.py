"""Word .docx -> text: paragraphs and tables in document order (python-docx parses the package).

Many reports put their figures in tables, so a table row becomes one line with its cells joined
by " | ": the row label and its number stay in one sentence. A table used only for layout (one
filled cell per row, e.g. a whole report typed inside a frame) is read as ordinary paragraphs.
A cell merged down from the row above repeats that cell's label.

A .docx is a zip archive, so before anything is unpacked the sizes in its directory are checked:
a few hundred kilobytes that unpack to gigabytes are a zip bomb, not a report. A legacy .doc is a
different, binary format that needs Word or LibreOffice; it gets a status asking for a .docx.
"""

from __future__ import annotations

import io
import re
import zipfile

from pipeline.readers.text import ReadError

MAX_UNZIPPED = 200 * 1024 * 1024  # a report with photos unpacks to tens of MB at most
MAX_ENTRIES = 10_000
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OTHER_ZIPS = (  # (a file every such archive has, what to tell the user)
    ("xl/workbook.xml", "an Excel workbook, not a Word document"),
    ("ppt/presentation.xml", "a PowerPoint file, not a Word document"),
    ("content.xml", "an OpenDocument/WPS file; save it as .docx"),
)
_SKIP = {MC_FALLBACK, W + "instrText", W + "delText", W + "rPr", W + "pPr", W + "sectPr"}


def check_zip(data: bytes) -> zipfile.ZipFile:
    """Open the archive and refuse it if it is not one, or unpacks to something huge."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ReadError(
            "corrupt", f"not a readable .docx: the zip archive is damaged or it is not one ({exc})"
        ) from exc
    if len(infos) > MAX_ENTRIES:
        raise ReadError("too_large", f"zip archive of {len(infos)} files: not a Word document")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNZIPPED:
        raise ReadError(
            "too_large",
            f"unpacks to {unpacked / 1e6:,.0f} MB (limit {MAX_UNZIPPED // 2**20} MB) from "
            f"{len(data) / 1e6:,.1f} MB: a zip bomb, not a report",
        )
    names = set(archive.namelist())
    if not any(name.startswith("word/") for name in names):
        for marker, what in _OTHER_ZIPS:
            if marker in names:
                raise ReadError("unsupported_format", f"this is {what}")
        raise ReadError("unsupported_format", "a zip archive, not a Word document")
    return archive


def _inline_text(el, out: list[str]) -> None:
    """Text of a paragraph's runs, hyperlinks, fields and text boxes (the fallback copy of a
    text box is skipped, or its text would come out twice)."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "t":
            out.append(child.text or "")
        elif tag in (W + "tab", W + "ptab"):
            out.append(" ")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "p":
            out.append("\n")  # a paragraph inside a text box
            _inline_text(child, out)
            out.append("\n")
        else:
            _inline_text(child, out)


def paragraph_text(p) -> str:
    out: list[str] = []
    _inline_text(p, out)
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()


def _cells(tr) -> list:
    """The cells of a row, also those wrapped in content controls."""
    cells = []
    for child in tr:
        if child.tag == W + "tc":
            cells.append(child)
        elif child.tag in (W + "sdt", W + "customXml"):
            cells.extend(c for c in child.iter(W + "tc"))
    return cells


def _rows(tbl) -> list:
    """The table's own rows (nested tables are read with their cell), also inside content
    controls."""
    rows = []
    for child in tbl:
        if child.tag == W + "tr":
            rows.append(child)
        elif child.tag in (W + "sdt", W + "customXml"):
            for content in [child, *child.findall(W + "sdtContent")]:
                rows.extend(c for c in content if c.tag == W + "tr")
    return rows


def _span(tc) -> int:
    grid = tc.find(f"{W}tcPr/{W}gridSpan")
    value = grid.get(W + "val") if grid is not None else None
    return int(value) if value and value.isdigit() and 0 < int(value) < 100 else 1


def _merged_down(tc) -> bool:
    merge = tc.find(f"{W}tcPr/{W}vMerge")
    return merge is not None and merge.get(W + "val") != "restart"


def _table_lines(tbl) -> list[str]:
    rows: list[list[tuple[int, object]]] = []
    for tr in _rows(tbl):
        col, row = 0, []
        for tc in _cells(tr):
            row.append((col, tc))
            col += _span(tc)
        rows.append(row)
    if all(sum(1 for _, tc in row if "".join(tc.itertext()).strip()) <= 1 for row in rows):
        lines: list[str] = []  # a layout table: its cells are ordinary text
        for row in rows:
            for _, tc in row:
                lines.extend(block_lines(tc))
        return lines
    lines = []
    above: dict[int, str] = {}
    for row in rows:
        texts = []
        for col, tc in row:
            text = " ".join(block_lines(tc)).replace("\n", " ").strip()
            if _merged_down(tc):
                text = above.get(col, "")
            above[col] = text
            if text:
                texts.append(text)
        if texts:
            lines.append(" | ".join(texts))
    return lines


def block_lines(container) -> list[str]:
    """Paragraphs and table rows of a body, cell or content control, in document order."""
    lines: list[str] = []
    for child in container:
        tag = child.tag
        if tag == W + "p":
            lines.extend(x for x in paragraph_text(child).split("\n") if x.strip())
        elif tag == W + "tbl":
            lines.extend(_table_lines(child))
        elif tag in (W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag"):
            lines.extend(block_lines(child))
    return lines


def read_docx(data: bytes) -> str:
    """A .docx's bytes -> its text. Raises ReadError for a damaged, bomb or non-Word archive."""
    check_zip(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        body = document.element.body
        lines = block_lines(body)
    except ReadError:
        raise
    except Exception as exc:  # python-docx/lxml raise many kinds of errors on a broken package
        raise ReadError("corrupt", f"damaged .docx, cannot be read ({type(exc).__name__})") from exc
    text = "\n".join(lines)
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)
