"""The indicator catalog (pipeline/indicators.yml): load it, check it, compile its cues.

The catalog is data: adding an indicator or a phrasing is an edit of the YAML file. This module
refuses a catalog that would make matching ambiguous (a cue under two ids, an id without unit or
names) with one clear message naming the file and the entry, never a traceback deep in matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.paths import PACKAGE_DIR

CATALOG_FILE = PACKAGE_DIR / "indicators.yml"
KINDS = ("count", "rate", "context")
POSITIONS = ("before", "after", "any")
TOPICS = ("law", "education")
TOPIC_FROM = ("clause", "sentence")
GAP = "…"  # in a cue, "A…B": A, then B later in the same clause
VOCAB_LISTS = (
    "law", "not_law", "education", "verbs", "fillers", "internal", "public", "plans", "subscope",
)  # fmt: skip
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogError(ValueError):
    """The catalog file is not usable; the message names the file and the problem."""


@dataclass(frozen=True)
class Indicator:
    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: str
    description: str
    units: frozenset[str | None]  # None: a bare number (幼儿园57)
    cues: tuple[str, ...]
    after_cues: tuple[str, ...] = ()  # looked for after the number only
    position: str = "any"
    adjacent: bool = False
    needs: tuple[str, ...] = ()
    topic_from: str = "clause"
    veto: tuple[str, ...] = ()
    veto_unless_law: bool = False

    def cue_patterns(self) -> list[tuple[str, re.Pattern[str], str]]:
        """(cue, regex, where it may stand: before | after | any)."""
        return [(cue, _cue_regex(cue), self.position) for cue in self.cues] + [
            (cue, _cue_regex(cue), "after") for cue in self.after_cues
        ]

    @property
    def phrasings(self) -> tuple[str, ...]:
        return self.cues + self.after_cues


@dataclass(frozen=True)
class Reassign:
    """A figure matched as `source` through one of `cues` is `target` when said of insiders."""

    source: str
    target: str
    cues: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    indicators: tuple[Indicator, ...]
    vocab: dict[str, tuple[str, ...]]
    source: Path
    study_not_education: Reassign | None = None

    def by_id(self) -> dict[str, Indicator]:
        return {ind.id: ind for ind in self.indicators}


def _cue_regex(cue: str) -> re.Pattern[str]:
    """'审查…合同' -> 审查.*?合同 (the clause a cue is searched in holds no punctuation)."""
    return re.compile(".*?".join(re.escape(part) for part in cue.split(GAP)))


def _words(value: object, where: str, path: Path) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise CatalogError(f"{path}: {where} must be a list of words")
    words = tuple(str(v).strip() for v in value)
    if any(not w or w.strip(GAP) != w for w in words):
        raise CatalogError(f"{path}: {where} has an empty word or a cue starting/ending with {GAP}")
    return words


def _indicator(entry: object, n: int, path: Path) -> Indicator:
    if not isinstance(entry, dict):
        raise CatalogError(f"{path}: indicator #{n} is not a mapping")
    ind_id = str(entry.get("id") or "").strip()
    where = f"indicator '{ind_id or f'#{n}'}'"
    if not ID_RE.match(ind_id):
        raise CatalogError(f"{path}: {where}: id must be lower_snake_case")
    for key in ("name_zh", "name_en", "unit", "kind", "description"):
        if not str(entry.get(key) or "").strip():
            raise CatalogError(f"{path}: {where}: '{key}' is missing")
    kind, position = entry["kind"], entry.get("position", "any")
    if kind not in KINDS:
        raise CatalogError(f"{path}: {where}: kind '{kind}' is not one of {', '.join(KINDS)}")
    if position not in POSITIONS:
        raise CatalogError(f"{path}: {where}: position '{position}' is not one of {POSITIONS}")
    units = _words(entry.get("units"), f"{where}: units", path)
    cues = _words(entry.get("cues"), f"{where}: cues", path)
    if not units or not cues:
        raise CatalogError(f"{path}: {where}: needs at least one of 'units' and of 'cues'")
    needs = _words(entry.get("needs"), f"{where}: needs", path)
    if set(needs) - set(TOPICS):
        raise CatalogError(f"{path}: {where}: needs may only name {', '.join(TOPICS)}")
    topic_from = entry.get("topic_from", "clause")
    if topic_from not in TOPIC_FROM:
        raise CatalogError(f"{path}: {where}: topic_from must be one of {TOPIC_FROM}")
    return Indicator(
        id=ind_id,
        name_zh=str(entry["name_zh"]).strip(),
        name_en=str(entry["name_en"]).strip(),
        unit=str(entry["unit"]).strip(),
        kind=kind,
        description=" ".join(str(entry["description"]).split()),
        units=frozenset(None if u == "none" else u for u in units),
        cues=cues,
        after_cues=_words(entry.get("after_cues"), f"{where}: after_cues", path),
        position=position,
        adjacent=bool(entry.get("adjacent", False)),
        needs=needs,
        topic_from=topic_from,
        veto=_words(entry.get("veto"), f"{where}: veto", path),
        veto_unless_law=bool(entry.get("veto_unless_law", False)),
    )


def parse_catalog(data: object, path: Path) -> Catalog:
    """Validate a parsed YAML document and build the catalog."""
    if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
        raise CatalogError(f"{path}: expected a mapping with an 'indicators' list")
    raw_vocab = data.get("vocab") or {}
    if not isinstance(raw_vocab, dict):
        raise CatalogError(f"{path}: 'vocab' must be a mapping of word lists")
    vocab = {name: _words(raw_vocab.get(name), f"vocab.{name}", path) for name in VOCAB_LISTS}
    indicators = [_indicator(e, n, path) for n, e in enumerate(data["indicators"], start=1)]
    seen_ids: set[str] = set()
    owner: dict[str, str] = {}
    for ind in indicators:
        if ind.id in seen_ids:
            raise CatalogError(f"{path}: indicator id '{ind.id}' is listed twice")
        seen_ids.add(ind.id)
        if len(set(ind.phrasings)) != len(ind.phrasings):
            raise CatalogError(f"{path}: indicator '{ind.id}' lists a cue twice")
        for cue in ind.phrasings:
            if cue in owner and owner[cue] != ind.id:
                raise CatalogError(
                    f"{path}: cue '{cue}' points to two indicators ({owner[cue]}, {ind.id})"
                )
            owner[cue] = ind.id
    reassign = None
    if (raw := data.get("study_not_education")) is not None:
        if not isinstance(raw, dict) or not {raw.get("from"), raw.get("to")} <= seen_ids:
            raise CatalogError(f"{path}: study_not_education needs 'from' and 'to' indicator ids")
        cues = _words(raw.get("cues"), "study_not_education: cues", path)
        reassign = Reassign(raw["from"], raw["to"], cues)
    return Catalog(tuple(indicators), vocab, path, reassign)


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise CatalogError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    return parse_catalog(data, path)
