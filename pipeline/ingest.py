"""One file's bytes -> one reports row, its mentions and its text. A pure function of the bytes.

Because extraction of a file depends on nothing but its bytes (and its name), it can run in any
process, in any order, and be cached on the content hash.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pipeline.catalog import CatalogError
from pipeline.extract import UNITS, extract_mentions
from pipeline.indicators import default_matcher, match_sentence
from pipeline.metadata import extract_metadata, is_rule_of_law_report
from pipeline.readers import ReadError, detect_format, read_bytes
from pipeline.records import Mention

REPORT_COLUMNS = [
    "report_id", "source_file", "sha256", "title", "body", "jurisdiction", "department",
    "report_year", "published", "n_chars", "status", "message", "format", "encoding",
    "body_source", "source_url", "duplicate_of",
]  # fmt: skip


class MatchRow(NamedTuple):
    """The indicator a mention names, decided here in the worker (matching reads only the
    mention's own sentence, so it is part of the per-file pure function); one per mention that
    names one. The indicators step re-matches the reports a user correction touched."""

    mention_id: str
    report_id: str
    unit: str | None
    char_start: int
    char_end: int
    indicator_id: str
    cue: str
    scope: str | None


MATCH_COLUMNS = list(MatchRow._fields)
# a mentions row is its id, its report and the Mention's fields, in this order
MENTION_COLUMNS = ["mention_id", "report_id", *Mention._fields]


def mention_id_for(report_id: str, char_start: int) -> str:
    return f"{report_id}:{char_start}"


@dataclass
class FileResult:
    report: dict
    mentions: list[Mention] = field(default_factory=list)  # rows of `mentions`: MENTION_COLUMNS
    text: str | None = None
    # figures, matches and text are copied from the previous warehouse (same content hash)
    reused: bool = False
    has_text: bool = False  # the file was read (its text may have been handed over already)
    matches: list[MatchRow] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # CPU time per stage, for `bench`


def report_id_for(sha256: str) -> str:
    """Stable id from the content: the same bytes always get the same id."""
    return "r" + sha256[:15]


def empty_report(source_file: str, sha256: str) -> dict:
    row = dict.fromkeys(REPORT_COLUMNS)
    row.update(source_file=source_file, sha256=sha256, report_id=report_id_for(sha256), n_chars=0)
    return row


def process_bytes(
    source_file: str,
    data: bytes,
    keep_off_topic: bool = False,
    cached_shas: frozenset[str] = frozenset(),
) -> FileResult:
    """Read, decode and extract one report. Bad input gives a status, never an exception.

    When the content hash is in `cached_shas` the mentions are not extracted again: the caller
    copies them, their matches and the text from the previous warehouse (extraction is a pure
    function of the bytes).
    """
    t0 = time.perf_counter()
    sha = hashlib.sha256(data).hexdigest()
    report = empty_report(source_file, sha)
    suffix = Path(source_file).suffix
    report["format"] = detect_format(data, suffix)  # what the bytes are, whatever the suffix
    try:
        doc = read_bytes(data, suffix)
    except ReadError as exc:
        report.update(status=exc.status, message=exc.message)
        return FileResult(report, seconds={"decode": time.perf_counter() - t0})
    except Exception as exc:  # a parser library failing on a strange file must not stop the run
        report.update(
            status="read_error",
            message=f"the {report['format']} reader failed ({type(exc).__name__}); file not read",
        )
        return FileResult(report, seconds={"decode": time.perf_counter() - t0})
    t1 = time.perf_counter()
    text = doc.text
    meta = extract_metadata(text, doc.header)
    report.update(
        title=meta.title,
        body=meta.body,
        jurisdiction=meta.jurisdiction,
        department=meta.department,
        report_year=meta.report_year,
        published=meta.published,
        n_chars=len(text),
        encoding=doc.encoding,
        body_source="text" if meta.body else None,
        status="ok",
        message=None,
    )
    on_topic = is_rule_of_law_report(text)
    if not on_topic:
        report.update(
            status="not_rule_of_law_report",
            message="no rule-of-law vocabulary (法治/依法/普法/执法); figures "
            + ("kept as asked" if keep_off_topic else "not loaded (use --keep-off-topic)"),
        )
    mentions: list[Mention] = []
    reused = sha in cached_shas
    if (on_topic or keep_off_topic) and not reused:
        mentions = extract_mentions(text)
    t2 = time.perf_counter()
    matches = match_mentions(report["report_id"], mentions)
    t3 = time.perf_counter()
    return FileResult(
        report,
        mentions,
        None if reused else text,  # a reused report's text is copied with its figures
        reused=reused,
        has_text=True,
        matches=matches,
        seconds={"decode": t1 - t0, "extract": t2 - t1, "indicator match": t3 - t2},
    )


_CELL_NUMBER_RE = re.compile(r"\|\s*[0-9]")
_ROW_UNIT_RE = re.compile(r"[（(]([^（）()|]{1,3})[）)]")


def row_unit(sentence: str, offset: int) -> str | None:
    """A table cell's number (at `offset` in its sentence) takes its unit from the row label:
    "行政复议案件（件） | 12". Used where a figure has no unit of its own."""
    if "|" not in sentence:
        return None
    line_start = sentence.rfind("\n", 0, offset) + 1
    line_end = sentence.find("\n", offset)
    row = sentence[line_start : None if line_end < 0 else line_end]
    if len(_CELL_NUMBER_RE.findall(row)) != 1:
        return None  # several numbers in a row (one per year?): which is this report's is unclear
    units = [u for u in _ROW_UNIT_RE.findall(sentence[line_start:offset]) if u in UNITS]
    return units[-1] if units else None


def match_mentions(report_id: str, mentions: list[Mention]) -> list[MatchRow]:
    """Indicator matches of one report's mentions (one row per mention that names an indicator).
    Empty if the catalog cannot be loaded: the indicators step then reports why."""
    try:
        matcher = default_matcher()
    except CatalogError:
        return []
    by_sentence: dict[int, list[Mention]] = {}
    for m in mentions:
        by_sentence.setdefault(m.sentence_start, []).append(m)
    rows = []
    for start, group in by_sentence.items():
        sentence = group[0].context
        figures = [
            (
                m.char_start - start,
                m.char_end - start,
                m.unit or row_unit(sentence, m.char_start - start),
            )
            for m in group
        ]
        for m, hit in zip(group, match_sentence(matcher, sentence, figures), strict=True):
            if hit is not None:
                rows.append(
                    MatchRow(
                        mention_id_for(report_id, m.char_start),
                        report_id,
                        m.unit,
                        m.char_start,
                        m.char_end,
                        hit.indicator_id,
                        hit.cue,
                        hit.scope,
                    )
                )
    return rows
