"""The indicator tables: `indicators` (the catalog), `observations` (every matched figure) and
`indicator_panel` (one value per body, report_year and indicator), plus the CSV export.

Choosing the panel's value for a (body, report_year, indicator) cell, in this order:
1. only reports whose status is 'ok' and whose body and report_year are known take part;
2. if several reports give the same body and year, the one with the most observations (the
   fuller report) supplies the cell, ties broken by file name;
3. inside that report, restatements of a figure count once; for a rate, an observation whose
   scope is the whole body wins over one whose scope names a part of it (区政府负责人 over
   区级部门和镇街负责人, see vocab.subscope in indicators.yml); otherwise the first statement
   wins (for counts the first is the headline figure; the scope of a count names what kind of
   event it is, not a part of the body). A figure a person reviewed in corrections.csv wins over
   the others of its report.
Every observation keeps `panel_rule`, a sentence saying why it is or is not the panel's value.
The choice is made in SQL (sql/indicators/panel_choice.sql) over the whole corpus at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import warehouse
from pipeline.catalog import Catalog, CatalogError, load_catalog
from pipeline.corrections import apply_to_observations, finish_indicator_corrections
from pipeline.indicators import Match, Matcher, default_matcher, match_sentence, surroundings
from pipeline.ingest import row_unit
from pipeline.paths import SQL_DIR

PANEL_CSV = "indicator_panel.csv"
DDL = """
create or replace table indicators (
    indicator_id varchar primary key,
    name_zh      varchar not null,
    name_en      varchar not null,
    unit         varchar not null,
    kind         varchar not null,
    description  varchar not null,
    units        varchar,
    phrasings    varchar
);
create or replace table observations (
    observation_id varchar not null,  -- key tested in sql/schema.yml (no in-memory index)
    report_id      varchar not null,
    indicator_id   varchar not null,
    value          double not null,
    unit           varchar,
    approx         boolean not null,
    mention_id     varchar not null,
    body           varchar,
    report_year    integer,
    scope          varchar,
    in_panel       boolean not null,
    panel_rule     varchar not null,
    reviewed       boolean not null,
    cue            varchar,
    char_start     integer
);
-- key (body, report_year, indicator_id): tested in sql/schema.yml, no in-memory index
create or replace table indicator_panel (
    body           varchar not null,
    report_year    integer not null,
    indicator_id   varchar not null,
    value          double not null,
    unit           varchar,
    approx         boolean not null,
    mention_id     varchar not null,
    report_id      varchar not null,
    observation_id varchar not null,
    n_observations integer not null,
    panel_rule     varchar not null,
    context        varchar using compression zstd,  -- a sentence: see warehouse.DDL
    reviewed       boolean not null
);
"""
OBS_COLUMNS = [
    "observation_id", "report_id", "indicator_id", "value", "unit", "approx", "mention_id",
    "body", "report_year", "scope", "in_panel", "panel_rule", "reviewed", "cue", "char_start",
]  # fmt: skip
PANEL_COLUMNS = [
    "body", "report_year", "indicator_id", "value", "unit", "approx", "mention_id", "report_id",
    "observation_id", "n_observations", "panel_rule", "context", "reviewed",
]  # fmt: skip
MENTIONS_SQL = """
    select m.mention_id, m.report_id, m.value, m.unit, m.approx, m.char_start, m.char_end,
           m.context, m.sentence_start, r.body, r.report_year, r.status, r.source_file
    from mentions m join reports r using (report_id)
    order by m.report_id, m.char_start
