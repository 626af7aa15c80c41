"""HTML pages saved from government sites -> the report's text, without the page around it.

trafilatura finds the article and drops navigation, 浏览次数 / 字体【大 中 小】 widgets, login
links and footers. It is good at that but may drop a table or a short line inside the article,
and a lost figure is worse than a kept menu line (the extractor masks page furniture anyway). So
the page is also rendered in full, and when the part of it that spans trafilatura's article
holds figures trafilatura lost, that span is used instead.

The 发布机构 / 发布时间 / 索引号 / 标题 block that gov.cn pages put above the article goes into
Document.header, where metadata.extract_metadata reads it.
"""

from __future__ import annotations

import codecs
import contextlib
import email
import logging
import re
from collections import Counter
from collections.abc import Iterator
from email import policy

from lxml import etree
from lxml import html as lxml_html

from pipeline.readers.text import ReadError, decode_bytes, normalise_newlines

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".mht", ".mhtml"}
CHARSET_ALIASES = {  # what pages declare -> the codec that decodes what they really contain
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "cp936": "gb18030", "big5": "big5hkscs", "iso-8859-1": "utf-8", "us-ascii": "utf-8",
}  # fmt: skip
_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I
)
_MARKUP_START_RE = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|meta|body|title)\b",
    re.I | re.S,
)
_MHT_RE = re.compile(rb"^(?:[\w-]+:[^\n]*\r?\n)*?content-type:\s*multipart/related", re.I)
_DROP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
    "select", "option", "button", "input", "textarea", "head",
}  # fmt: skip
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "tbody", "thead",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "main", "header", "footer",
    "nav", "aside", "blockquote", "pre", "center", "form", "hr", "address", "figure", "caption",
}  # fmt: skip
_CELL_TAGS = {"td", "th"}
_CJK = "\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
_TITLE_RE = re.compile(r"(?:法治|法制|依法行政)[^\n]{0,30}(?:报告|情况|总结)")
# Labelled fields of the page header: (header key, labels). First label found wins.
_HEADER_FIELDS = (
    ("body", "发布机构|发文机关|发文单位|发布单位"),
    ("published", "发布日期|发布时间|发文日期|发文时间|成文日期|生效日期"),
    ("index_no", "索引号"),
    ("title", "标题"),
)
_DATE_RE = re.compile(r"(20[0-9]{2})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})")
_META_DATE_NAMES = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time")


def looks_like_html(data: bytes, suffix: str) -> bool:
    """True for a web page, whatever its suffix (an .html saved as .txt, a .doc that is HTML)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _MHT_RE.match(head):
        return True
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        sample = head.decode("utf-16", errors="ignore")
    else:
        sample = head.decode("latin-1")
    if _MARKUP_START_RE.match(sample):
        return True
    return (
        suffix in HTML_SUFFIXES
        and re.search(r"<(?:[a-zA-Z][a-zA-Z0-9]*|/[a-zA-Z]|!--)", sample) is not None
    )


def _mht_html(data: bytes) -> bytes:
    """The HTML part of a saved web archive (.mht), as bytes in its declared charset."""
    msg = email.message_from_bytes(data, policy=policy.compat32)
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                charset = part.get_content_charset()
                if charset and b"charset" not in payload[:4096].lower():
                    payload = f'<meta charset="{charset}">'.encode("ascii") + payload
                return payload
    raise ReadError("unsupported_format", "web archive (.mht) without an HTML page in it")


def decode_html(data: bytes) -> tuple[str, str]:
    """Bytes -> text: a byte-order mark, else the page's own <meta charset>, else guesses."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data)
    m = _META_CHARSET_RE.search(data[:8192])
    if m:
        declared = m.group(1).decode("ascii", "ignore").lower()
        encoding = CHARSET_ALIASES.get(declared, declared)
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return normalise_newlines(data.decode(encoding)), encoding
    return decode_bytes(data)  # the declaration lied or is missing: guess as for .txt files


def _squash(text: str) -> str:
    """HTML whitespace: a run of it is one space, and none at all between Chinese characters
    (the source wraps lines anywhere; "850\\n余场次" must stay one figure)."""
    text = re.sub(
        rf"(?<=[{_CJK}0-9])[ \t\r\n]+(?=[{_CJK}])|(?<=[{_CJK}])[ \t\r\n]+(?=[0-9])", "", text
    )
    return re.sub(r"[ \t\r\n\f\v]+", " ", text)


