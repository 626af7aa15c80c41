"""The same report saved twice in different files, and two reports that claim the same slot.

Byte-identical files are caught while reading (run.ingest). This warehouse step catches the rest:

- the same text in two files (a .txt in UTF-8 and one in GBK; the page and its PDF attachment;
  a .docx and the same text pasted into a .txt): the decoded texts are equal, or they carry the
  same figures and 90% of one text's 8-character shingles (spaces and punctuation ignored) occur
  in the other (page chrome and line breaks differ between formats, the report does not). The later
  file (by path) gets status `duplicate` naming the first; its figures and text are dropped so
  nothing is counted twice.
- two different reports claiming the same body and year, including two versions of one report
  whose figures differ: both stay `ok` and keep their figures, each with a message naming the
  other, so an analyst can check which is right (a wrong body or year is fixed in sources.csv).
  A figure is never dropped because another file looks like it.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

import duckdb
import pandas as pd

CONTAINMENT = 0.9  # share of the shorter text's shingles found in the longer: the same report
SHINGLE = 8
MAX_GROUP = 50  # beyond this many files for one body-year, flag them instead of comparing pairs


def _shingles(text: str) -> set[str]:
    s = re.sub(r"[\W_]+", "", text)
    return {s[i : i + SHINGLE] for i in range(max(1, len(s) - SHINGLE + 1))}


def _same_report(a: set[str], b: set[str]) -> bool:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return bool(small) and len(small & large) >= CONTAINMENT * len(small)


def _candidates(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(report_id, body, report_year, text_key, n_figures, figure_key) of every ok report with a
    text, in source_file order (the first file of a group is the one kept)."""
    return con.execute(
        r"""
        with figures as (
            select report_id, count(*) as n_figures,
                   md5(string_agg(concat(value, '|', coalesce(unit, ''), '|', approx), ','
                                  order by char_start)) as figure_key
            from mentions group by report_id
        )
        select r.report_id, r.body, r.report_year, hash(t.text) as text_key,
               coalesce(f.n_figures, 0) as n_figures, f.figure_key
        from reports r
        join report_texts t using (report_id)
        left join figures f using (report_id)
        where r.status = 'ok'
        order by r.source_file
        """
    ).fetchall()


def _groups(rows: list[tuple], key) -> list[list[str]]:
    """Report ids sharing a key (None keys never group), in input order; only groups of 2+."""
    out: dict[object, list[str]] = {}
    for row in rows:
        k = key(row)
        if k is not None:
            out.setdefault(k, []).append(row[0])
    return [ids for ids in out.values() if len(ids) > 1]


def _texts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, set[str]]:
    frame = con.execute(
        "select report_id, text from report_texts where report_id in (select unnest(?))", [ids]
    ).df()
    return {rid: _shingles(text) for rid, text in zip(frame.report_id, frame.text, strict=True)}


def _figures(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, Counter]:
    rows = con.execute(
        "select report_id, value, unit from mentions where report_id in (select unnest(?))", [ids]
    ).fetchall()
    out: dict[str, Counter] = {rid: Counter() for rid in ids}
    for rid, value, unit in rows:
        out[rid][(value, unit)] += 1
    return out


def find_duplicates(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[str, list[str]]]:
    """({duplicate report_id: report_id it repeats}, {report_id: ids of other claims to its
    body and year})."""
    rows = _candidates(con)
    order = {row[0]: i for i, row in enumerate(rows)}
    dup_of: dict[str, str] = {}
    for first, *rest in _groups(rows, lambda r: r[3]):
        dup_of.update(dict.fromkeys(rest, first))

    def body_year(row: tuple) -> tuple | None:
        return (row[1], row[2]) if row[1] is not None and row[2] is not None else None

    groups = _groups(rows, body_year)
    groups += _groups(rows, lambda r: r[5] if r[4] >= 1 else None)  # no figures: nothing doubled
    groups = [[r for r in g if r not in dup_of] for g in groups]
    groups = [sorted(g, key=order.__getitem__) for g in groups if 1 < len(g) <= MAX_GROUP]
    # one group at a time, texts only where the figures agree: memory stays bounded by the
    # largest group, not the corpus
    n_figures = {row[0]: row[4] for row in rows}
    for group in groups:
        counts = [n_figures[r] for r in group]
        if len(set(counts)) == len(counts):
            continue  # no two hold as many figures: their figures cannot agree
        figures = _figures(con, group)
        pairs = [
            (earlier, later)
            for i, later in enumerate(group)
            for earlier in group[:i]
            if figures[earlier] == figures[later]  # different figures: two versions, kept
        ]
        if not pairs:
            continue
        shingles = _texts(con, sorted({r for pair in pairs for r in pair}))
        for earlier, later in pairs:
            if earlier in dup_of or later in dup_of:
                continue
            if _same_report(shingles[earlier], shingles[later]):
                dup_of[later] = earlier

    for rid in dup_of:  # point every duplicate at the file that is kept
        while dup_of[rid] in dup_of:
            dup_of[rid] = dup_of[dup_of[rid]]

    claims: dict[str, list[str]] = {}
    for ids in _groups([r for r in rows if r[0] not in dup_of], body_year):
        for rid in ids:
            claims[rid] = [o for o in ids if o != rid]
    return dup_of, claims


def mark_duplicates(con: duckdb.DuckDBPyConnection, options: object = None) -> None:
    """Warehouse step: mark text duplicates (figures and text dropped) and flag shared claims."""
    dup_of, claims = find_duplicates(con)
    names = dict(con.execute("select report_id, source_file from reports").fetchall())
    formats = dict(con.execute("select report_id, format from reports").fetchall())
    rows = []
    for rid, first in sorted(dup_of.items(), key=lambda kv: names[kv[0]]):
        message = (
            f"same report as {names[first]} ({formats[first]}), saved again as "
            f"{formats[rid]}; its figures are loaded once, from {names[first]}"
        )
        rows.append((rid, "duplicate", message, names[first]))
    for rid, others in sorted(claims.items(), key=lambda kv: names[kv[0]]):
        shown = ", ".join(names[o] for o in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        message = (
            f"same body and year as {shown}{more}; both kept: check which is right "
            "(sources.csv can correct body or report_year)"
        )
        rows.append((rid, "ok", message, None))
    if not rows:
        return
    updates = pd.DataFrame(rows, columns=["report_id", "status", "message", "duplicate_of"])
    con.register("_updates", updates)
    con.execute(
        """
        update reports set status = u.status, message = u.message,
               duplicate_of = coalesce(u.duplicate_of, reports.duplicate_of)
        from _updates u where reports.report_id = u.report_id
        """
    )
    # byte-identical copies found while reading point at a file that may now be a duplicate too
    con.execute(
        """
        update reports set duplicate_of = kept.source_file
        from _updates u join reports dup on dup.report_id = u.report_id
             join reports kept on kept.source_file = u.duplicate_of
        where u.status = 'duplicate' and reports.duplicate_of = dup.source_file
        """
    )
    for table in ("mentions", "report_texts"):
        con.execute(
            f"delete from {table} where report_id in "
            "(select report_id from _updates where status = 'duplicate')"
        )
    con.unregister("_updates")
    for rid, status, message, _ in rows:
        label = status if status == "duplicate" else "flagged"
        print(f"{names[rid]}: {label}: {message}", file=sys.stderr)