"""


def catalog_frame(catalog: Catalog) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "indicator_id": ind.id,
                "name_zh": ind.name_zh,
                "name_en": ind.name_en,
                "unit": ind.unit,
                "kind": ind.kind,
                "description": ind.description,
                "units": " / ".join(u or "(none)" for u in sorted(ind.units, key=str)),
                "phrasings": " / ".join(ind.phrasings),
            }  # fmt: skip
            for ind in catalog.indicators
        ]
    )


def sentence_groups(mentions: pd.DataFrame) -> dict[tuple, list[int]]:
    """Row positions of the mentions of each sentence (report_id, sentence_start)."""
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(mentions["report_id"], mentions["sentence_start"], strict=True)):
        groups.setdefault(key, []).append(i)
    return groups


def match_all(mentions: pd.DataFrame, matcher: Matcher) -> dict[int, object]:
    """Row position -> Match for every mention that names an indicator."""
    found = {}
    starts, ends = mentions["char_start"].tolist(), mentions["char_end"].tolist()
    units, contexts = mentions["unit"].tolist(), mentions["context"].tolist()
    for (_, s_start), rows in sentence_groups(mentions).items():
        sentence = contexts[rows[0]] if isinstance(contexts[rows[0]], str) else ""
        base = 0 if pd.isna(s_start) else int(s_start)
        figures = [
            (
                starts[i] - base,
                ends[i] - base,
                _unit(units[i]) or row_unit(sentence, starts[i] - base),
            )
            for i in rows
        ]  # the same figures as matching at ingest (ingest.match_mentions) sees
        if any(s < 0 or e > len(sentence) for s, e, _ in figures):
            continue  # offsets outside the stored sentence: nothing to read
        for i, m in zip(rows, match_sentence(matcher, sentence, figures), strict=True):
            if m is not None:
                found[i] = m
    return found


def _unit(u: object) -> str | None:
    return u if isinstance(u, str) else None


def observation_record(
    cols: dict[str, list], i: int, indicator_id: str, scope: str | None, cue: str, matcher: Matcher
) -> dict:
    """The observation of mention row i (`cols`: the mentions as columns) naming indicator_id."""
    year = cols["report_year"][i]
    return {
        "observation_id": f"{indicator_id}@{cols['mention_id'][i]}",
        "report_id": cols["report_id"][i],
        "indicator_id": indicator_id,
        "value": float(cols["value"][i]),
        "unit": _unit(cols["unit"][i]) or matcher.by_id[indicator_id].unit,
        "approx": bool(cols["approx"][i]),
        "mention_id": cols["mention_id"][i],
        "body": cols["body"][i] if isinstance(cols["body"][i], str) else None,
        "report_year": None if pd.isna(year) else int(year),
        "scope": scope,
        "in_panel": False,
        "panel_rule": "",
        "reviewed": False,
        "cue": cue,
        "char_start": int(cols["char_start"][i]),
        "status": cols["status"][i],
        "source_file": cols["source_file"][i],
        # None when not read (matched at ingest): the panel's is joined in SQL afterwards
        "context": cols["context"][i] if "context" in cols else None,
    }


def build_observations(
    mentions: pd.DataFrame, matcher: Matcher, found: dict[int, Match] | None = None
) -> list[dict]:
    """One record per mention that names an indicator, in reading order within each report.
    `found` (row position -> Match) is the matching already done at ingest; None matches now."""
    cols = {c: mentions[c].tolist() for c in mentions.columns}
    rows = [
        observation_record(cols, i, m.indicator_id, m.scope, m.cue, matcher)
        for i, m in sorted((match_all(mentions, matcher) if found is None else found).items())
    ]
    rows.sort(key=lambda o: (o["report_id"], o["char_start"]))
    return rows


def _append(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_ind_frame", frame)
    cols = ", ".join(frame.columns)
    con.execute(f"insert into {table} ({cols}) select {cols} from _ind_frame")
    con.unregister("_ind_frame")


def _python_observations(
    con: duckdb.DuckDBPyConnection, matcher: Matcher, report_ids: list[str]
) -> list[dict]:
    """Observations of the reports a correction touched, matched again here: their mentions may
    differ from the ones matched at ingest, and set_indicator lines override the matcher."""
    base = MENTIONS_SQL.replace("order by m.report_id, m.char_start", "")
    mentions = con.execute(
        f"select * from ({base}) q where q.report_id in (select unnest(?)) "
        "order by q.report_id, q.char_start",
        [report_ids],
    ).fetchdf()
    obs = build_observations(mentions, matcher) if not mentions.empty else []
    # corrections.csv: set_indicator overrides the matcher; corrected figures are reviewed
    return apply_to_observations(con, obs, matcher, set(report_ids))


# The observations matched at ingest, for every report not in _special (view _ingest_matched).
MATCHED_SQL = """
    select
        mm.indicator_id || '@' || m.mention_id as observation_id,
        m.report_id,
        mm.indicator_id,
        m.value,
        coalesce(nullif(m.unit, ''), i.unit) as unit,
        m.approx,
        m.mention_id,
        r.body,
        r.report_year,
        mm.scope,
        false as reviewed,
        mm.cue,
        m.char_start,
        r.status,
        r.source_file
    from mention_matches mm
    join mentions m on m.mention_id = mm.mention_id
    join reports r on r.report_id = m.report_id
    join indicators i on i.indicator_id = mm.indicator_id
    where mm.indicator_id is not null and m.report_id not in (select report_id from _special)
