"""PDF attachments -> text: the text layer, pages joined, wrapped lines put back together.

A PDF stores lines, not paragraphs: "开展法治讲座850余\\n场次" must become one sentence again or the
figure is cut in two. A line as wide as the text column that does not end a sentence is joined
to the next one; short lines (headings, the last line of a paragraph) keep their line break.
Page numbers ("- 3 -", "第3页 共9页") are dropped. No OCR: a scan has no text layer and gets the
status `scanned_pdf`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator

from pipeline.readers.text import ReadError

MAX_PAGES = 2000  # a yearly report has 5-60 pages; thousands is not a report
MIN_CHARS_PER_PAGE = 30  # below this on average, the pages are images (a scan)
_PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:[-—–－]\s*[0-9]{1,4}\s*[-—–－]|[0-9]{1,4}|第\s*[0-9]{1,4}\s*页(?:\s*[,，/]?\s*共\s*[0-9]{1,4}\s*页)?"
    r"|[0-9]{1,4}\s*/\s*[0-9]{1,4}|page\s*[0-9]{1,4}(?:\s*of\s*[0-9]{1,4})?)\s*$",
    re.I,
)
_SENTENCE_END = "。！？!?；;：:」』”"
_CJK = "\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """pypdf reports every oddity of a damaged file through logging and warnings; the run reports
    one line per file instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _drop_page_numbers(lines: list[str]) -> list[str]:
    """Page furniture sits in the first or last two lines of a page."""
    keep = list(lines)
    for i in [0, 1, len(keep) - 1, len(keep) - 2]:
        if 0 <= i < len(keep) and _PAGE_NUMBER_RE.match(keep[i]):
            keep[i] = ""
    return [line for line in keep if line.strip()]


def _tidy_spaces(text: str) -> str:
    """Glyph gaps come out as spaces: none belongs between Chinese characters or between a
    number and its measure word. A PDF that spaces every glyph ("宁 县 3 5 9 所") is closed up
    completely, digits included."""
    spaced = len(re.findall(rf"[{_CJK}0-9] (?=[{_CJK}0-9])", text))
    if spaced > 0.3 * max(1, len(re.findall(rf"[{_CJK}]", text))):
        text = re.sub(rf"(?<=[{_CJK}0-9.,%]) (?=[{_CJK}0-9.,%])", "", text)
    return re.sub(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}0-9])|(?<=[0-9])[ \t]+(?=[{_CJK}])", "", text)


def join_lines(pages: list[list[str]]) -> str:
    """Pages of lines -> text with one line per paragraph or heading."""
    lines = [line.rstrip() for page in pages for line in page if line.strip()]
    if not lines:
        return ""
    widths = sorted(_width(line.strip()) for line in lines)
    column = widths[int(0.9 * (len(widths) - 1))]  # the width of a full line of the text column
    out: list[str] = []
    joining = False
    for line in lines:
        indented = line[:1] in " \t\u3000"
        stripped = line.strip()
        if joining and not indented:
            out[-1] += stripped
        else:
            out.append(stripped)
        joining = _width(stripped) >= 0.85 * column and stripped[-1] not in _SENTENCE_END
    return "\n".join(out)


def read_pdf(data: bytes) -> str:
    """A PDF's bytes -> its text. Raises ReadError for a truncated, damaged, locked or scanned file."""
    eof = data.rfind(b"%%EOF")
    if eof == -1 or len(data) - eof > 16384:
        raise ReadError(
            "corrupt", "truncated PDF (no end-of-file marker): the download was cut; fetch it again"
        )
    from pypdf import PdfReader

    with _quiet():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ReadError("encrypted", "password-protected PDF; save an unlocked copy")
            n_pages = len(reader.pages)
        except ReadError:
            raise
        except Exception as exc:  # pypdf raises anything from KeyError to RecursionError on junk
            raise ReadError(
                "corrupt", f"damaged PDF, cannot be read ({type(exc).__name__})"
            ) from exc
        if n_pages == 0:
            raise ReadError("corrupt", "PDF without pages")
        if n_pages > MAX_PAGES:
            raise ReadError("too_large", f"{n_pages} pages is over the {MAX_PAGES}-page limit")
        pages: list[list[str]] = []
        failed = 0
        for page in reader.pages:
            try:
                text = page.extract_text() or ""
            except Exception:  # one damaged page should not lose the others
                failed += 1
                text = ""
            text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)
            pages.append(_drop_page_numbers(_tidy_spaces(text).splitlines()))
    if failed == n_pages:
        raise ReadError("corrupt", "damaged PDF: no page could be read")
    meaningful = sum(1 for page in pages for line in page for c in line if c.isalnum())
    if meaningful < MIN_CHARS_PER_PAGE * n_pages:
        raise ReadError(
            "scanned_pdf",
            f"PDF of {n_pages} page(s) with no text layer (a scan?); OCR is not supported, "
            "find a text version of the report",
        )
    return join_lines(pages)
