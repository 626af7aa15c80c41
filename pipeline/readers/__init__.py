"""Read any supported report file into a Document; one module per format.

Every reader hands the same kind of decoded text to the same extractor, so char offsets always
refer to `Document.text`. A file that cannot be read raises ReadError with a status and a reason.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.readers.text import ReadError, decode_bytes
from pipeline.records import Document

MAX_BYTES = 50 * 1024 * 1024  # a real report is < 5 MB even as PDF; beyond this is not a report
TEXT_SUFFIXES = {".txt", ".text", ".md", ""}


def read_bytes(data: bytes, suffix: str) -> Document:
    """Turn a file's bytes into a Document, dispatching on its suffix."""
    suffix = suffix.lower()
    if len(data) > MAX_BYTES:
        raise ReadError(
            "too_large", f"{len(data) / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit"
        )
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_bytes(data)
        return Document(text=text, encoding=encoding)
    raise ReadError("unsupported_format", f"'{suffix}' files are not read (supported: .txt)")


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


__all__ = ["ReadError", "read_bytes", "read_file", "MAX_BYTES"]