"""
MATCHED_COLUMNS = [
    *(c for c in OBS_COLUMNS if c not in ("in_panel", "panel_rule")),
    *("status", "source_file"),
]
# What panel_choice.sql reads (temp table _observation_candidates): every observation, with
# is_sub: a rate whose scope names a part of the body (区级部门和镇街负责人), and cell_id: the
# number of its panel cell (body, report_year, indicator_id), so that panel_choice.sql groups and
# joins on one integer instead of three columns. The numbers come from the reports and the
# catalog, tables of thousands and tens of rows. _matched (a view) is the observations matched at
# ingest and those matched again; this table is the only copy of them the step makes.
# _subscope_words: one row, the list of subscope words.
CANDIDATES_SQL = """
    select o.*,
           i.kind = 'rate'
           and coalesce(len(list_filter(s.words, lambda w: contains(o.scope, w))) > 0, false)
           as is_sub,
           r.body_year_no * i.n_indicators + i.indicator_no as cell_id
    from _matched o
    join (
        select *, row_number() over (order by indicator_id) - 1 as indicator_no,
               count(*) over () as n_indicators
        from indicators
    ) i using (indicator_id)
    join (
        select report_id, dense_rank() over (order by body, report_year) as body_year_no
        from reports
    ) r using (report_id)
    cross join _subscope_words s
"""
PANEL_CHOICE_SQL = SQL_DIR / "indicators" / "panel_choice.sql"


def _corrected_reports(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The reports a line of corrections.csv was applied to: the only ones whose mentions can
    differ from the ones matched at ingest."""
    n = con.execute(
        "select count(*) from information_schema.tables where table_name = 'corrections_applied'"
    ).fetchone()[0]
    if not n:
        return []
    rows = con.execute(
        "select distinct split_part(mention_id, ':', 1) from corrections_applied "
        "where status = 'applied' and mention_id is not null order by 1"
    ).fetchall()
    return [r for (r,) in rows]


def build_indicator_tables(con: duckdb.DuckDBPyConnection, options: object = None) -> None:
    """Warehouse step: indicators, observations and indicator_panel from reports + mentions.

    Figures matched at ingest become observations in SQL; only the reports a correction touched
    are matched again, in Python. The panel's choice is SQL
    (sql/indicators/panel_choice.sql)."""
    try:
        matcher = default_matcher()
    except CatalogError as exc:
        # a broken edit of the catalog stops the run; the previous warehouse stays as it was
        raise SystemExit(f"error: {exc}") from None
    con.execute(DDL)
    _append(con, "indicators", catalog_frame(matcher.catalog))
    special = _corrected_reports(con)
    con.execute("create or replace temp table _special (report_id varchar)")
    con.execute("insert into _special select unnest(?)", [special])
    con.execute(f"create or replace temp view _ingest_matched as {MATCHED_SQL}")
    con.execute("create or replace temp table _rematched as from _ingest_matched limit 0")
    if special:
        frame = pd.DataFrame(_python_observations(con, matcher, special), columns=MATCHED_COLUMNS)
        frame["report_year"] = frame["report_year"].astype("Int64")
        _append(con, "_rematched", frame)
    finish_indicator_corrections(con)
    con.execute(
        "create or replace temp view _matched as "
        "select * from _ingest_matched union all select * from _rematched"
    )
    con.execute(
        "create or replace temp table _subscope_words as select ?::varchar[] as words",
        [list(matcher.catalog.vocab["subscope"])],
    )
    con.execute(f"create or replace temp table _observation_candidates as {CANDIDATES_SQL}")
    sql = PANEL_CHOICE_SQL.read_text(encoding="utf-8")
    con.execute(f"create or replace temp table _panel_choice as {sql}")
    columns = ", ".join(OBS_COLUMNS)
    con.execute(f"insert into observations ({columns}) select {columns} from _panel_choice")
    # the evidence sentence of each panel cell is the mention's own sentence
    con.execute(
        f"""
        insert into indicator_panel ({", ".join(PANEL_COLUMNS)})
        select c.body, c.report_year, c.indicator_id, c.value, c.unit, c.approx, c.mention_id,
               c.report_id, c.observation_id, c.n_observations, c.panel_rule, m.context,
               c.reviewed
        from _panel_choice c join mentions m using (mention_id)
        where c.in_panel
        order by c.body, c.report_year, c.indicator_id
        """
    )
    for view in ("_matched", "_ingest_matched"):
        con.execute(f"drop view {view}")
    for table in (
        "_special",
        "_rematched",
        "_subscope_words",
        "_observation_candidates",
        "_panel_choice",
    ):
        con.execute(f"drop table {table}")


