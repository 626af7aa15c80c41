"""The review index (review.html) and the cross-body pages: one per indicator, and the
consistency findings (review/flagged.html). Every figure links to its span on its body page."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import quote

from pipeline.review import (
    PAGES_DIR,
    Site,
    _e,
    _snippet,
    _year,
    page,
)
from pipeline.review_data import NO_BODY, anchor, correction_line, figure_label

HOW_TO = (
    "To correct a figure, add a line to <code>data/raw/corrections.csv</code> "
    "(<code>file,char_start,raw_text,action,value,unit,indicator_id,approx,note,reviewer</code>; "
    "action = set_value, set_unit, set_indicator, drop or add) and run the pipeline again. "
    "The file and char_start of every figure are in its tooltip and on its body page."
)


def _body_of(r: dict) -> str:
    return r["body"] if isinstance(r["body"], str) else NO_BODY


def index_page(site: Site, db_path: Path) -> str:
    data = site.data
    reports = list(site.report.values())
    figures = data.mentions
    n_ind = sum(m["indicator_id"] is not None for m in figures)
    n_flag = sum(m["mention_id"] in data.flags for m in figures)
    lines = {(c["line"], c["status"]) for c in data.corrections or []}  # a line may have 2 rows
    counts = Counter(status for _, status in lines)
    corr_counts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
    parts = [
        "<h1>Review: every figure against its sentence</h1>",
        f'<p class="meta">{len(reports)} reports from {len(site.body_pages)} bodies · '
        f"{len(figures)} figures, {n_ind} with an indicator · {n_flag} flagged by consistency "
        f"checks · corrections.csv: {_e(corr_counts)} · warehouse {_e(db_path)}</p>",
        '<p class="meta">Go to: <a href="#bodies">bodies and years</a> · '
        '<a href="#indicators">indicators</a> · '
        f'<a href="{PAGES_DIR}/flagged.html">figures flagged by consistency checks</a> · '
        '<a href="#corrections">corrections</a></p>',
        f'<p class="meta">{HOW_TO}</p>',
        _bodies(site, reports),
        _indicators(site),
        _corrections(site),
    ]
    return page("Review of the figures", "\n".join(parts))


def _bodies(site: Site, reports: list[dict]) -> str:
    data = site.data
    by_body: dict[str, list[dict]] = {}
    for r in reports:
        by_body.setdefault(_body_of(r), []).append(r)
    all_years = sorted({_year(r["report_year"]) for r in reports} - {""})
    rows = []
    for body, pages in site.body_pages.items():
        rs = by_body[body]
        ms = [m for r in rs for m in site.by_report.get(r["report_id"], [])]
        links = []
        for r in rs:
            year = _year(r["report_year"])
            frag = f"y{year}" if year else f"r-{r['report_id']}"
            label = year or "year?"
            links.append(
                f'<a href="{site.href(r["report_id"], frag, True)}" title="{_e(r["rel"])}">'
                f"{label}</a>"
            )
        flagged = sum(m["mention_id"] in data.flags for m in ms)
        flag_link = (
            f'<a href="{PAGES_DIR}/{quote(pages[0])}?flagged=1">{flagged}</a>' if flagged else "0"
        )
        rows.append(
            f'<tr class="bodyrow" data-body="{_e(body)}" '
            f'data-years="{" ".join(sorted({_year(r["report_year"]) for r in rs}))}">'
            f'<td><a href="{PAGES_DIR}/{quote(pages[0])}">{_e(body)}</a></td>'
            f'<td>{" ".join(links)}</td><td class="n">{len(rs)}</td><td class="n">{len(ms)}</td>'
            f'<td class="n">{sum(isinstance(m["indicator_id"], str) for m in ms)}</td>'
            f'<td class="n">{flag_link}</td>'
            f'<td class="n">{sum(bool(m["reviewed"]) for m in ms)}</td></tr>'
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


def _indicators(site: Site) -> str:
    data = site.data
    groups: dict[str, list[dict]] = {}
    for m in data.mentions:
        if m["indicator_id"] is not None:
            groups.setdefault(m["indicator_id"], []).append(m)
    rows = []
    for ind, (zh, en) in data.indicators.items():
        mine = groups.get(ind, [])
        if not mine:
            continue
        bodies = {_body_of(site.report[m["report_id"]]) for m in mine}
        flagged = sum(m["mention_id"] in data.flags for m in mine)
        in_panel = sum(bool(m["in_panel"]) for m in mine)
        rows.append(
            f'<tr><td><a href="{PAGES_DIR}/indicator-{quote(ind)}.html">{_e(ind)}</a></td>'
            f'<td>{_e(zh)}</td><td>{_e(en)}</td><td class="n">{len(mine)}</td>'
            f'<td class="n">{in_panel}</td>'
            f'<td class="n">{len(bodies)}</td><td class="n">{flagged}</td></tr>'
        )
    return (
        '<h2 id="indicators">Indicators</h2>\n<table class="counts"><thead><tr><th>indicator</th>'
        "<th>名称</th><th>name</th><th>figures</th><th>in panel</th><th>bodies</th>"
        "<th>flagged</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )


def _corrections(site: Site) -> str:
    corr = site.data.corrections
    head = '<h2 id="corrections">Corrections (data/raw/corrections.csv)</h2>\n'
    if not corr:
        return head + f'<p class="meta">No corrections applied. {HOW_TO}</p>'
    rows = []
    for c in corr:
        mid = c["mention_id"]
        where = _e(c["file"])
        if isinstance(mid, str) and mid in site.mentions and c["status"] == "applied":
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


def indicator_pages(site: Site) -> dict[str, str]:
    """review/indicator-<id>.html: every figure of one indicator, body by body."""
    data = site.data
    obs = [m for m in data.mentions if m["indicator_id"] is not None]
    groups: dict[str, list[dict]] = {}
    for m in obs:
        groups.setdefault(m["indicator_id"], []).append(m)
    out = {}
    for ind, ms in groups.items():
        zh, en = data.indicators.get(ind, ("", ""))
        ms.sort(key=lambda m: (_body_of(site.report[m["report_id"]]),
                               _year(site.report[m["report_id"]]["report_year"]),
                               m["report_id"], m["char_start"]))  # fmt: skip
        rows = []
        for m in ms:
            r = site.report[m["report_id"]]
            href = site.href(m["report_id"], anchor(m["mention_id"]))
            flags = data.flags.get(m["mention_id"], [])
            rows.append(
                f'<tr class="obs{" flag" if flags else ""}"><td>{_e(_body_of(r))}</td>'
                f"<td>{_year(r['report_year'])}</td>"
                f'<td class="num"><a href="{href}">{_e(figure_label(m))}</a></td>'
                f"<td>{_e(m['scope'])}</td>"
                f'<td class="c" title="{_e(m["panel_rule"])}">{"✔" if m["in_panel"] else ""}</td>'
                f'<td class="c">{"✔" if m["reviewed"] else ""}</td>'
                f"<td>{'<br>'.join(_e(f['check_id']) for f in flags)}</td>"
                f'<td class="ctx"><a href="{href}">{_snippet(m)}</a></td></tr>'
            )
        body = (
            f'<h1>{_e(ind)} · {_e(zh)}</h1>\n<p class="meta">{_e(en)} · {len(ms)} figures</p>\n'
            "<table><thead><tr><th>body</th><th>year</th><th>value</th><th>scope</th>"
            "<th>in panel</th><th>reviewed</th><th>checks</th><th>sentence</th></tr></thead>\n"
            "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
        )
        out[f"indicator-{ind}.html"] = page(f"{ind} · review", body, up="../")
    return out


def flagged_page(site: Site) -> str:
    """review/flagged.html: every consistency finding with links to the figures it cites."""
    data = site.data
    if data.findings is None:
        body = "<h1>Consistency findings</h1><p>This warehouse has no consistency_checks table.</p>"
        return page("Consistency findings · review", body, up="../")
    rows = []
    for f in data.findings:
        links = []
        for mid in f["mention_ids"]:
            m = site.mentions.get(mid)
            if m is not None:
                href = site.href(m["report_id"], anchor(mid))
                links.append(f'<a href="{href}">{_e(m["raw_text"])}</a>')
        body = _e(f["body"] if isinstance(f["body"], str) else NO_BODY)
        if f["report_id"] in site.page_of:  # the report the finding is about, on its body page
            body = f'<a href="{site.href(f["report_id"], "r-" + f["report_id"])}">{body}</a>'
        rows.append(
            f"<tr><td>{body}</td><td>{_year(f['report_year'])}</td>"
            f'<td class="sev-{_e(f["severity"])}">{_e(f["severity"])}</td>'
            f"<td>{_e(f['check_id'])}</td><td>{_e(f['message'])}</td>"
            f'<td class="figs">{" ".join(links)}</td></tr>'
        )
    body = (
        f'<h1>Consistency findings</h1>\n<p class="meta">{len(rows)} findings; each figure '
        "links to its sentence.</p>\n<table><thead><tr><th>body</th><th>year</th>"
        "<th>severity</th><th>check</th><th>message</th><th>figures</th></tr></thead>\n"
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )
    return page("Consistency findings · review", body, up="../")
