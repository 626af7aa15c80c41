"""The review index (review.html) and the cross-body pages: one per indicator, and the
consistency findings (review/flagged.html), each split into pages of ROWS_PER_PAGE rows. Every
figure links to its span on its body page. Counts come from SQL and rows are streamed, so a
national corpus does not have to fit in memory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import duckdb

from pipeline.review import (
    PAGES_DIR,
    Site,
    _e,
    _snippet,
    _year,
    page,
    page_links,
)
from pipeline.review_data import (
    NO_BODY,
    anchor,
    correction_line,
    figure_label,
    figure_query,
    reviewed_column,
    tables,
)

ROWS_PER_PAGE = 2000  # rows of an indicator page or of the findings page
FLAGS = "_review_flags"  # temp table: mention_id -> check_ids of the findings citing it

HOW_TO = (
    "To correct a figure, add a line to <code>data/raw/corrections.csv</code> "
    "(<code>file,char_start,raw_text,action,value,unit,indicator_id,approx,note,reviewer</code>; "
    "action = set_value, set_unit, set_indicator, drop or add) and run the pipeline again. "
    "The file and char_start of every figure are in its tooltip and on its body page."
)


def _body_of(r: dict) -> str:
    return r["body"] if isinstance(r["body"], str) else NO_BODY


def prepare_flags(con: duckdb.DuckDBPyConnection) -> None:
    """The checks citing each figure, in the order of the findings page: a temp table that
    index_page and indicator_pages read (built once per export)."""
    if "consistency_checks" in tables(con):
        source = (
            "select unnest(mention_ids) as mention_id, check_id, body, report_year, message "
            "from consistency_checks"
        )
    else:
        source = (
            "select null::varchar as mention_id, null::varchar as check_id, null::varchar as "
            "body, null::integer as report_year, null::varchar as message where false"
        )
    con.execute(
        f"create or replace temp table {FLAGS} as select mention_id, "
        "list(check_id order by body nulls last, report_year, check_id, message) as check_ids "
        f"from ({source}) group by mention_id"
    )


def _report_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int, int]]:
    """report_id -> (figures, with an indicator, flagged, reviewed)."""
    have = tables(con)
    reviewed = reviewed_column(con)
    obs = "observations" in have
    rows = con.execute(
        f"""
        select m.report_id, count(*), {"count(o.indicator_id)" if obs else "0"},
               count(f.mention_id), count(*) filter (where {reviewed})
        from mentions m
        {"left join observations o on o.mention_id = m.mention_id" if obs else ""}
        left join {FLAGS} f on f.mention_id = m.mention_id
        group by m.report_id
        """
    ).fetchall()
    return {rid: (n, n_ind, n_flag, n_rev) for rid, n, n_ind, n_flag, n_rev in rows}


def _indicator_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int, int]]:
    """indicator_id -> (figures, in panel, bodies, flagged)."""
    if "observations" not in tables(con):
        return {}
    rows = con.execute(
        f"""
        select o.indicator_id, count(*), count(*) filter (where o.in_panel),
               count(distinct coalesce(r.body, ?)), count(f.mention_id)
        from mentions m
        join observations o on o.mention_id = m.mention_id
        join reports r on r.report_id = m.report_id
        left join {FLAGS} f on f.mention_id = m.mention_id
        group by o.indicator_id
        """,
        [NO_BODY],
    ).fetchall()
    return {ind: tuple(counts) for ind, *counts in rows}


def index_page(site: Site, con: duckdb.DuckDBPyConnection, db_path: Path) -> str:
    data = site.data
    reports = list(site.report.values())
    per_report = _report_counts(con)
    n_figures, n_ind, n_flag = (sum(c[i] for c in per_report.values()) for i in range(3))
    lines = {(c["line"], c["status"]) for c in data.corrections or []}  # a line may have 2 rows
    counts = Counter(status for _, status in lines)
    corr_counts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    parts = [
        "<h1>Review: every figure against its sentence</h1>",
        f'<p class="meta">{len(reports)} reports from {len(site.body_pages)} bodies · '
        f"{n_figures} figures, {n_ind} with an indicator · {n_flag} flagged by consistency "
        f"checks · corrections.csv: {_e(corr_counts)} · warehouse {_e(db_path)}</p>",
        '<p class="meta">Go to: <a href="#bodies">bodies and years</a> · '
        '<a href="#indicators">indicators</a> · '
        f'<a href="{PAGES_DIR}/flagged.html">figures flagged by consistency checks</a> · '
        '<a href="#corrections">corrections</a></p>',
        f'<p class="meta">{HOW_TO}</p>',
        _bodies(site, reports, per_report),
        _indicators(site, _indicator_counts(con)),
        _corrections(site, con),
    ]
    return page("Review of the figures", "\n".join(parts))


def _bodies(site: Site, reports: list[dict], per_report: dict[str, tuple]) -> str:
    by_body: dict[str, list[dict]] = {}
    for r in reports:
        by_body.setdefault(_body_of(r), []).append(r)
    all_years = sorted({_year(r["report_year"]) for r in reports} - {""})
    rows = []
    for body, pages in site.body_pages.items():
        rs = by_body[body]
        n, n_ind, flagged, n_rev = (
            sum(per_report.get(r["report_id"], (0, 0, 0, 0))[i] for r in rs) for i in range(4)
        )
        links = []
        for r in rs:
            year = _year(r["report_year"])
            frag = f"y{year}" if year else f"r-{r['report_id']}"
            label = year or "year?"
            links.append(
                f'<a href="{site.href(r["report_id"], frag, True)}" title="{_e(r["rel"])}">'
                f"{label}</a>"
            )
        flag_link = (
            f'<a href="{PAGES_DIR}/{quote(pages[0])}?flagged=1">{flagged}</a>' if flagged else "0"
        )
        rows.append(
            f'<tr class="bodyrow" data-body="{_e(body)}" '
            f'data-years="{" ".join(sorted({_year(r["report_year"]) for r in rs}))}">'
            f'<td><a href="{PAGES_DIR}/{quote(pages[0])}">{_e(body)}</a></td>'
            f'<td>{" ".join(links)}</td><td class="n">{len(rs)}</td><td class="n">{n}</td>'
            f'<td class="n">{n_ind}</td>'
            f'<td class="n">{flag_link}</td>'
            f'<td class="n">{n_rev}</td></tr>'
        )
    year_options = "".join(f'<option value="{y}">{y}</option>' for y in all_years)
    return (
        '<h2 id="bodies">Bodies and years</h2>\n<nav class="filters">'
        '<label>Find a body <input type="search" id="f-body" placeholder="e.g. 教育局"></label>'
        f'<label>Only bodies with a report for <select id="f-year"><option value="">any year'
        f"</option>{year_options}</select></label></nav>\n"
        '<table class="counts"><thead><tr><th>body</th><th>reports (click a year)</th>'
        "<th>reports</th><th>figures</th><th>with indicator</th><th>flagged</th>"
        "<th>reviewed</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _indicators(site: Site, per_indicator: dict[str, tuple]) -> str:
    rows = []
    for ind, (zh, en) in site.data.indicators.items():
        if ind not in per_indicator:
            continue
        n, in_panel, bodies, flagged = per_indicator[ind]
        rows.append(
            f'<tr><td><a href="{PAGES_DIR}/indicator-{quote(ind)}.html">{_e(ind)}</a></td>'
            f'<td>{_e(zh)}</td><td>{_e(en)}</td><td class="n">{n}</td>'
            f'<td class="n">{in_panel}</td>'
            f'<td class="n">{bodies}</td><td class="n">{flagged}</td></tr>'
        )
    return (
        '<h2 id="indicators">Indicators</h2>\n<table class="counts"><thead><tr><th>indicator</th>'
        "<th>名称</th><th>name</th><th>figures</th><th>in panel</th><th>bodies</th>"
        "<th>flagged</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _existing(con: duckdb.DuckDBPyConnection, mention_ids: list[str]) -> dict[str, dict]:
    """mention_id -> {report_id, raw_text} of those of `mention_ids` the warehouse holds."""
    rows = con.execute(
        "select mention_id, report_id, raw_text from mentions "
        "where mention_id in (select unnest(?))",
        [sorted(set(mention_ids))],
    ).fetchall()
    return {mid: {"report_id": rid, "raw_text": raw} for mid, rid, raw in rows}


def _corrections(site: Site, con: duckdb.DuckDBPyConnection) -> str:
    corr = site.data.corrections
    head = '<h2 id="corrections">Corrections (data/raw/corrections.csv)</h2>\n'
    if not corr:
        return head + f'<p class="meta">No corrections applied. {HOW_TO}</p>'
    existing = _existing(con, [c["mention_id"] for c in corr if isinstance(c["mention_id"], str)])
    rows = []
    for c in corr:
        mid = c["mention_id"]
        where = _e(c["file"])
        if isinstance(mid, str) and mid in existing and c["status"] == "applied":
            where = f'<a href="{site.href(c["report_id"], anchor(mid), True)}">{where}</a>'
        rows.append(
            f'<tr class="st-{_e(c["status"])}"><td>{c["line"]}</td><td>{where}</td>'
            f"<td>{_e(c['char_start'])}</td><td>{_e(c['raw_text'])}</td>"
            f"<td>{_e(correction_line(c, with_line=False))}</td><td>{_e(c['status'])}</td>"
            f"<td>{_e(c['message'])}</td></tr>"
        )
    return (
        head + '<table><thead><tr><th>line</th><th>file</th><th>char</th><th>raw_text</th>'
        "<th>change</th><th>status</th><th>message</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows) + "\n</tbody></table>"
    )  # fmt: skip


def _pages(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> Iterator[list[dict]]:
    """The rows of a query as dicts, ROWS_PER_PAGE at a time (never all in memory). No other
    query may run on `con` until the last page is read."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    while rows := cur.fetchmany(ROWS_PER_PAGE):
        yield [dict(zip(names, row, strict=True)) for row in rows]


