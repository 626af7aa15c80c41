"""Check every figure against its sentence: data/processed/review.html and review/*.html.

Static pages (inline CSS and JS, no network, open from disk). review.html is the index: bodies
with their years and counts, indicators, consistency findings and the corrections.csv lines. Each
body gets review/<body>.html (at most REPORTS_PER_PAGE reports a page): per report, a table of
its indicator figures whose links jump to the highlighted span in the report text, where every
figure shows its value, unit, approx flag and indicator (or none). review/indicator-<id>.html
lists one indicator everywhere; review/flagged.html the consistency findings. Every text is
escaped. `python -m pipeline review --report FILE` prints one report's figures in the terminal
(review_text.py).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from html import escape
from pathlib import Path
from urllib.parse import quote

import duckdb

from pipeline import review_assets, warehouse
from pipeline.review_data import (
    NO_BODY,
    ReviewData,
    anchor,
    correction_line,
    figure_label,
    load,
    load_site,
    marked_sentence,
)

INDEX = "review.html"
PAGES_DIR = "review"
REPORTS_PER_PAGE = 25  # a body with more reports is split over several pages
SNIPPET = 80  # characters of sentence shown in tables
# reports whose figures and texts are read per query while writing pages: bounded memory, and
# few enough queries on a large corpus (each scans the tables: about 4 s at 100,000 reports,
# whether it reads 200 reports or 2,000)
TEXT_BATCH = 500


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _year(value: object) -> str:
    return "" if value is None else str(value)


def page(title: str, body: str, up: str = "") -> str:
    home = f'<a class="home" href="{up}{INDEX}">← review index</a>' if up else ""
    return (
        f'<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{review_assets.CSS}</style>\n</head>\n<body>\n"
        f"{home}\n{body}\n<script>{review_assets.JS}</script>\n</body>\n</html>\n"
    )


def slugify(name: str) -> str:
    """A file name for a body: its own characters (Chinese kept), unsafe ones replaced."""
    return re.sub(r"[^\w\u00b7·-]+", "_", name).strip("_") or "body"


class Site:
    """Which page every report lives on, so any page can link to any figure. Holds the reports,
    indicator names and corrections of the whole warehouse; figures are read per batch."""

    def __init__(self, data: ReviewData) -> None:
        self.data = data
        self.pages: dict[str, list[dict]] = {}  # file name -> reports on it (in order)
        self.page_of: dict[str, str] = {}  # report_id -> file name
        self.body_pages: dict[str, list[str]] = {}
        used: set[str] = set()
        reports = data.reports
        self.report = {r["report_id"]: r for r in reports}
        self.dropped: dict[str, list[dict]] = {}  # report -> its dropped figures (struck out)
        for c in data.corrections or []:
            if c["action"] == "drop" and c["status"] == "applied":
                self.dropped.setdefault(c["report_id"], []).append(c)
        groups: dict[str, list[dict]] = {}
        for r in reports:
            groups.setdefault(r["body"] if isinstance(r["body"], str) else NO_BODY, []).append(r)
        for body in sorted(groups, key=lambda b: (b == NO_BODY, b)):
            base = slugify(body) if body != NO_BODY else "_body_unknown"
            slug, n = base, 2
            while slug in used:
                slug, n = f"{base}-{n}", n + 1
            used.add(slug)
            chunks = [groups[body][i : i + REPORTS_PER_PAGE]
                      for i in range(0, len(groups[body]), REPORTS_PER_PAGE)]  # fmt: skip
            for k, chunk in enumerate(chunks):
                name = f"{slug}.html" if k == 0 else f"{slug}-p{k + 1}.html"
                self.pages[name] = chunk
                self.body_pages.setdefault(body, []).append(name)
                for r in chunk:
                    self.page_of[r["report_id"]] = name

    @property
    def has_checks(self) -> bool:
        return self.data.findings is not None

    def href(self, report_id: str, frag: str, from_index: bool = False) -> str:
        prefix = f"{PAGES_DIR}/" if from_index else ""
        return f"{prefix}{quote(self.page_of[report_id])}#{frag}"


def _mark(m: dict, data: ReviewData, page_has_anchor: bool = True) -> str:
    """The highlighted span of one figure, with its tooltip and labels."""
    ind = m["indicator_id"] if isinstance(m["indicator_id"], str) else None
    name = data.indicators.get(ind, ("", ""))[0] if ind else ""
    tips = [
        f"value {figure_label(m)}",
        f"approx: {'yes' if m['approx'] else 'no'}",
        f"indicator: {ind} {name}" if ind else "indicator: none",
        f"char {m['char_start']}",
    ]
    classes = ["m", "ind" if ind else "none"]
    if m["mention_id"] in data.flags:
        classes.append("flag")
        tips += [f"check {f['check_id']}: {f['message']}" for f in data.flags[m["mention_id"]]]
    if m["reviewed"]:
        classes.append("rev")
        tips += [
            f"reviewed: {correction_line(c)}" for c in data.by_mention.get(m["mention_id"], [])
        ]
    ident = f' id="{anchor(m["mention_id"])}"' if page_has_anchor else ""
    short = (ind or "none") + (" ✔" if m["reviewed"] else "")
    return (
        f'<mark class="{" ".join(classes)}"{ident} data-ind="{_e(ind or "")}" '
        f'title="{_e(chr(10).join(tips))}">{_e(m["raw_text"])}'
        f'<span class="lab">{_e(short)}</span>'
        f'<span class="full">{_e(figure_label(m))} · {_e(ind or "none")}</span></mark>'
    )


def marked_text(text: str, mentions: list[dict], dropped: list[dict], data: ReviewData) -> str:
    """The report text, escaped, with every figure highlighted (and dropped ones struck out)."""
    spans = [(m["char_start"], m["char_end"], "m", m) for m in mentions]
    spans += [(int(d["char_start"]), int(d["char_end"]), "d", d) for d in dropped]
    spans.sort(key=lambda s: (s[0], s[2]))
    out, pos = [], 0
    for start, end, kind, item in spans:
        if start < pos:  # overlapping: keep the anchor so links still land
            if kind == "m":
                out.append(f'<span id="{anchor(item["mention_id"])}"></span>')
            continue
        out.append(_e(text[pos:start]))
        if kind == "m":
            out.append(_mark(item, data))
        else:
            tip = f"dropped by corrections.csv {correction_line(item)}"
            out.append(f'<s class="dropped" title="{_e(tip)}">{_e(text[start:end])}</s>')
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)


def _snippet(m: dict) -> str:
    marked = marked_sentence(m, "\x00", "\x01", SNIPPET)
    return _e(marked).replace("\x00", "<b>").replace("\x01", "</b>")


def _obs_row(m: dict, data: ReviewData, href: str) -> str:
    ind = m["indicator_id"]
    name_zh, name_en = data.indicators.get(ind, ("", ""))
    flags = data.flags.get(m["mention_id"], [])
    classes = ["obs"] + (["flag"] if flags else []) + (["rev"] if m["reviewed"] else [])
    checks = "<br>".join(
        f'<span class="sev-{_e(f["severity"])}" title="{_e(f["message"])}">{_e(f["check_id"])}</span>'
        for f in flags
    )
    panel = "✔" if m["in_panel"] else ""
    return (
        f'<tr class="{" ".join(classes)}" data-ind="{_e(ind)}">'
        f'<td><a href="indicator-{quote(ind)}.html">{_e(ind)}</a>'
        f'<br><small title="{_e(name_en)}">{_e(name_zh)}</small></td>'
        f'<td class="num"><a href="{href}">{_e(figure_label(m))}</a></td>'
        f"<td>{_e(m['scope'])}</td>"
        f'<td class="c" title="{_e(m["panel_rule"])}">{panel}</td>'
        f'<td class="c">{"✔" if m["reviewed"] else ""}</td><td>{checks}</td>'
        f'<td class="ctx"><a href="{href}">{_snippet(m)}</a></td></tr>'
    )


OBS_HEAD = (
    "<tr><th>indicator</th><th>value</th><th>scope</th><th>in panel</th><th>reviewed</th>"
    "<th>checks</th><th>sentence (click: go to the figure)</th></tr>"
)


def page_links(names: list[str], current: str) -> str:
    """ "page 1 page 2 ..." for a list of pages split from one (empty for a single page)."""
    if len(names) < 2:
        return ""
    links = " ".join(
        f'<a href="{quote(p)}">page {i + 1}</a>' if p != current else f"<b>page {i + 1}</b>"
        for i, p in enumerate(names)
    )
    return f'<p class="pages">{links}</p>'


def body_page(site: Site, name: str, texts: dict[str, str], data: ReviewData) -> str:
    """One body's page (or one page of a body with many reports); `texts` holds their texts,
    `data` their figures, findings and corrections (review_data.load)."""
    reports = site.pages[name]
    body = reports[0]["body"] if isinstance(reports[0]["body"], str) else NO_BODY
    ids = [r["report_id"] for r in reports]
    by_report = {rid: data.by_report.get(rid, []) for rid in ids}
    mentions = [m for rid in ids for m in by_report[rid]]
    dropped = site.dropped
    indicators = sorted({m["indicator_id"] for m in mentions if isinstance(m["indicator_id"], str)})
    n_flag = sum(m["mention_id"] in data.flags for m in mentions)
    years = sorted({_year(r["report_year"]) for r in reports})
    parts = [f"<h1>{_e(body)}</h1>"]
    if links := page_links(site.body_pages[body], name):
        parts.append(links)
    parts.append(review_assets.filters(years, indicators, data.indicators, n_flag,
                                       site.has_checks))  # fmt: skip
    seen_years: set[str] = set()
    for r in reports:
        rid, year = r["report_id"], _year(r["report_year"])
        year_id = f' id="y{year}"' if year and year not in seen_years else ""
        seen_years.add(year)
        ms = by_report.get(rid, [])
        ind_ms = [m for m in ms if isinstance(m["indicator_id"], str)]
        rows = "\n".join(_obs_row(m, data, f"#{anchor(m['mention_id'])}") for m in ind_ms)
        meta = (
            (f"{_e(r['title'])} · " if r["title"] else "")
            + f"status {_e(r['status'])} · {len(ms)} figures, {len(ind_ms)} with "
            f"an indicator, {sum(m['mention_id'] in data.flags for m in ms)} flagged · "
            f"report_id {_e(rid)}"
        )
        text = texts.get(rid)
        shown = (
            marked_text(text, ms, dropped.get(rid, []), data)
            if text is not None
            else f"(no text: {_e(r['message'])})"
        )
        parts.append(
            f'<section class="report" id="r-{_e(rid)}" data-year="{year}">\n'
            f"<h2{year_id}>{year or 'year unknown'} · {_e(r['rel'])}</h2>\n"
            f'<p class="meta">{meta}</p>\n'
            + (f'<table class="obs">\n<thead>{OBS_HEAD}</thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n'
               if ind_ms else '<p class="meta">No figure names an indicator.</p>\n')
            + f'<details open>\n<summary>Report text ({r["n_chars"]} characters), every figure '
            f'highlighted</summary>\n<div class="text">{shown}</div>\n</details>\n</section>'
        )  # fmt: skip
    return page(f"{body} · review", "\n".join(parts), up="../")


STAMP = "<!-- review of warehouse {} -->"


def warehouse_stamp(con: duckdb.DuckDBPyConnection) -> str:
    """What the warehouse was built from (code fingerprint + input files), '' if unknown."""
    try:
        rows = con.execute("select key, value from pipeline_meta order by key").fetchall()
    except duckdb.Error:
        return ""
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:32] if rows else ""


def stamp_of(index: Path) -> str:
    try:
        with index.open(encoding="utf-8") as fh:
            head = fh.read(200)
    except (OSError, UnicodeDecodeError):
        return ""
    found = re.search(r"<!-- review of warehouse (\w+) -->", head)
    return found.group(1) if found else ""


def export_review(db_path: Path, options: object = None) -> Path:
    """Export step: review.html and review/*.html next to the warehouse, from the published
    warehouse (read-only). The pages are built in a temporary folder that then replaces the old
    one, so a page of a body that is gone does not linger."""
    from pipeline.review_index import flagged_pages, index_page, indicator_pages, prepare_flags

    out_dir = db_path.parent
    out, pages = out_dir / INDEX, out_dir / PAGES_DIR
    tmp = out_dir / f".{PAGES_DIR}.building"
    con = warehouse.connect_read_only(db_path)
    try:
        stamp = warehouse_stamp(con)
        if stamp and pages.is_dir() and stamp_of(out) == stamp:
            return out  # written from this very warehouse (a run where nothing changed)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        site = Site(load_site(con))
        batch: list[str] = []
        names = list(site.pages)
        for i, name in enumerate(names):
            batch.append(name)
            n_reports = sum(len(site.pages[p]) for p in batch)
            if n_reports >= TEXT_BATCH or i == len(names) - 1:
                # one query per batch of reports: a query per page would rescan the tables; and
                # only a batch's figures and texts are in memory at a time
                ids = [r["report_id"] for p in batch for r in site.pages[p]]
                part = load(con, ids)
                texts = part.text_of(con, ids)
                for p in batch:
                    (tmp / p).write_text(body_page(site, p, texts, part), encoding="utf-8")
                batch = []
        prepare_flags(con)
        for name, html in indicator_pages(site, con):
            (tmp / name).write_text(html, encoding="utf-8")
        for name, html in flagged_pages(site, con):
            (tmp / name).write_text(html, encoding="utf-8")
        index = index_page(site, con, db_path).replace("\n", f"\n{STAMP.format(stamp)}\n", 1)
    finally:
        con.close()
    if pages.exists():
        shutil.rmtree(pages)
    tmp.rename(pages)
    part = out.with_name(f".{INDEX}.tmp")
    part.write_text(index, encoding="utf-8")
    part.replace(out)
    return out
