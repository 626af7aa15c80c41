"""The user's data/raw/corrections.csv: read and check it; record what each line did.

A person who checked a figure against its sentence fixes it here, never in code. One line, one
correction, applied in line order on every run (pipeline/corrections_apply.py does the edits):

    file,char_start,raw_text,action,value,unit,indicator_id,approx,note,reviewer
    001.txt,2373,176名,set_value,178,,,,"p.3 of the PDF says 178",li

- `file`: the report's path inside the raw folder (its file name alone if no other file has it),
  or its `report_id`;
- `char_start` and/or `raw_text` locate the figure: `char_start` is the offset shown in the review
  page, `raw_text` the figure as written (176名) or a longer snippet around it (聘请176名法治副校长);
  raw_text alone takes its first occurrence and says so when there are several;
- `action`: `set_value` (value), `set_unit` (unit; `none` clears it), `set_indicator`
  (indicator_id from pipeline/indicators.yml, or `none`: the figure names no indicator), `drop`
  (not a figure), `add` (a figure the extractor missed; raw_text must be in the text; value, unit
  and approx are read from it unless given; indicator_id optional);
- `approx` (optional: true/false), `note`, `reviewer`: kept in `corrections_applied`.

Nothing here raises on a bad line: it becomes a row with status `invalid` and a message on stderr
naming the csv line. A line that no longer matches the report (it changed) is `stale`.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from pipeline.catalog import CatalogError, load_catalog
from pipeline.numbers import parse_number

if TYPE_CHECKING:
    from pipeline.indicators import Matcher

CORRECTIONS_FILE = "corrections.csv"
ACTIONS = ("set_value", "set_unit", "set_indicator", "drop", "add")
COLUMNS = ("file", "char_start", "raw_text", "action", "value", "unit", "indicator_id", "approx",
           "note", "reviewer")  # fmt: skip
NONE_WORDS = {"none", "null", "-", "无"}  # set_unit / set_indicator: clear it
TRUE_WORDS, FALSE_WORDS = {"true", "yes", "1", "是", "y"}, {"false", "no", "0", "否", "n"}
DDL = """
create or replace table corrections_applied (
    line         integer not null,
    file         varchar,
    report_id    varchar,
    mention_id   varchar,
    char_start   integer,
    char_end     integer,
    raw_text     varchar,
    action       varchar,
    field        varchar,
    old_value    varchar,
    new_value    varchar,
    note         varchar,
    reviewer     varchar,
    status       varchar not null,
    message      varchar
);
"""
RECORD_COLUMNS = ["line", "file", "report_id", "mention_id", "char_start", "char_end", "raw_text",
                  "action", "field", "old_value", "new_value", "note", "reviewer", "status",
                  "message"]  # fmt: skip


@dataclass
class Correction:
    """One line of corrections.csv, checked; `problem` is set when it cannot be applied."""

    line: int
    file: str
    action: str
    char_start: int | None = None
    raw_text: str | None = None
    value: float | None = None
    unit: str | None = None
    clear_unit: bool = False
    indicator_id: str | None = None
    clear_indicator: bool = False
    approx: bool | None = None
    note: str | None = None
    reviewer: str | None = None
    problem: str | None = None
    report_id: str | None = None
    remark: str | None = None  # said on every applied row: raw_text matched several places
    records: list[dict] = field(default_factory=list)  # its rows of corrections_applied

    @property
    def status(self) -> str:
        return self.records[0]["status"] if self.records else "invalid"

    def add_record(
        self,
        status: str,
        message: str | None = None,
        field: str | None = None,
        old: str | None = None,
        new: str | None = None,
        mention: dict | None = None,
    ) -> None:
        """One row of corrections_applied: one changed field, or why nothing changed."""
        rec = dict.fromkeys(RECORD_COLUMNS)
        rec.update(line=self.line, file=self.file or None, action=self.action or None,
                   report_id=self.report_id, note=self.note, reviewer=self.reviewer,
                   char_start=self.char_start, raw_text=self.raw_text, field=field,
                   old_value=old, new_value=new, status=status,
                   message=message or (self.remark if status == "applied" else None))  # fmt: skip
        if mention is not None:
            rec.update(mention_id=mention["mention_id"], char_start=mention["char_start"],
                       char_end=mention["char_end"], raw_text=mention["raw_text"])  # fmt: skip
        self.records.append(rec)


def fmt_value(value: float | None) -> str | None:
    """176.0 -> '176', 0.5 -> '0.5' (never 1.2e+07)."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0")


def safe_name(name: str) -> str | None:
    """The name as a path inside the raw folder, or None if it points outside it."""
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name):
        return None
    return str(p)


