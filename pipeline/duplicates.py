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


# Every ok report with a text, numbered in source_file order (the first file of a group is the
# one kept), with the keys that group possible duplicates. Built as temp tables: only the groups
# of two or more reports come into Python, so memory does not grow with the corpus. The texts'
# hashes come first, in a table of their own: a query that joins or sorts rows still carrying
# the texts would hold them all in memory.
TEXT_KEYS_SQL = "select report_id, hash(text) as text_key from report_texts"
# figure_key: the report's figures in reading order, hashed; only for the reports whose figures,
# as a bag, another report shares (`bag_key`, no sort), since only they can share the ordered
# key, which needs a sort of each report's figures (on a large corpus, most of this step's time).
CANDIDATES_SQL = r"""
    with bags as (
        select report_id, count(*) as n_figures,
               sum(hash(value, coalesce(unit, ''), approx)) as bag_key
        from mentions group by report_id
    ),
    shared_bags as (
        select report_id from bags
        qualify count(*) over (partition by n_figures, bag_key) > 1
    ),
    figures as (
        select bags.report_id, bags.n_figures, ordered.figure_key
        from bags
        left join (
            select report_id,
                   md5(string_agg(concat(value, '|', coalesce(unit, ''), '|', approx), ','
                                  order by char_start)) as figure_key
            from mentions where report_id in (select report_id from shared_bags)
            group by report_id
        ) ordered using (report_id)
    )
    select r.report_id, r.body, r.report_year, k.text_key,
           coalesce(f.n_figures, 0) as n_figures, f.figure_key,
           row_number() over (order by r.source_file) as ord
    from reports r
    join _dup_text_keys k using (report_id)
    left join figures f using (report_id)
    where r.status = 'ok'
"""


def _groups(con: duckdb.DuckDBPyConnection, key: str, where: str = "true") -> list[tuple]:
    """(report ids, their figure counts) of the candidates sharing `key`, only groups of 2+, each
    in source order, the groups in order of their first file."""
    return con.execute(
        f"""
        select list(report_id order by ord), list(n_figures order by ord)
        from _dup_candidates where {where}
        group by {key} having count(*) > 1
        order by min(ord)
        """
    ).fetchall()


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
    con.execute(f"create or replace temp table _dup_text_keys as {TEXT_KEYS_SQL}")
    con.execute(f"create or replace temp table _dup_candidates as {CANDIDATES_SQL}")
    try:
        same_text = _groups(con, "text_key")
        same_slot = _groups(
            con, "body, report_year", "body is not null and report_year is not null"
        )
        # no figures: nothing doubled
        same_figures = _groups(con, "figure_key", "figure_key is not null")
    finally:
        con.execute("drop table _dup_candidates")
        con.execute("drop table _dup_text_keys")
    dup_of: dict[str, str] = {}
    for (first, *rest), _ in same_text:
        dup_of.update(dict.fromkeys(rest, first))
    n_figures = {
        rid: n
        for ids, counts in same_slot + same_figures
        for rid, n in zip(ids, counts, strict=True)
    }
    groups = [[r for r in ids if r not in dup_of] for ids, _ in same_slot + same_figures]
    groups = [g for g in groups if 1 < len(g) <= MAX_GROUP]
    # one group at a time, texts only where the figures agree: memory stays bounded by the
    # largest group, not the corpus
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
    for ids, _ in same_slot:
        ids = [r for r in ids if r not in dup_of]
        for rid in ids if len(ids) > 1 else []:
            claims[rid] = [o for o in ids if o != rid]
    return dup_of, claims


def mark_duplicates(con: duckdb.DuckDBPyConnection, options: object = None) -> None:
    """Warehouse step: mark text duplicates (figures and text dropped) and flag shared claims."""
    dup_of, claims = find_duplicates(con)
    involved = sorted(
        {*dup_of, *dup_of.values(), *claims, *(o for v in claims.values() for o in v)}
    )
    names, formats = {}, {}
    for rid, source_file, fmt in con.execute(
        "select report_id, source_file, format from reports where report_id in (select unnest(?))",
        [involved],
    ).fetchall():
        names[rid], formats[rid] = source_file, fmt
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
