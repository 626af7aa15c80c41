"""The data behind each chart, read from the warehouse, with its evidence.

Both the PNG export (figures.py) and the notebooks call these functions and hand the frame to the
chart function in charts.py, so a notebook shows exactly the figures a PNG was drawn from, next to
the sentence each figure was read from. Every function copes with a missing or empty table (an
older warehouse, or a corpus with no such figures): it returns an empty frame with the columns.

A national corpus has millions of panel rows, year-on-year changes and findings: loaded whole
into pandas with their sentences they take gigabytes. So what is counted is counted in SQL
(`changes_per_body`, `body_summary`, `check_counts`), per-body frames are read for the bodies
drawn (`bodies=`), and an evidence table reads its first rows (`limit=`: the frame's
`attrs["total_rows"]` then says how many there are in all; pandas carries attrs into frames
derived from it, filtered ones too, so read it from the frame the function returned).
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from pipeline import warehouse

TREND_COLUMNS = [
    "body", "report_year", "indicator_id", "name_zh", "unit", "kind", "value", "approx",
    "raw_text", "context", "source_file", "title", "report_id", "ord",
]  # fmt: skip
YOY_COLUMNS = [
    "body", "indicator_id", "name_zh", "unit", "year_from", "year_to", "value_from", "value_to",
    "abs_change", "pct_change", "years_between", "raw_from", "raw_to", "context_from",
    "context_to", "source_from", "source_to", "title_from", "title_to", "ord",
]  # fmt: skip
COVERAGE_COLUMNS = [
    "body", "report_year", "rate_id", "name_zh", "unit", "numerator_name", "denominator_name",
    "numerator", "denominator", "value", "numerator_context", "denominator_context",
    "source_file", "title",
]  # fmt: skip
CHECK_COLUMNS = [
    "report_id", "body", "report_year", "check_id", "severity", "message", "figures",
    "evidence", "source_file", "title",
]  # fmt: skip
# the findings as read, before their figures' sentences are looked up (checks_frame)
_FINDING_COLUMNS = [
    "report_id", "body", "report_year", "check_id", "severity", "message", "figures",
    "mention_ids", "source_file", "title",
]  # fmt: skip
# findings counted per report, check and severity: what the checks chart draws
CHECK_COUNT_COLUMNS = [
    "report_id", "body", "report_year", "check_id", "severity", "n", "source_file", "title",
]  # fmt: skip
BODY_SUMMARY_COLUMNS = ["body", "years", "n_indicators", "n_changes"]
REPORT_COLUMNS = [
    "report_id", "source_file", "body", "report_year", "title", "status", "n_mentions",
    "n_indicators",
]  # fmt: skip


def connect(db_path: str) -> duckdb.DuckDBPyConnection:
    """Read-only: charts and notebooks never change the warehouse."""
    return warehouse.connect_read_only(db_path)


def has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    found = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'"
        ).fetchall()
    }
    return set(names) <= found


def _query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list,
    columns: list[str],
    limit: int | None = None,
    count_sql: str | None = None,
) -> pd.DataFrame:
    """The rows of `sql`; with `limit`, the first `limit` of them, and attrs["total_rows"] from
    `count_sql` (the same rows counted without the joins that only add columns)."""
    if limit is not None:
        frame = con.execute(f"{sql} limit {int(limit)}", params).df()
    else:
        frame = con.execute(sql, params).df()
    frame = frame[columns] if not frame.empty else pd.DataFrame(columns=columns)
    if limit is not None:
        total = len(frame)
        if total == limit and count_sql is not None:
            total = con.execute(count_sql, params).fetchone()[0]
        frame.attrs["total_rows"] = total
    return frame


def _wanted(body: str | None, bodies: Sequence[str] | None) -> list[str] | None:
    """The bodies a frame is read for: one, some, or (None) every body."""
    if body is not None:
        return [body]
    return None if bodies is None else list(bodies)


# catalog order of the indicators (the order of rows in the catalog file), used to sort panels
_INDICATORS = "(select *, row_number() over () as ord from indicators)"


def trend_frame(
    con: duckdb.DuckDBPyConnection,
    body: str | None = None,
    *,
    bodies: Sequence[str] | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """indicator_panel rows (one per body, year, indicator) with names, evidence and source;
    of one body, of some `bodies`, or of all."""
    if not has_tables(con, "indicator_panel", "indicators"):
        return pd.DataFrame(columns=TREND_COLUMNS)
    where = """
        where p.body is not null and p.report_year is not null and p.value is not null
          and (?::varchar[] is null or p.body in (select unnest(?::varchar[])))"""
    sql = f"""
        select p.body, p.report_year, p.indicator_id,
               coalesce(i.name_zh, p.indicator_id) as name_zh,
               coalesce(i.unit, p.unit) as unit, i.kind, p.value, p.approx, m.raw_text,
               m.context, r.source_file, r.title, p.report_id, coalesce(i.ord, 1e9) as ord
        from indicator_panel p
        left join {_INDICATORS} i using (indicator_id)
        left join mentions m on m.mention_id = p.mention_id
        left join reports r on r.report_id = p.report_id
        {where}
        order by p.body, ord, p.indicator_id, p.report_year
    """
    wanted = _wanted(body, bodies)
    count_sql = f"select count(*) from indicator_panel p {where}"
    return _query(con, sql, [wanted, wanted], TREND_COLUMNS, limit, count_sql)


def bodies_with_years(con: duckdb.DuckDBPyConnection, min_years: int = 2) -> list[str]:
    """Bodies whose panel has figures for at least `min_years` report years, by name."""
    if not has_tables(con, "indicator_panel"):
        return []
    rows = con.execute(
        """select body from indicator_panel where body is not null and value is not null
           group by body having count(distinct report_year) >= ? order by body""",
        [min_years],
    ).fetchall()
    return [r[0] for r in rows]


def yoy_frame(
    con: duckdb.DuckDBPyConnection,
    body: str | None = None,
    *,
    bodies: Sequence[str] | None = None,
) -> pd.DataFrame:
    """yoy_change rows with indicator names and both sentences (from and to); of one body, of
    some `bodies`, or of all."""
    if not has_tables(con, "yoy_change", "indicators"):
        return pd.DataFrame(columns=YOY_COLUMNS)
    sql = f"""
        select y.body, y.indicator_id, coalesce(i.name_zh, y.indicator_id) as name_zh, i.unit,
               y.year_from, y.year_to, y.value_from, y.value_to, y.abs_change, y.pct_change,
               y.years_between, mf.raw_text as raw_from, mt.raw_text as raw_to,
               mf.context as context_from, mt.context as context_to,
               rf.source_file as source_from, rt.source_file as source_to,
               rf.title as title_from, rt.title as title_to,
               coalesce(i.ord, 1e9) as ord
        from yoy_change y
        left join {_INDICATORS} i using (indicator_id)
        left join mentions mf on mf.mention_id = y.mention_id_from
        left join mentions mt on mt.mention_id = y.mention_id_to
        left join reports rf on rf.report_id = mf.report_id
        left join reports rt on rt.report_id = mt.report_id
        where y.body is not null
          and (?::varchar[] is null or y.body in (select unnest(?::varchar[])))
        order by y.body, ord, y.indicator_id, y.year_from
    """
    wanted = _wanted(body, bodies)
    return _query(con, sql, [wanted, wanted], YOY_COLUMNS)


def changes_per_body(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many year-on-year changes each body has (bodies with none are absent)."""
    if not has_tables(con, "yoy_change"):
        return {}
    rows = con.execute(
        "select body, count(*) from yoy_change where body is not null group by body"
    ).fetchall()
    return dict(rows)


