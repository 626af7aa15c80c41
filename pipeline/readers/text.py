"""Bytes -> text for .txt files: UTF-8 (with or without BOM), UTF-16, GB18030/GBK, or a mix of
UTF-8 and GBK lines (a file pieced together from two sources)."""

from __future__ import annotations

import codecs
import re

_CJK_RE = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


class ReadError(Exception):
    """A file that cannot become report text; `status` goes into the reports table."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: Chinese text has NULs in neither half, ASCII in one half."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


# Every byte but the control characters a text report does not hold (\x00-\x08, \x0e-\x1f).
_NOT_CONTROL = bytes(b for b in range(256) if not (b <= 0x08 or 0x0E <= b <= 0x1F))


def _is_binary(text: str) -> bool:
    head = text[:20000]
    # counted on the UTF-8 bytes, where each control character is one byte of its own and no
    # other character has a byte below 0x20: deleting every other byte leaves exactly them
    # (several times faster than a regex over the characters)
    controls = head.encode("utf-8", "surrogatepass").translate(None, _NOT_CONTROL)
    return len(controls) > 0.01 * len(head) or b"\x00" in controls


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode report bytes; return (text, encoding). Raises ReadError with a status saying why not."""
    if not data or data.isspace():  # (strip() would copy the whole file)
        raise ReadError("empty", "the file is empty")
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ReadError(
                    "undecodable", f"{encoding} byte-order mark but {exc.reason}"
                ) from exc
            return _checked(text, encoding)
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return _checked(data.decode(utf16), utf16)
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:20000]:
        raise ReadError("binary", "binary content (NUL bytes), not a text report")
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    mixed = _decode_mixed(data)
    if mixed is not None:
        return _checked(mixed, "mixed utf-8 and gb18030")
    try:
        return _checked(data.decode("gb18030"), "gb18030")
    except UnicodeDecodeError:
        pass
    # A few stray bytes (a file cut mid-character, a pasted fragment): keep the text, say so.
    for encoding in ("utf-8", "gb18030"):
        text = data.decode(encoding, errors="replace")
        if text.count("\ufffd") <= 0.01 * len(text):
            return _checked(text, f"{encoding} (with replacements)")
    raise ReadError("undecodable", "not decodable as UTF-8, UTF-16 or GB18030 text")


def _decode_mixed(data: bytes) -> str | None:
    """A file pieced together from a UTF-8 and a GBK source decodes line by line, each line in
    its own encoding. None when no line is UTF-8 Chinese (then the file is simply GBK)."""
    lines = data.split(b"\n")
    utf8_lines = 0
    decoded: list[str] = []
    for raw in lines:
        try:
            line = raw.decode("utf-8")
            if _CJK_RE.search(line):
                utf8_lines += 1
        except UnicodeDecodeError:
            line = raw.decode("gb18030", errors="replace")
        decoded.append(line)
    if utf8_lines == 0:
        return None
    text = "\n".join(decoded)
    return text if text.count("\ufffd") <= 0.01 * len(text) else None


def _checked(text: str, encoding: str) -> tuple[str, str]:
    text = normalise_newlines(text.lstrip("\ufeff"))
    if _is_binary(text):
        raise ReadError("binary", "binary content (control characters), not a text report")
    if not text.strip():
        raise ReadError("empty", "the file holds only whitespace")
    return text, encoding