def _render(el: etree._Element, out: list[str]) -> None:
    """Visible text with one line per block and table cells joined by ' | ' within a row."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _DROP_TAGS or not isinstance(el.tag, str):
        if el.tail:
            out.append(_squash(el.tail))
        return
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n")
    if tag in _CELL_TAGS:
        out.append(" | ")
    if el.text:
        out.append(_squash(el.text))
    for child in el:
        _render(child, out)
    if block:
        out.append("\n")
    if el.tail:
        out.append(_squash(el.tail))


def render_lines(root: etree._Element) -> list[str]:
    out: list[str] = []
    body = root.find(".//body")
    _render(body if body is not None else root, out)
    lines = []
    for line in "".join(out).split("\n"):
        line = re.sub(r"^\s*\|\s*", "", line.replace("\xa0", " ")).strip()
        line = re.sub(r"\s*\|\s*(?:\|\s*)*", " | ", line).strip(" |")
        if line:
            lines.append(line)
    return lines


def _header(root: etree._Element, lines: list[str]) -> dict[str, str]:
    """Labelled fields above the article (发布机构: | 宁县教育局 |) and the page's meta tags."""
    page = "\n".join(lines[:200])
    header: dict[str, str] = {}
    for key, labels in _HEADER_FIELDS:
        m = re.search(rf"(?:{labels})\s*[:：]?\s*(?:\|\s*)?([^|\n]{{1,80}})", page)
        if m is None:
            continue
        value = re.split(r"\s{2,}| (?=\S+[:：])", m.group(1).strip())[0].strip()
        if key == "published":
            d = _DATE_RE.search(value)
            value = f"{int(d[1]):04d}-{int(d[2]):02d}-{int(d[3]):02d}" if d else ""
        elif key == "body":
            value = value if re.fullmatch(r"[\u4e00-\u9fff·（）()]{2,30}", value) else ""
        elif key == "title":
            value = re.sub(r"\s+", "", value) if _TITLE_RE.search(value) else ""
        if value:
            header[key] = value
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").lower()
        content = (meta.get("content") or "").strip()
        if (
            "published" not in header
            and name in _META_DATE_NAMES
            and (d := _DATE_RE.search(content))
        ):
            header["published"] = f"{int(d[1]):04d}-{int(d[2]):02d}-{int(d[3]):02d}"
        if "title" not in header and name == "articletitle" and _TITLE_RE.search(content):
            header["title"] = re.sub(r"\s+", "", content)
    if "title" not in header:
        for el in root.iter("h1", "h2", "h3", "title"):
            text = re.sub(r"\s+", "", el.text_content())
            text = re.split(r"[-_|–—]{1,2}(?=[^-_|–—]*(?:网|政府|门户|局)$)", text)[0]
            if 6 <= len(text) <= 60 and _TITLE_RE.search(text):
                header["title"] = text
                break
    return header


@contextlib.contextmanager
def _quiet_logger(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _key(line: str) -> str:
    return re.sub(r"[\W_]+", "", line)


def _article_span(full: list[str], article: list[str]) -> tuple[int, int] | None:
    """First and last line of the full page that trafilatura's article lines come from."""
    keys = [k for k in (_key(line)[:30] for line in article) if len(k) >= 4]
    keys = keys[:50] + keys[-50:] if len(keys) > 100 else keys  # the ends are what matter
    full_keys = [_key(line) for line in full]
    found: list[int] = []
    pos = 0
    for k in keys:
        for i in range(pos, len(full_keys)):
            if k in full_keys[i]:
                found.append(i)
                pos = i
                break
    return (found[0], found[-1]) if found else None


def _figures(text: str) -> Counter:
    from pipeline.extract import extract_mentions  # readers hand text to it; no cycle at import

    return Counter((m.value, m.unit, m.approx) for m in extract_mentions(text))


def _article(markup: str, full: list[str], title: str | None) -> str:
    import trafilatura

    with _quiet_logger("trafilatura"), _quiet_logger("htmldate"):
        extracted = trafilatura.extract(
            markup, include_tables=True, include_comments=False, include_images=False,
            include_links=False, favor_recall=True, deduplicate=False, output_format="txt",
        )  # fmt: skip
    article = [line.strip().strip("|").strip() for line in (extracted or "").splitlines()]
    article = [line for line in article if line]
    span = _article_span(full, article) if article else None
    if span is None:
        return "\n".join(full)  # no article found: the whole page; the extractor masks chrome
    start, end = span
    if title:  # trafilatura may also drop the article's first paragraphs: start after the title
        above = [i for i in range(max(0, start - 15), start) if _key(title) in _key(full[i])]
        start = above[-1] + 1 if above else start
    region = "\n".join(full[start : end + 1])
    text = "\n".join(article)
    if _figures(region) - _figures(text):
        return region  # trafilatura dropped a table or a line with figures in it
    return text


def read_html(data: bytes) -> tuple[str, str, dict[str, str]]:
    """A web page's bytes -> (report text, encoding, header fields)."""
    if _MHT_RE.match(data[:4096].lstrip()):
        data = _mht_html(data)
    markup, encoding = decode_html(data)
    markup = re.sub(r"^\s*<\?xml[^>]*\?>", "", markup)  # lxml refuses str with an encoding decl
    try:
        root = lxml_html.document_fromstring(markup)
    except (etree.ParserError, ValueError) as exc:
        raise ReadError("corrupt", f"not a readable HTML page ({exc})") from exc
    full = render_lines(root)
    if not full:
        raise ReadError("empty", "the web page shows no text")
    header = _header(root, full)
    title = header.get("title")
    body = _article(markup, full, title)
    if title and _key(title) not in _key(body[:300]):
        body = title + "\n" + body
    return body, encoding, header