def body_summary(con: duckdb.DuckDBPyConnection, min_years: int = 2) -> pd.DataFrame:
    """Bodies with figures in at least `min_years` report years: their years ("2022、2023"),
    how many indicators and how many year-on-year changes they have; most changes first."""
    if not has_tables(con, "indicator_panel", "yoy_change"):
        return pd.DataFrame(columns=BODY_SUMMARY_COLUMNS)
    sql = """
        with panel as (
            select body,
                   -- years are four digits: their text sorts as the numbers do
                   string_agg(distinct report_year::varchar, '、' order by report_year::varchar)
                       as years,
                   count(distinct indicator_id) as n_indicators
            from indicator_panel
            where body is not null and value is not null
            group by body
            having count(distinct report_year) >= ?
        ),
        changes as (select body, count(*) as n from yoy_change group by body)
        select panel.body, panel.years, panel.n_indicators, coalesce(changes.n, 0) as n_changes
        from panel left join changes using (body)
        order by n_changes desc, panel.body
    """
    return _query(con, sql, [min_years], BODY_SUMMARY_COLUMNS)


def yoy_sources(frame: pd.DataFrame) -> pd.DataFrame:
    """The reports a yoy frame was read from, as rows (body, report_year, title, source_file)."""
    parts = [
        frame[["body", *cols]].set_axis(["body", "report_year", "title", "source_file"], axis=1)
        for cols in (
            ("year_from", "title_from", "source_from"),
            ("year_to", "title_to", "source_to"),
        )
    ]
    return pd.concat(parts).dropna(subset=["source_file"]).drop_duplicates()