def parse_value(text: str) -> float | None:
    """A number as a person types it: 178, 1,234, 0.95, 6.2万, 一百二十."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    try:
        return float(cleaned)
    except ValueError:
        parsed = parse_number(cleaned)
        return parsed[0] if parsed else None


def _cell(rec: dict, name: str) -> str:
    value = rec.get(name)
    return value.strip() if isinstance(value, str) else ""


def inside_raw(name: str, raw_dir: Path | None) -> str:
    """An absolute path into the raw folder, as the path inside it; anything else unchanged."""
    path = Path(name)
    if raw_dir is None or not path.is_absolute():
        return name
    try:
        return path.resolve().relative_to(raw_dir.resolve()).as_posix()
    except (ValueError, OSError):
        return name


def parse_line(
    rec: dict, line: int, indicator_ids: set[str] | None, raw_dir: Path | None = None
) -> Correction:
    """One csv record -> a Correction; `problem` says why it is invalid (first problem only)."""
    action = _cell(rec, "action").lower()
    c = Correction(line=line, file=inside_raw(_cell(rec, "file"), raw_dir), action=action,
                   raw_text=_cell(rec, "raw_text") or None, note=_cell(rec, "note") or None,
                   reviewer=_cell(rec, "reviewer") or None)  # fmt: skip
    start, value, unit = _cell(rec, "char_start"), _cell(rec, "value"), _cell(rec, "unit")
    indicator, approx = _cell(rec, "indicator_id"), _cell(rec, "approx").lower()
    if start.isdigit():
        c.char_start = int(start)
    if value:
        c.value = parse_value(value)
    c.clear_unit = unit.lower() in NONE_WORDS
    c.unit = None if c.clear_unit or not unit else unit
    c.clear_indicator = indicator.lower() in NONE_WORDS
    c.indicator_id = None if c.clear_indicator or not indicator else indicator
    c.approx = True if approx in TRUE_WORDS else False if approx in FALSE_WORDS else None
    c.problem = _problem(c, start, value, approx, indicator_ids)
    return c


def _problem(
    c: Correction, start: str, value: str, approx: str, indicator_ids: set[str] | None
) -> str | None:
    if c.action not in ACTIONS:
        return f"unknown action '{c.action}' (use one of: {', '.join(ACTIONS)})"
    if not c.file:
        return "no file: name the report's file (path inside the raw folder) or its report_id"
    if safe_name(c.file) is None:
        return f"file '{c.file}' points outside the raw folder; give a path inside it"
    if start and c.char_start is None:
        return f"char_start '{start}' is not a whole number (the offset shown in review.html)"
    if c.char_start is None and c.raw_text is None:
        return "give char_start or raw_text to locate the figure"
    if value and c.value is None:
        return f"value '{value}' is not a number"
    if approx and c.approx is None:
        return f"approx '{approx}' is not true or false"
    if c.action == "set_value" and c.value is None:
        return "set_value needs a value"
    if c.action == "set_unit" and c.unit is None and not c.clear_unit:
        return "set_unit needs a unit (or `none` to remove it)"
    if c.action == "set_indicator" and c.indicator_id is None and not c.clear_indicator:
        return "set_indicator needs an indicator_id (or `none`: the figure names no indicator)"
    if c.action == "add" and c.raw_text is None:
        return "add needs raw_text: the figure as written in the report, to find its exact span"
    if c.indicator_id and indicator_ids is not None and c.indicator_id not in indicator_ids:
        return (
            f"unknown indicator_id '{c.indicator_id}' (not in pipeline/indicators.yml; "
            "see the `indicators` table)"
        )
    return None


def _read_text(path: Path) -> str:
    """Excel on a Chinese Windows saves CSV as GB18030; everything else as UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def load_corrections(raw_dir: Path, indicator_ids: set[str] | None) -> list[Correction]:
    """Every line of raw_dir/corrections.csv in order (none if the file is absent). A file that
    cannot be read at all is one message on stderr and no corrections."""
    path = raw_dir / CORRECTIONS_FILE
    if not path.is_file():
        return []
    try:
        reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
        header = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [c for c in ("file", "action") if c not in header]
        if missing:
            warn(f"{path}: no column {', '.join(missing)}; expected {','.join(COLUMNS)}; ignored")
            return []
        unknown = [h for h in header if h and h not in COLUMNS]
        if unknown:
            warn(f"{path}: column(s) {', '.join(unknown)} ignored (known: {', '.join(COLUMNS)})")
        out = []
        for rec in reader:
            cells = [v for v in rec.values() if isinstance(v, str) and v.strip()]
            if not cells or _cell(rec, "file").startswith("#"):
                continue  # blank line or a comment
            out.append(parse_line(rec, reader.line_num, indicator_ids, raw_dir))
        return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        warn(f"{path}: cannot read ({exc}); no correction applied")
        return []


def warn(message: str) -> None:
    print(message, file=sys.stderr)


def catalog_ids() -> set[str] | None:
    """The catalog's indicator ids; None when the catalog is broken (the indicators step stops
    the run with its own message)."""
    try:
        return {ind.id for ind in load_catalog().indicators}
    except CatalogError:
        return None