def export_panel_csv(db_path: Path, options: object = None) -> Path:
    """data/processed/indicator_panel.csv beside the warehouse, UTF-8 with BOM for Excel."""
    return warehouse.write_csv(
        db_path,
        """
        select p.body, p.report_year, p.indicator_id, i.name_zh, i.name_en, p.value, p.unit,
               p.approx, p.n_observations, p.panel_rule, p.context, r.source_file,
               p.reviewed, p.mention_id, p.report_id, p.observation_id
        from indicator_panel p join indicators i using (indicator_id)
        join reports r using (report_id)
        """,
        "q.body, q.indicator_id, q.report_year",
        db_path.parent / PANEL_CSV,
    )


def unmapped_phrases(db_path: Path, limit: int = 40) -> list[dict]:
    """Mentions that got no indicator, grouped by the noun they count and its unit, most
    frequent first: what the catalog misses. The group key is the noun phrase's last four
    characters (its head: 宣传资料, 执法培训) and the unit."""
    matcher = default_matcher()
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        mentions = con.execute(MENTIONS_SQL).fetchdf()
        mapped = {r[0] for r in con.execute("select mention_id from observations").fetchall()}
    finally:
        con.close()
    groups: dict[tuple[str, str], dict] = {}
    cols = {c: mentions[c].tolist() for c in ("mention_id", "unit", "context", "source_file")}
    starts, ends = mentions["char_start"].tolist(), mentions["char_end"].tolist()
    for (_, s_start), rows in sentence_groups(mentions).items():
        sentence = cols["context"][rows[0]]
        if not isinstance(sentence, str):
            continue
        base = 0 if pd.isna(s_start) else int(s_start)
        spans = [(starts[i] - base, ends[i] - base) for i in rows]
        for i, (s, e) in zip(rows, spans, strict=True):
            if cols["mention_id"][i] in mapped or s < 0 or e > len(sentence):
                continue
            sur = surroundings(sentence, s, e, spans)
            noun = matcher.counted_noun(sur) or "?"
            verbs = matcher.inner_verbs.findall(sur.before) or matcher.inner_verbs.findall(
                sur.inherited[0] if sur.inherited else ""
            )
            unit = _unit(cols["unit"][i]) or ""
            g = groups.setdefault(
                (noun[-4:], unit),
                {"n": 0, "noun": noun, "unit": unit, "verbs": {}, "example": sentence,
                 "file": cols["source_file"][i]},
            )  # fmt: skip
            g["n"] += 1
            for v in verbs[-1:]:
                g["verbs"][v] = g["verbs"].get(v, 0) + 1
    ranked = sorted(groups.values(), key=lambda g: (-g["n"], g["noun"]))
    for g in ranked:
        g["verb"] = max(g["verbs"], key=g["verbs"].get) if g["verbs"] else ""
    return ranked[:limit]


def print_unmapped(db_path: Path, limit: int = 40) -> int:
    """`python -m pipeline unmapped`: print the phrases the catalog misses, most frequent first."""
    if warehouse.missing(db_path):
        return 2
    try:
        rows = unmapped_phrases(db_path, limit)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        print(
            f"error: {db_path}: cannot read mentions/observations ({str(exc).splitlines()[0]})",
            file=sys.stderr,
        )
        return 2
    print("count\tverb\tcounted noun + unit\texample sentence (report)")
    for g in rows:
        example = g["example"] if len(g["example"]) <= 80 else g["example"][:79] + "…"
        print(f"{g['n']}\t{g['verb'] or '-'}\t{g['noun']} N{g['unit']}\t{example} ({g['file']})")
    print(f"(edit {load_catalog().source} to add a phrasing to an indicator)")
    return 0