def coverage_frame(
    con: duckdb.DuckDBPyConnection, limit: int | None = None, sentences: bool = True
) -> pd.DataFrame:
    """coverage_rates rows with the names of numerator and denominator and both sentences
    (`sentences=False`: without them, which the chart does not draw; their columns are empty)."""
    if not has_tables(con, "coverage_rates", "indicators"):
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    if sentences:
        contexts = "mn.context as numerator_context, md.context as denominator_context"
        joins = """
        left join mentions mn on mn.mention_id = c.numerator_mention_id
        left join mentions md on md.mention_id = c.denominator_mention_id"""
    else:
        contexts = "null::varchar as numerator_context, null::varchar as denominator_context"
        joins = ""
    sql = f"""
        select c.body, c.report_year, c.rate_id, coalesce(c.name_zh, c.rate_id) as name_zh,
               c.unit, coalesce(n.name_zh, c.numerator_id) as numerator_name,
               coalesce(d.name_zh, c.denominator_id) as denominator_name,
               c.numerator, c.denominator, c.value, {contexts}, r.source_file, r.title
        from coverage_rates c
        left join indicators n on n.indicator_id = c.numerator_id
        left join indicators d on d.indicator_id = c.denominator_id{joins}
        left join reports r
            on r.report_id = coalesce(c.numerator_report_id, c.denominator_report_id)
        where c.value is not null
        order by c.rate_id, c.body, c.report_year
    """
    count_sql = "select count(*) from coverage_rates where value is not null"
    return _query(con, sql, [], COVERAGE_COLUMNS, limit, count_sql)


def reports_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per report read: how many figures it gave and how many matched an indicator."""
    indicators = (
        "(select report_id, count(distinct indicator_id) as n from observations group by 1)"
        if has_tables(con, "observations")
        else "(select null::varchar as report_id, 0 as n where false)"
    )
    sql = f"""
        select r.report_id, r.source_file, r.body, r.report_year, r.title, r.status,
               coalesce(m.n, 0) as n_mentions, coalesce(o.n, 0) as n_indicators
        from reports r
        left join (select report_id, count(*) as n from mentions group by 1) m using (report_id)
        left join {indicators} o using (report_id)
        order by r.body nulls last, r.report_year, r.source_file
    """
    return _query(con, sql, [], REPORT_COLUMNS)


def check_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """consistency_checks findings counted per report, check and severity (`n`), with the
    report's body, year and file: what the checks chart draws."""
    if not has_tables(con, "consistency_checks"):
        return pd.DataFrame(columns=CHECK_COUNT_COLUMNS)
    sql = """
        select c.report_id, c.body, c.report_year, c.check_id, c.severity, c.n,
               r.source_file, r.title
        from (
            select report_id, body, report_year, check_id, severity, count(*) as n
            from consistency_checks group by all
        ) c
        left join reports r using (report_id)
        order by c.report_id, c.check_id, c.severity
    """
    return _query(con, sql, [], CHECK_COUNT_COLUMNS)


def checks_frame(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    """consistency_checks findings, each with the sentences of the figures it names."""
    if not has_tables(con, "consistency_checks"):
        return pd.DataFrame(columns=CHECK_COLUMNS)
    sql = """select c.report_id, c.body, c.report_year, c.check_id, c.severity,
                    coalesce(c.message_zh, c.message) as message,
                    c.figures, c.mention_ids, r.source_file, r.title
             from consistency_checks c left join reports r using (report_id)
             order by c.body nulls last, c.report_year, c.check_id, c.message, c.finding_id"""
    frame = _query(con, sql, [], _FINDING_COLUMNS, limit, "select count(*) from consistency_checks")
    if frame.empty:
        return pd.DataFrame(columns=CHECK_COLUMNS)
    ids = frame["mention_ids"].map(_as_list)
    wanted = sorted({i for group in ids for i in group})
    contexts = dict(
        con.execute(
            "select mention_id, raw_text || '：' || coalesce(context, '') from mentions "
            "where mention_id in (select unnest(?::varchar[]))",
            [wanted],
        ).fetchall()
    )
    frame["evidence"] = ["\n".join(contexts[i] for i in group if i in contexts) for group in ids]
    frame["figures"] = frame["figures"].map(lambda f: ", ".join(map(str, _as_list(f))))
    return frame[CHECK_COLUMNS]


def _as_list(value: object) -> list[str]:
    """mention_ids / figures may be stored as a list or as comma-separated text."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.strip("[]").split(",") if part.strip()]
    try:
        return [str(v) for v in value]  # list, tuple, numpy array
    except TypeError:
        return [] if pd.isna(value) else [str(value)]