def apply_corrections(con: duckdb.DuckDBPyConnection, options: object) -> None:
    """Warehouse step, after ingest and before indicator matching: apply set_value, set_unit,
    drop and add to `mentions` (+ a `reviewed` column), note set_indicator for the matcher, and
    write `corrections_applied`. Problems go to stderr; the run goes on."""
    from pipeline.corrections_apply import Applier  # the editing half; imports extraction code

    raw_dir = Path(options.raw_dir)  # type: ignore[attr-defined]
    con.execute(DDL)
    con.execute("alter table mentions add column reviewed boolean default false")
    corrections = load_corrections(raw_dir, catalog_ids())
    if not corrections:
        return
    applier = Applier(con, raw_dir)
    for c in corrections:
        applier.apply(c)
    applier.write_mentions()
    frame = pd.DataFrame([r for c in corrections for r in c.records], columns=RECORD_COLUMNS)
    for col in ("char_start", "char_end"):
        frame[col] = frame[col].astype("Int64")
    con.register("_corrections", frame)
    con.execute(f"insert into corrections_applied select {', '.join(RECORD_COLUMNS)} "
                "from _corrections")  # fmt: skip
    con.unregister("_corrections")
    _report(raw_dir / CORRECTIONS_FILE, corrections, quiet=getattr(options, "quiet", False))


def _report(path: Path, corrections: list[Correction], quiet: bool) -> None:
    counts: dict[str, int] = {}
    for c in corrections:
        counts[c.status] = counts.get(c.status, 0) + 1
        message = c.records[0]["message"] if c.records else c.problem
        if c.status != "applied":
            warn(f"{path}:{c.line}: {c.status}: {message}")
        elif message and not quiet:
            warn(f"{path}:{c.line}: applied, but: {message}")
    if not quiet or set(counts) - {"applied"}:
        shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        warn(f"{path}: {len(corrections)} correction(s): {shown} (table corrections_applied)")


# --- after matching: set_indicator, and the reviewed flag of observations ---------------------


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_name = ?", [name]
        ).fetchone()[0]
    )


def finish_indicator_corrections(con: duckdb.DuckDBPyConnection) -> None:
    """A set_indicator whose figure the matcher had given no indicator: old value 'none'."""
    if _has_table(con, "corrections_applied"):
        con.execute(
            "update corrections_applied set old_value = 'none' "
            "where field = 'indicator_id' and status = 'applied' and old_value is null"
        )


def apply_to_observations(
    con: duckdb.DuckDBPyConnection,
    obs: list[dict],
    matcher: Matcher,
    report_ids: set[str] | None = None,
) -> list[dict]:
    """The matcher's observations with every applied set_indicator (and add with an indicator)
    imposed, and `reviewed` set for the figures a correction touched. Records in
    corrections_applied what the matcher had said (old_value of set_indicator). With
    `report_ids`, only corrections of those reports are applied (the step runs in batches);
    call finish_indicator_corrections once after the last batch."""
    if not _has_table(con, "corrections_applied"):
        return obs
    rows = con.execute(
        "select line, field, mention_id, new_value from corrections_applied "
        "where status = 'applied' and mention_id is not null order by line"
    ).fetchall()
    if report_ids is not None:
        rows = [r for r in rows if r[2].rsplit(":", 1)[0] in report_ids]
    reviewed = {mid for _, _, mid, _ in rows}
    # the last line wins for a figure named twice
    forced = {mid: new for _, fld, mid, new in rows if fld == "indicator_id"}
    matched = {o["mention_id"]: o["indicator_id"] for o in obs if o["mention_id"] in forced}
    if matched:
        con.execute(
            "update corrections_applied set old_value = m.indicator_id "
            "from (select unnest(?) as mention_id, unnest(?) as indicator_id) m "
            "where corrections_applied.field = 'indicator_id' "
            "and corrections_applied.mention_id = m.mention_id",
            [list(matched), list(matched.values())],
        )
    if forced:
        from pipeline.panel import MENTIONS_SQL, observation_record

        base = MENTIONS_SQL.replace("order by m.report_id, m.char_start", "")
        mentions = con.execute(
            f"select * from ({base}) q where q.mention_id in (select unnest(?))", [sorted(forced)]
        ).fetchdf()
        cols = {c: mentions[c].tolist() for c in mentions.columns}
        position = {mid: i for i, mid in enumerate(cols["mention_id"])}
        obs = [o for o in obs if o["mention_id"] not in forced]
        for mid, indicator_id in sorted(forced.items()):
            if indicator_id != "none" and mid in position:
                obs.append(observation_record(cols, position[mid], indicator_id, None,
                                              "corrections.csv", matcher))  # fmt: skip
        obs.sort(key=lambda o: (o["report_id"], o["char_start"]))
    for o in obs:
        o["reviewed"] = o["mention_id"] in reviewed
    return obs
