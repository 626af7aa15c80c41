"""The records that flow through extraction. Immutable, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Mention(NamedTuple):
    """One measured quantity in a report's decoded text; text[char_start:char_end] == raw_text.

    A named tuple, not a dataclass: a report has a hundred or more of them, a tuple is several
    times cheaper to build, and its fields transpose into columns with zip()."""

    value: float
    unit: str | None
    approx: bool
    raw_text: str
    char_start: int
    char_end: int
    context: str  # the sentence the figure sits in
    section: str | None  # the heading it falls under
    sentence_start: int  # offset of `context` in the text, so context-relative positions map back


@dataclass(frozen=True)
class ReportMeta:
    """What a report says about itself: who issued it, for which year, when it was published."""

    title: str | None = None
    body: str | None = None
    jurisdiction: str | None = None
    department: str | None = None
    report_year: int | None = None
    published: str | None = None  # ISO date


@dataclass(frozen=True)
class Document:
    """A file after reading and decoding: the text every extractor sees, plus reader hints."""

    text: str
    encoding: str | None = None
    header: dict[str, str] = field(default_factory=dict)  # e.g. 发布机构 / 发布时间 from HTML