def _list_page(head: str, names: list[str], name: str, columns: list[str], rows: list[str]) -> str:
    """One page of a list split over the pages `names`: heading, links to the other pages, the
    table of this page's rows."""
    parts = [head]
    if links := page_links(names, name):
        parts.append(links)
    thead = "".join(f"<th>{c}</th>" for c in columns)
    parts.append(
        f"<table><thead><tr>{thead}</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )
    return "\n".join(parts)


def _page_names(stem: str, n_rows: int) -> list[str]:
    n_pages = max(1, -(-n_rows // ROWS_PER_PAGE))
    return [f"{stem}.html" if k == 0 else f"{stem}-p{k + 1}.html" for k in range(n_pages)]


def indicator_pages(site: Site, con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str]]:
    """review/indicator-<id>.html (-p2, -p3...): every figure of one indicator, body by body."""
    data = site.data
    for ind, (n, *_) in sorted(_indicator_counts(con).items()):
        zh, en = data.indicators.get(ind, ("", ""))
        names = _page_names(f"indicator-{ind}", n)
        sql = figure_query(
            con,
            f"left join {FLAGS} fl on fl.mention_id = m.mention_id where o.indicator_id = ?",
            "coalesce(r.body, ?), coalesce(cast(r.report_year as varchar), ''), m.report_id, "
            "m.char_start",
            extra=", fl.check_ids",
        )
        for name, ms in zip(names, _pages(con, sql, [ind, NO_BODY]), strict=False):
            rows = []
            for m in ms:
                r = site.report[m["report_id"]]
                href = site.href(m["report_id"], anchor(m["mention_id"]))
                checks = m["check_ids"] or []
                rows.append(
                    f'<tr class="obs{" flag" if checks else ""}"><td>{_e(_body_of(r))}</td>'
                    f"<td>{_year(r['report_year'])}</td>"
                    f'<td class="num"><a href="{href}">{_e(figure_label(m))}</a></td>'
                    f"<td>{_e(m['scope'])}</td>"
                    f'<td class="c" title="{_e(m["panel_rule"])}">{"✔" if m["in_panel"] else ""}</td>'
                    f'<td class="c">{"✔" if m["reviewed"] else ""}</td>'
                    f"<td>{'<br>'.join(_e(c) for c in checks)}</td>"
                    f'<td class="ctx"><a href="{href}">{_snippet(m)}</a></td></tr>'
                )
            head = f'<h1>{_e(ind)} · {_e(zh)}</h1>\n<p class="meta">{_e(en)} · {n} figures</p>'
            columns = [
                "body",
                "year",
                "value",
                "scope",
                "in panel",
                "reviewed",
                "checks",
                "sentence",
            ]
            body = _list_page(head, names, name, columns, rows)
            yield name, page(f"{ind} · review", body, up="../")


def flagged_pages(site: Site, con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, str]]:
    """review/flagged.html (-p2, -p3...): every consistency finding with links to the figures it
    cites."""
    if not site.has_checks:
        body = "<h1>Consistency findings</h1><p>This warehouse has no consistency_checks table.</p>"
        yield "flagged.html", page("Consistency findings · review", body, up="../")
        return
    n = con.execute("select count(*) from consistency_checks").fetchone()[0]
    names = _page_names("flagged", n)
    sql = (
        "select * from consistency_checks order by body nulls last, report_year, check_id, message"
    )
    # a cursor of its own: the figures each page cites are queried while it is being read
    pages = _pages(con.cursor(), sql, [])
    for name in names:
        findings = next(pages, [])
        cited = _existing(con, [mid for f in findings for mid in f["mention_ids"]])
        rows = []
        for f in findings:
            links = []
            for mid in f["mention_ids"]:
                m = cited.get(mid)
                if m is not None:
                    href = site.href(m["report_id"], anchor(mid))
                    links.append(f'<a href="{href}">{_e(m["raw_text"])}</a>')
            body = _e(f["body"] if isinstance(f["body"], str) else NO_BODY)
            if f["report_id"] in site.page_of:  # the report the finding is about, on its page
                body = f'<a href="{site.href(f["report_id"], "r-" + f["report_id"])}">{body}</a>'
            rows.append(
                f"<tr><td>{body}</td><td>{_year(f['report_year'])}</td>"
                f'<td class="sev-{_e(f["severity"])}">{_e(f["severity"])}</td>'
                f"<td>{_e(f['check_id'])}</td><td>{_e(f['message'])}</td>"
                f'<td class="figs">{" ".join(links)}</td></tr>'
            )
        head = (
            f'<h1>Consistency findings</h1>\n<p class="meta">{n} findings; each figure '
            "links to its sentence.</p>"
        )
        columns = ["body", "year", "severity", "check", "message", "figures"]
        body = _list_page(head, names, name, columns, rows)
        yield name, page("Consistency findings · review", body, up="../")
