"""review.html and review/*.html: valid HTML, every figure of a report highlighted with an anchor
its indicator row links to, links between pages that resolve, text escaped; and the terminal
printout of `review --report`."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest

from pipeline.cli import main
from pipeline.review import export_review
from pipeline.review_data import anchor
from tests.conftest import copy_reports
from tests.test_corrections import build

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# A report with markup-like text: it must show as text, never become markup.
TRICKY = (
    "某县司法局2023年度法治政府建设工作报告\n"
    "2023年,我局坚持依法行政,开展普法讲座12场,受益群众3000人次,编印<法治>手册&资料500份。\n"
    "<script>alert('x')</script>全年办理行政复议案件8件。\n"
)


class StrictPage(HTMLParser):
    """Checks what a browser would silently repair: every element closed in order, ids unique.
    Collects ids (with the text inside each), links and tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.errors: list[str] = []
        self.ids: dict[str, list[str]] = {}  # id -> text pieces inside it
        self.classes: dict[str, str] = {}
        self.links: list[str] = []
        self.tags: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        ident = a.get("id")
        if ident is not None:
            if ident in self.ids:
                self.errors.append(f"duplicate id {ident}")
            self.ids[ident] = []
            self.classes[ident] = a.get("class") or ""
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        if tag not in VOID:
            self.stack.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else None
            self.errors.append(f"</{tag}> closes <{open_tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for _, ident in self.stack:
            if ident is not None:
                self.ids[ident].append(data)

    def text(self, ident: str) -> str:
        return "".join(self.ids[ident])


def parse(path: Path) -> StrictPage:
    page = StrictPage()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert page.doctype, f"{path.name}: no <!DOCTYPE html>"
    assert not page.errors, f"{path.name}: {page.errors[:5]}"
    assert not page.stack, f"{path.name}: unclosed {page.stack[:5]}"
    return page


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review")
    raw = copy_reports(root / "raw", ["001", "002", "003"])
    (raw / "tricky.txt").write_text(TRICKY, encoding="utf-8")
    (raw / "corrections.csv").write_text(
        "file,raw_text,action,value\n001.txt,5583人,drop,\n001.txt,150名,set_value,151\n",
        encoding="utf-8",
    )
    build(raw, root / "w.duckdb")
    return root


def figures(db: Path, source_name: str) -> tuple[list[tuple], list[str]]:
    """(mention_id, raw_text) of every figure of a report, and its observations' mention ids."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        mentions = con.execute(
            "select mention_id, raw_text from mentions join reports using (report_id) "
            "where source_file like ? order by char_start",
            [f"%/{source_name}"],
        ).fetchall()
        obs = [
            r[0]
            for r in con.execute(
                "select o.mention_id from observations o join reports r using (report_id) "
                "where r.source_file like ?",
                [f"%/{source_name}"],
            ).fetchall()
        ]
    finally:
        con.close()
    return mentions, obs


def body_page_of(site: Path, mention_id: str) -> Path:
    for path in sorted((site / "review").glob("*.html")):
        if f'id="{anchor(mention_id)}"' in path.read_text(encoding="utf-8"):
            return path
    raise AssertionError(f"no page holds {mention_id}")


def test_every_page_is_valid_html(site: Path) -> None:
    pages = [site / "review.html", *sorted((site / "review").glob("*.html"))]
    assert len(pages) > 5
    for path in pages:
        parse(path)


def test_every_figure_is_highlighted_and_each_indicator_row_links_to_its_span(site: Path) -> None:
    mentions, obs = figures(site / "w.duckdb", "001.txt")
    assert len(mentions) > 10 and len(obs) > 5
    page = parse(body_page_of(site, mentions[0][0]))
    for mid, raw in mentions:
        ident = anchor(mid)
        assert ident in page.ids, f"figure {raw} ({mid}) is not on the page"
        assert page.text(ident).startswith(raw)
    for mid in obs:
        assert f"#{anchor(mid)}" in page.links, f"no table link to {mid}"
    # every in-page link lands on an element of the page
    for link in page.links:
        if link.startswith("#"):
            assert link[1:] in page.ids, link


def test_corrections_show_on_the_page(site: Path) -> None:
    mentions, _ = figures(site / "w.duckdb", "001.txt")
    path = body_page_of(site, mentions[0][0])
    html = path.read_text(encoding="utf-8")
    assert 'class="dropped"' in html and ">5583人</s>" in html
    reviewed = [mid for mid, raw in mentions if raw == "150名"]
    page = parse(path)
    assert "rev" in page.classes[anchor(reviewed[0])].split()
    index = (site / "review.html").read_text(encoding="utf-8")
    assert "set_value: value 150 -&gt; 151" in index


def test_links_between_pages_resolve(site: Path) -> None:
    pages = {p: parse(p) for p in [site / "review.html", *(site / "review").glob("*.html")]}
    checked = 0
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if not parts.path:
                continue
            target = (path.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{path.name}: broken link {link}"
            if parts.fragment:
                assert parts.fragment in pages[target].ids, f"{path.name}: {link}"
                checked += 1
    assert checked > 20


def test_report_text_is_escaped(site: Path) -> None:
    mentions, _ = figures(site / "w.duckdb", "tricky.txt")
    path = body_page_of(site, mentions[0][0])
    page = parse(path)
    assert page.tags.count("script") == 1  # the page's own script only
    html = path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "编印&lt;法治&gt;手册&amp;资料" in html


def test_pages_without_consistency_checks(site: Path, tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    shutil.copyfile(site / "w.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute("drop table consistency_checks")
    con.close()
    export_review(db)
    assert "no consistency_checks table" in (tmp_path / "review" / "flagged.html").read_text(
        encoding="utf-8"
    )
    for path in [tmp_path / "review.html", *(tmp_path / "review").glob("*.html")]:
        parse(path)


def test_review_command_prints_each_figure_with_its_sentence(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(site / "w.duckdb")
    assert main(["review", "--db", db, "--report", "001.txt"]) == 0
    out = capsys.readouterr().out
    assert "宁县教育局" in out and "2023" in out
    assert "聘请法治校委【176名】" in out and "legal_vice_principals" in out
    assert "151 名" in out and "reviewed" in out  # the corrected value
    assert "dropped" not in out and "【5583人】" not in out
    assert "corrections.csv lines for this report" in out

    assert main(["review", "--db", db, "--report", "no_such_report.txt"]) == 2
    assert "no report 'no_such_report.txt'" in capsys.readouterr().err


def test_pages_follow_a_new_correction_and_stay_when_nothing_changed(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    db = tmp_path / "w.duckdb"
    build(raw, db)
    index = tmp_path / "review.html"
    assert "No corrections applied" in index.read_text(encoding="utf-8")
    (raw / "corrections.csv").write_text("file,raw_text,action\n001.txt,23名,drop\n", "utf-8")
    build(raw, db)
    assert "No corrections applied" not in index.read_text(encoding="utf-8")
    pages = list((tmp_path / "review").glob("*.html"))
    assert any(">23名</s>" in p.read_text(encoding="utf-8") for p in pages)
    before = index.stat().st_mtime_ns
    build(raw, db)  # nothing changed: the pages of this warehouse are kept as they are
    assert index.stat().st_mtime_ns == before


def test_long_indicator_and_findings_lists_are_split_into_linked_pages(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a national corpus gives an indicator hundreds of thousands of figures: one page each
    # would be too big to open, so they are split (here at 1 row to see it on three reports)
    from pipeline import review_index

    monkeypatch.setattr(review_index, "ROWS_PER_PAGE", 1)
    shutil.copyfile(site / "w.duckdb", tmp_path / "w.duckdb")
    export_review(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    per_indicator = dict(
        con.execute("select indicator_id, count(*) from observations group by 1").fetchall()
    )
    n_findings = con.execute("select count(*) from consistency_checks").fetchone()[0]
    con.close()
    pages_dir = tmp_path / "review"
    ind, n = max(per_indicator.items(), key=lambda kv: kv[1])
    assert n > 1 and n_findings > 1  # both lists need several pages
    for stem, expected in [(f"indicator-{ind}", n), ("flagged", n_findings)]:
        names = [f"{stem}.html"] + [f"{stem}-p{k}.html" for k in range(2, expected + 1)]
        assert all((pages_dir / name).is_file() for name in names), names
        assert not (pages_dir / f"{stem}-p{len(names) + 1}.html").exists()
        rows = 0
        for name in names:
            page = parse(pages_dir / name)
            html = (pages_dir / name).read_text(encoding="utf-8")
            rows += html.count('<tr class="obs') + html.count("<tr><td>")
            if len(names) > 1:  # every page links to the others
                assert all(other in page.links for other in names if other != name)
        assert rows == expected, stem
