"""Apply checked corrections.csv lines to the `mentions` of the warehouse being built.

Each line is located in the report as it is now: by char_start (checked against raw_text when
both are given) or by raw_text alone. When the report has changed so that the line no longer
points at a figure, nothing is guessed: the line is `stale` and the message says where the text
is now, so the person can update the line. Lines apply in file order, so a `drop` followed by an
`add` on the same span replaces a wrongly cut figure.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.corrections import Correction, fmt_value, safe_name

# The extractor's own grammar and sentence rules, so an added figure reads like an extracted one.
from pipeline.extract import FIGURE_RE, PERCENT_WORD_RE, _headings, _sentence_bounds, _value_unit
from pipeline.numbers import parse_number

REPORT_ID_RE = re.compile(r"^r[0-9a-f]{15}(?:-[0-9a-f]{8})?$")


def describe(m: dict) -> str:
    """'176 名 (176名)', with 'approx' when qualified: the figure as the warehouse holds it."""
    unit = f" {m['unit']}" if m["unit"] else ""
    approx = ", approx" if m["approx"] else ""
    return f"{fmt_value(m['value'])}{unit}{approx} ({m['raw_text']})"


def _show(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return fmt_value(value) if isinstance(value, float) else str(value)


def occurrences(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + len(needle))
    return out


def _where(positions: list[int]) -> str:
    shown = ", ".join(str(p) for p in positions[:5]) + (" ..." if len(positions) > 5 else "")
    return f"char {shown}" if len(positions) == 1 else f"chars {shown}"


def read_figure(raw: str) -> tuple[float, str | None, bool] | None:
    """value, unit, approx of a figure as written (176名, 6.2万人次, 近百分之九十), or None."""
    m = FIGURE_RE.fullmatch(raw)
    if m is not None and (parsed := _value_unit(m)) is not None:
        return parsed
    p = PERCENT_WORD_RE.fullmatch(raw)
    if p is not None and (num := parse_number(p.group("num"))) is not None:
        return num[0], "%", num[1]
    num = parse_number(raw)
    return (num[0], None, num[1]) if num else None


class Applier:
    """Holds the mentions of the reports being corrected, edits them in line order, and writes
    them back once (delete + insert per report)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, raw_dir: Path) -> None:
        self.con, self.raw_dir = con, raw_dir
        self.columns = [r[0] for r in con.execute("describe mentions").fetchall()]
        reports = con.execute(
            "select r.report_id, r.source_file, r.status, r.duplicate_of, "
            "t.report_id is not null as has_text "
            "from reports r left join report_texts t using (report_id) order by r.source_file"
        ).fetchdf()
        self.by_rel: dict[str, dict] = {}
        self.by_id: dict[str, dict] = {}
        self.by_name: dict[str, list[dict]] = {}
        for rep in reports.to_dict("records"):
            rel = self._relative(rep["source_file"])
            rep["rel"] = rel
            self.by_rel[rel] = rep
            self.by_rel.setdefault(Path(rep["source_file"]).as_posix(), rep)  # data/raw/001.txt
            self.by_id[rep["report_id"]] = rep
            self.by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rep)
        self.texts: dict[str, str] = {}
        self.mentions: dict[str, dict[int, dict]] = {}  # report -> char_start -> row, as edited
        self.touched: set[str] = set()  # reports whose mentions changed
        self.dropped: dict[tuple[str, int], int] = {}  # (report, char_start) -> line that dropped
        self.reviewed: set[str] = set()

    def _relative(self, source_file: str) -> str:
        try:
            return Path(source_file).relative_to(self.raw_dir).as_posix()
        except ValueError:
            return Path(source_file).as_posix()

    # --- finding the report and the figure ---------------------------------------------------

    def resolve(self, c: Correction) -> dict | None:
        name = safe_name(c.file) or c.file
        rep = self.by_rel.get(name) or self.by_id.get(c.file)
        if rep is None:
            named = self.by_name.get(name.rsplit("/", 1)[-1], [])
            if len(named) > 1:
                paths = ", ".join(r["rel"] for r in named)
                c.add_record("invalid", f"file name '{c.file}' matches {len(named)} reports "
                             f"({paths}); give the path inside the raw folder")  # fmt: skip
                return None
            rep = named[0] if named else None
        if rep is None:
            if REPORT_ID_RE.match(c.file):
                c.add_record("stale", f"no report has id {c.file} now (its file changed?); "
                             "name the file instead")  # fmt: skip
            else:
                c.add_record("invalid", f"file '{c.file}' not found in {self.raw_dir}")
            return None
        c.report_id = rep["report_id"]
        if rep["status"] == "duplicate":
            c.add_record("invalid", f"{rep['rel']} is a duplicate of {rep['duplicate_of']}; "
                         "correct that file instead")  # fmt: skip
            return None
        if not rep["has_text"]:
            c.add_record("invalid", f"{rep['rel']} could not be read (status {rep['status']}); "
                         "it has no figures to correct")  # fmt: skip
            return None
        return rep

    def text(self, report_id: str) -> str:
        if report_id not in self.texts:
            self.texts[report_id] = self.con.execute(
                "select text from report_texts where report_id = ?", [report_id]
            ).fetchone()[0]
        return self.texts[report_id]

    def mentions_of(self, report_id: str) -> dict[int, dict]:
        if report_id not in self.mentions:
            frame = self.con.execute(
                "select * from mentions where report_id = ? order by char_start", [report_id]
            ).fetchdf()
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            self.mentions[report_id] = {int(r["char_start"]): r for r in rows}
        return self.mentions[report_id]

    def locate(self, c: Correction, rid: str) -> dict | None:
        """The figure a set_*/drop line points at, or None (with the stale/invalid row added)."""
        text, found, raw = self.text(rid), self.mentions_of(rid), c.raw_text
        if c.char_start is not None:
            m = found.get(c.char_start)
            if m is not None and (raw is None or raw == m["raw_text"]
                                  or text.startswith(raw, c.char_start)):  # fmt: skip
                return m
            if (rid, c.char_start) in self.dropped:
                line = self.dropped[(rid, c.char_start)]
                c.add_record(
                    "stale", f"the figure at char {c.char_start} was dropped by line {line}"
                )
            elif m is not None:
                c.add_record("stale", f"the figure at char {c.char_start} is '{m['raw_text']}', "
                             f"not '{raw}' (the report changed?){self._now_at(text, raw)}")  # fmt: skip
            elif raw is not None and text.startswith(raw, c.char_start):
                c.add_record("stale", f"'{raw}' is at char {c.char_start} but is not read as a "
                             "figure; use action add")  # fmt: skip
            else:
                shown = f"'{raw}'" if raw else "a figure"
                c.add_record("stale", f"no figure starts at char {c.char_start}: {shown} is not "
                             f"there any more (the report changed?){self._now_at(text, raw)}")  # fmt: skip
            return None
        assert raw is not None  # checked when the line was read
        ordered = [found[k] for k in sorted(found)]
        exact = [m for m in ordered if m["raw_text"] == raw]
        if exact:
            self._remark_several(c, raw, [m["char_start"] for m in exact])
            return exact[0]
        # a snippet around the figure: 聘请176名法治副校长
        hits, crowded = [], False
        for pos in occurrences(text, raw):
            inside = [
                m for m in ordered if pos <= m["char_start"] and m["char_end"] <= pos + len(raw)
            ]
            if len(inside) == 1:
                hits.append(inside[0])
            crowded = crowded or len(inside) > 1
        if hits:
            self._remark_several(c, raw, [m["char_start"] for m in hits])
            return hits[0]
        if crowded:
            c.add_record("invalid", f"'{raw}' holds several figures; give the figure itself as "
                         "raw_text, or its char_start")  # fmt: skip
        elif raw in text:
            c.add_record("stale", f"'{raw}' is in the report ({_where(occurrences(text, raw))}) "
                         "but no figure was read in it; use action add")  # fmt: skip
        else:
            c.add_record("stale", f"'{raw}' is not in the report (the report changed?)")
        return None

    @staticmethod
    def _now_at(text: str, raw: str | None) -> str:
        if not raw:
            return ""
        where = occurrences(text, raw)
        return f"; '{raw}' is now at {_where(where)}" if where else f"; '{raw}' is not in the text"

    @staticmethod
    def _remark_several(c: Correction, raw: str, starts: list[int]) -> None:
        if len(starts) > 1:
            c.remark = (f"'{raw}' occurs {len(starts)} times ({_where(starts)}); applied to the "
                        "first, give char_start to choose another")  # fmt: skip

    # --- the actions ---------------------------------------------------------------------------

    def apply(self, c: Correction) -> None:
        if c.problem:
            c.add_record("invalid", c.problem)
            return
        rep = self.resolve(c)
        if rep is None:
            return
        rid = rep["report_id"]
        m = self._add(c, rid) if c.action == "add" else self.locate(c, rid)
        if m is None:
            return
        if c.action == "drop":
            del self.mentions[rid][m["char_start"]]
            self.dropped[(rid, m["char_start"])] = c.line
            self.touched.add(rid)
            c.add_record("applied", field="mention", old=describe(m), mention=m)
            return
        self.reviewed.add(m["mention_id"])
        changes: dict[str, object] = {}
        if c.value is not None:
            changes["value"] = c.value
        if c.approx is not None:
            changes["approx"] = c.approx
        if c.unit is not None or c.clear_unit:
            changes["unit"] = c.unit
        for name, new in changes.items() if c.action != "add" else ():
            old, m[name] = m[name], new
            self.touched.add(rid)
            c.add_record("applied", field=name, old=_show(old), new=_show(new), mention=m)
        if c.indicator_id or c.clear_indicator:
            # the matcher's reading goes into old_value when indicators are built
            c.add_record("applied", field="indicator_id", new=c.indicator_id or "none", mention=m)

    def _add(self, c: Correction, rid: str) -> dict | None:
        text, found, raw = self.text(rid), self.mentions_of(rid), c.raw_text or ""
        if c.char_start is not None:
            if not text.startswith(raw, c.char_start):
                c.add_record("stale", f"'{raw}' is not at char {c.char_start} (the report "
                             f"changed?){self._now_at(text, raw)}")  # fmt: skip
                return None
            start = c.char_start
        else:
            where = occurrences(text, raw)
            if not where:
                c.add_record("stale", f"'{raw}' is not in the report text (the report changed?)")
                return None
            self._remark_several(c, raw, where)
            start = where[0]
        end = start + len(raw)
        for m in found.values():
            if m["char_start"] < end and m["char_end"] > start:
                if (m["char_start"], m["char_end"]) == (start, end):
                    c.add_record("stale", f"already read as a figure: {describe(m)}; remove "
                                 "this line, or use set_value / set_unit")  # fmt: skip
                else:
                    c.add_record("invalid", f"overlaps the figure '{m['raw_text']}' at char "
                                 f"{m['char_start']}; drop it in an earlier line, or correct it "
                                 "with set_value / set_unit")  # fmt: skip
                return None
        parsed = read_figure(raw)
        if parsed is None and c.value is None:
            c.add_record("invalid", f"no number can be read from '{raw}'; give value")
            return None
        value, unit, approx = parsed or (c.value, None, False)
        m = dict.fromkeys(self.columns)
        m.update(mention_id=f"{rid}:{start}", report_id=rid, raw_text=raw, char_start=start,
                 char_end=end, value=c.value if c.value is not None else value,
                 unit=None if c.clear_unit else c.unit or unit,
                 approx=c.approx if c.approx is not None else approx, reviewed=True,
                 **sentence_at(text, start))  # fmt: skip
        found[start] = m
        self.touched.add(rid)
        c.add_record("applied", field="mention", new=describe(m), mention=m)
        return m

    # --- writing back --------------------------------------------------------------------------

    def write_mentions(self) -> None:
        """Replace the mentions of every edited report, and flag every corrected figure."""
        rows = [m for rid in sorted(self.touched) for _, m in sorted(self.mentions[rid].items())]
        for m in rows:
            m["reviewed"] = m["mention_id"] in self.reviewed
        if self.touched:
            self.con.execute(
                "delete from mentions where report_id in (select unnest(?))", [sorted(self.touched)]
            )
        if rows:
            frame = pd.DataFrame(rows, columns=self.columns)
            for col in ("char_start", "char_end", "sentence_start"):
                frame[col] = frame[col].astype("Int64")
            frame["value"] = frame["value"].astype(float)
            frame["approx"] = frame["approx"].astype(bool)
            self.con.register("_corrected", frame)
            cols = ", ".join(self.columns)
            self.con.execute(f"insert into mentions ({cols}) select {cols} from _corrected")
            self.con.unregister("_corrected")
        if self.reviewed:
            self.con.execute(
                "update mentions set reviewed = true where mention_id in (select unnest(?))",
                [sorted(self.reviewed)],
            )
        self.con.execute("update mentions set reviewed = false where reviewed is null")


def sentence_at(text: str, start: int) -> dict:
    """context, sentence_start and section of a figure at `start`, by extraction's own rules."""
    bounds = _sentence_bounds(text)
    i = bisect.bisect_right(bounds, start)
    s_start = bounds[i - 1] if i > 0 else 0
    s_end = bounds[i] if i < len(bounds) else len(text)
    sentence = text[s_start:s_end]
    s_start += len(sentence) - len(sentence.lstrip())
    heading_starts, titles = _headings(text)
    h = bisect.bisect_right(heading_starts, start)
    return {
        "context": sentence.strip(),
        "sentence_start": s_start,
        "section": titles[h - 1] if h > 0 else None,
    }
