"""What the review page and `review --report` show, read from the published warehouse (read-only).

Every figure (mention) with the indicator it names (or none), the consistency findings that cite
it (when the warehouse has consistency_checks), and the corrections.csv lines that touched it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.corrections import fmt_value

NO_BODY = "(body unknown)"
CITATIONS = "_review_citations"  # temp table: see _index_citations


@dataclass
class ReviewData:
    reports: list[dict]  # one per report, with `rel` (path inside the raw folder, shown)
    mentions: list[dict]  # every mention + indicator_id, in_panel, scope, panel_rule, reviewed
    indicators: dict[str, tuple[str, str]]  # id -> (name_zh, name_en)
    flags: dict[str, list[dict]] = field(default_factory=dict)  # mention_id -> findings citing it
    findings: list[dict] | None = None  # consistency_checks; None when the table is absent
    corrections: list[dict] | None = None  # corrections_applied; None when absent
    by_mention: dict[str, list[dict]] = field(default_factory=dict)  # corrections per mention
    by_report: dict[str, list[dict]] = field(default_factory=dict)  # the mentions of each report

    def text_of(self, con: duckdb.DuckDBPyConnection, report_ids: list[str]) -> dict[str, str]:
        rows = con.execute(
            "select report_id, text from report_texts where report_id in (select unnest(?))",
            [report_ids],
        ).fetchall()
        return dict(rows)


def records(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[dict]:
    """Rows as dicts, NULL as None (plain tuples: much faster than a DataFrame at 100k rows)."""
    cur = con.execute(sql, params or {})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(f"describe {table}").fetchall()}


def _relative(source_file: str) -> str:
    """data/raw/sub/001.txt -> sub/001.txt: the name a user types in corrections.csv."""
    parts = Path(source_file).parts
    for i in range(len(parts) - 1):
        if parts[i] == "raw":
            return Path(*parts[i + 1 :]).as_posix()
    return Path(source_file).name


def load(con: duckdb.DuckDBPyConnection, report_ids: list[str] | None = None) -> ReviewData:
    """Everything the pages show except the texts (read a body at a time by the page writer)."""
    have = tables(con)
    where = "" if report_ids is None else "where report_id in (select unnest($ids))"
    params = {} if report_ids is None else {"ids": report_ids}
    reports = _reports(con, where, params)
    m_where = "" if report_ids is None else "where m.report_id in (select unnest($ids))"
    mentions = records(con, figure_query(con, m_where, "m.report_id, m.char_start"), params)
    data = ReviewData(reports, mentions, indicator_names(con))
    for m in mentions:
        data.by_report.setdefault(m["report_id"], []).append(m)
    if "consistency_checks" in have:
        # the findings about these reports, and those citing one of their figures (a jump
        # between two years cites the earlier report's figure too)
        cites = ""
        if report_ids is not None:
            _index_citations(con)
            cites = (
                f"where rowid in (select finding from {CITATIONS} "
                "where report_id in (select unnest($ids)))"
            )
        data.findings = records(
            con,
            f"select * from consistency_checks {cites} "
            "order by body nulls last, report_year, check_id, message",
            params,
        )
        for f in data.findings:
            for mid in f["mention_ids"]:
                data.flags.setdefault(mid, []).append(f)
    if "corrections_applied" in have:
        data.corrections = records(
            con,
            f"select * from corrections_applied {where} "
            "order by line, field = 'mention' desc, field",
            params,
        )
        for c in data.corrections:
            if isinstance(c["mention_id"], str):
                data.by_mention.setdefault(c["mention_id"], []).append(c)
    return data


def _index_citations(con: duckdb.DuckDBPyConnection) -> None:
    """A temp table of (finding, report) for the report of each finding and of each figure it
    cites, built once per connection: testing every finding's figures against a batch's reports
    took 10 s a batch at 100,000 reports, the lookup 0.2 s. (The connection is read-only, so the
    findings do not change under it.)"""
    con.execute(
        f"create temp table if not exists {CITATIONS} as "
        "select rowid as finding, report_id from consistency_checks "
        "union select rowid, split_part(unnest(mention_ids), ':', 1) from consistency_checks"
    )


def reviewed_column(con: duckdb.DuckDBPyConnection) -> str:
    """SQL for a mention's `reviewed` flag (a warehouse built before corrections has none)."""
    return "m.reviewed" if "reviewed" in _columns(con, "mentions") else "false"


def figure_query(con: duckdb.DuckDBPyConnection, where: str, order: str, extra: str = "") -> str:
    """SQL of the figures (mentions, aliased m) with their report's body and year (r) and the
    indicator each names (o: indicator_id, in_panel, scope, panel_rule), filtered and ordered;
    `where` may start with more joins, whose columns `extra` selects."""
    have = tables(con)
    reviewed = reviewed_column(con)
    obs_cols = (
        "o.indicator_id, o.in_panel, o.scope, o.panel_rule, o.observation_id"
        if "observations" in have
        else "null as indicator_id, false as in_panel, null as scope, null as panel_rule, "
        "null as observation_id"
    )
    join = (
        "left join observations o on o.mention_id = m.mention_id" if "observations" in have else ""
    )
    return f"""
        select m.mention_id, m.report_id, m.value, m.unit, m.approx, m.raw_text, m.char_start,
               m.char_end, m.context, m.sentence_start, {reviewed} as reviewed, {obs_cols},
               r.body, r.report_year{extra}
        from mentions m join reports r on r.report_id = m.report_id {join} {where}
        order by {order}
    """


