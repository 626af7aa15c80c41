"""Read any supported report file into a Document; one module per format.

The format is sniffed from the bytes, not trusted from the suffix: an .html page saved as .txt, a
PDF without its suffix, a ".doc" that is really a web page are all read for what they are.
Every reader hands the same kind of decoded text to the same extractor, so char offsets always
refer to `Document.text`. A file that cannot be read raises ReadError with a status and a reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.readers.text import ReadError, decode_bytes, normalise_newlines
from pipeline.records import Document

MAX_BYTES = 50 * 1024 * 1024  # a real report is < 5 MB even as PDF; beyond this is not a report
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
BINARY_SUFFIXES = {".pdf", ".docx", ".doc", ".wps"}  # a text file under these names is read as text
FORMATS = ("txt", "html", "pdf", "docx")  # what is read; anything else gets unsupported_format
_SIGNATURES = (  # (magic bytes at the start, format)
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (b"{\\rtf", "rtf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
)
_UNSUPPORTED = {
    "ole2": "a legacy Word 97-2003 .doc (or .wps/.xls) file, which cannot be read without "
    "LibreOffice; open it in Word or WPS and save it as .docx",
    "rtf": "an RTF document; open it in Word or WPS and save it as .docx",
    "image": "an image; OCR is not supported, find a text version of the report",
}


def detect_format(data: bytes, suffix: str) -> str:
    """What the bytes are: txt, html, pdf, docx, zip, or ole2 / rtf / image (unsupported)."""
    suffix = suffix.lower()
    if b"%PDF-" in data[:1024]:
        return "pdf"
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            if kind == "zip":  # a .docx, or an .xlsx/.odt/.zip the docx reader names
                return "docx" if b"word/" in data else "zip"
            return kind
    from pipeline.readers.html import looks_like_html

    if looks_like_html(data, suffix):
        return "html"
    return "txt"


def _clean(text: str) -> str:
    """Control characters a PDF or Word file may carry are not text."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", normalise_newlines(text))


def read_bytes(data: bytes, suffix: str) -> Document:
    """Turn a file's bytes into a Document, dispatching on what the bytes are."""
    if len(data) > MAX_BYTES:
        raise ReadError(
            "too_large", f"{len(data) / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit"
        )
    kind = detect_format(data, suffix)
    if kind in _UNSUPPORTED:
        raise ReadError("unsupported_format", f"this is {_UNSUPPORTED[kind]}")
    if kind == "txt":
        try:
            text, encoding = decode_bytes(data)
        except ReadError as exc:
            if exc.status in ("binary", "undecodable") and suffix.lower() in BINARY_SUFFIXES:
                raise ReadError(
                    "corrupt",
                    f"not a readable {suffix.lower()} file: its bytes do not start like one "
                    "(damaged, or another kind of file renamed)",
                ) from exc
            raise
        return Document(text=text, encoding=encoding)
    if kind == "html":
        from pipeline.readers.html import read_html

        text, encoding, header = read_html(data)
        doc = Document(text=_clean(text), encoding=encoding, header=header)
    elif kind == "pdf":
        from pipeline.readers.pdf import read_pdf

        doc = Document(text=_clean(read_pdf(data)))
    else:  # docx, or another zip archive: the docx reader says what it is
        from pipeline.readers.docx import read_docx

        doc = Document(text=_clean(read_docx(data)))
    if not doc.text.strip():
        raise ReadError("empty", f"the {kind} file holds no text")
    return doc


def read_file(path: Path) -> tuple[bytes, Document]:
    """Read and decode one file. Raises ReadError; never any other exception for bad input."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReadError(
                "too_large", f"{size / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError("read_error", f"cannot read the file: {exc.strerror or exc}") from exc
    return data, read_bytes(data, path.suffix)


__all__ = ["ReadError", "read_bytes", "read_file", "detect_format", "MAX_BYTES", "FORMATS"]
