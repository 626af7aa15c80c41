"""The records that flow through extraction. Frozen dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mention:
    """One measured quantity in a report's decoded text; text[char_start:char_end] == raw_text."""

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