def load_site(con: duckdb.DuckDBPyConnection) -> ReviewData:
    """What every page needs, for the whole warehouse: the reports (which page each is on), the
    indicator names and the corrections. Figures and findings are read a batch of reports at a
    time (load), so memory stays bounded however large the corpus: `mentions` stays empty and
    `findings` is [] when the warehouse has consistency checks (None when it has none)."""
    have = tables(con)
    data = ReviewData(_reports(con), [], indicator_names(con))
    if "corrections_applied" in have:
        data.corrections = records(
            con, "select * from corrections_applied order by line, field = 'mention' desc, field"
        )
    data.findings = [] if "consistency_checks" in have else None
    return data


def indicator_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    if "indicators" not in tables(con):
        return {}
    return {
        i: (zh, en)
        for i, zh, en in con.execute(
            "select indicator_id, name_zh, name_en from indicators order by indicator_id"
        ).fetchall()
    }


def _reports(
    con: duckdb.DuckDBPyConnection, where: str = "", params: dict | None = None
) -> list[dict]:
    """The reports rows, in page order, each with `rel` (its path inside the raw folder)."""
    reports = records(
        con,
        "select report_id, source_file, title, body, report_year, status, message, n_chars "
        f"from reports {where} order by body nulls last, report_year nulls last, source_file",
        params,
    )
    for r in reports:
        r["rel"] = _relative(r["source_file"])
    return reports


def anchor(mention_id: str) -> str:
    """The HTML id of a figure's highlighted span: m-<report_id>-<char_start>."""
    return "m-" + re.sub(r"[^0-9A-Za-z_-]", "-", mention_id)


def figure_label(m: dict) -> str:
    """'178 名, approx' as the warehouse holds the figure."""
    unit = f" {m['unit']}" if isinstance(m["unit"], str) else ""
    return f"{fmt_value(m['value'])}{unit}" + (", approx" if m["approx"] else "")


def correction_line(c: dict, with_line: bool = True) -> str:
    """'line 2 set_value: value 176 -> 178 (note; reviewer)'."""
    change = ""
    if isinstance(c.get("field"), str):
        old = c["old_value"] if isinstance(c["old_value"], str) else "-"
        new = c["new_value"] if isinstance(c["new_value"], str) else "-"
        change = f": {c['field']} {old} -> {new}"
    extra = "; ".join(x for x in (c.get("note"), c.get("reviewer")) if isinstance(x, str))
    line = f"line {c['line']} " if with_line else ""
    return f"{line}{c['action']}{change}" + (f" ({extra})" if extra else "")


def marked_sentence(m: dict, left: str = "【", right: str = "】", width: int = 0) -> str:
    """The sentence with the figure marked (176名 -> 【176名】); clipped around it when wider than
    `width` characters (0: whole sentence)."""
    context = m["context"] if isinstance(m["context"], str) else ""
    start = m["sentence_start"]
    pos = m["char_start"] - start if start is not None else -1
    raw = m["raw_text"]
    if not (0 <= pos and context[pos : pos + len(raw)] == raw):
        return f"{left}{raw}{right}"
    before, after = context[:pos], context[pos + len(raw) :]
    if width and len(context) > width:
        half = max(10, (width - len(raw)) // 2)
        before = ("…" + before[-half:]) if len(before) > half else before
        after = (after[:half] + "…") if len(after) > half else after
    return f"{before}{left}{raw}{right}{after}"


def find_report(con: duckdb.DuckDBPyConnection, name: str) -> tuple[list[str], str]:
    """Report ids matching a source file path, a path inside the raw folder, a file name or a
    report_id; and a message when none or several match."""
    rows = con.execute("select report_id, source_file from reports order by source_file").fetchall()
    wanted = name.replace("\\", "/")
    tries = [
        lambda rid, src: rid == wanted,
        lambda rid, src: src == wanted,
        lambda rid, src: Path(src).resolve() == Path(wanted).resolve(),
        lambda rid, src: _relative(src) == wanted,
        lambda rid, src: Path(src).name == Path(wanted).name,
    ]
    for test in tries:
        hits = [(rid, src) for rid, src in rows if test(rid, src)]
        if len(hits) == 1:
            return [hits[0][0]], ""
        if len(hits) > 1:
            shown = ", ".join(src for _, src in hits[:10])
            return [], f"'{name}' matches {len(hits)} reports ({shown}); give the path"
    return [], f"no report '{name}' in the warehouse (give a file path, file name or report_id)"
