"""Reports as analysts have them: a saved web page, a Word file, a PDF. Each is built from the text
of a real dev report and must yield the same figures (value and unit, with multiplicity) as the
text itself, with spans that slice back to the text the reader produced."""

from __future__ import annotations

import io
from collections import Counter
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import docx
import pytest
from report_files import GOLD, docx_file, html_page, pdf_file, report_text

from pipeline.extract import extract_mentions
from pipeline.ingest import process_bytes
from pipeline.metadata import extract_metadata
from pipeline.readers import detect_format, read_bytes

# Reports of different bodies, sectors and years; 001 has the gov.cn header table and a title.
REPORTS = ["001", "006", "013", "020", "027", "033"]


def figures(text: str) -> Counter:
    return Counter((m.value, m.unit) for m in extract_mentions(text))


def test_001_as_text_has_the_figures_the_built_files_must_reproduce() -> None:
    # the captured page has a header table and login links around the report: no figures there
    captured = (GOLD / "001.txt").read_text("utf-8")
    assert figures(captured) == figures(report_text("001"))
    assert figures(captured)[(359.0, "所")] == 1


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize(
    "build, suffix",
    [
        (lambda n: html_page(n), ".html"),
        (lambda n: html_page(n, table=True), ".htm"),
        (lambda n: docx_file(n), ".docx"),
        (lambda n: pdf_file(n), ".pdf"),
    ],
    ids=["html", "html-with-table", "docx-with-table", "pdf"],
)
def test_every_format_gives_the_figures_of_the_text(name: str, build, suffix: str) -> None:
    doc = read_bytes(build(name), suffix)
    assert figures(doc.text) == figures(report_text(name))


def test_html_page_keeps_the_report_and_drops_the_page_around_it() -> None:
    doc = read_bytes(html_page("001"), ".html")
    assert doc.encoding == "gb18030"  # <meta charset=gb2312>, decoded as its superset
    assert doc.text.startswith("宁县教育局2023年度法治政府建设工作报告\n")
    assert "为各级各类学校聘请法治校委176名" in doc.text
    assert doc.text.rstrip().endswith("2024年4月3日")
    for chrome in ("浏览次数", "网站首页", "登录", "分享到", "版权所有", "ICP备", "相关文章"):
        assert chrome not in doc.text


def test_html_header_fields_feed_the_metadata() -> None:
    doc = read_bytes(html_page("001"), ".html")
    assert doc.header["body"] == "宁县教育局"
    assert doc.header["published"] == "2024-04-03"
    assert doc.header["index_no"] == "621026jyj000/20240403-00014"
    meta = extract_metadata(doc.text, doc.header)
    assert (meta.body, meta.report_year, meta.published) == ("宁县教育局", 2023, "2024-04-03")


def test_html_table_rows_keep_label_and_figure_in_one_line() -> None:
    doc = read_bytes(html_page("001", table=True), ".html")
    assert "各级各类学校 | 359所" in doc.text.splitlines()


@pytest.mark.parametrize("css_class", ["meta", "share", "related", "nav", "footer"])
def test_a_paragraph_the_article_extractor_drops_is_recovered(css_class: str) -> None:
    # CMS templates wrap parts of an article in blocks whose class names look like page chrome;
    # trafilatura drops those, and with them 10 figures of 001's first section
    page = html_page("001").decode("gb18030")
    start = '<p style="text-indent:2em">宁县现有'
    page = page.replace(start, f'<div class="{css_class}">{start}', 1)
    page = page.replace("教职工5583人。</p>", "教职工5583人。</p></div>", 1)
    doc = read_bytes(page.encode("gb18030"), ".html")
    assert figures(doc.text) == figures(report_text("001"))


def test_html_saved_as_txt_and_utf8_page_with_a_lying_charset() -> None:
    page = html_page("001", encoding="utf-8")
    assert detect_format(page, ".txt") == "html"
    assert figures(read_bytes(page, ".txt").text) == figures(report_text("001"))
    lying = html_page("001").replace(b"charset=gb2312", b"charset=utf-8")  # GBK bytes
    doc = read_bytes(lying, ".html")
    assert "宁县现有各级各类学校359所" in doc.text


def test_saved_web_archive_mht() -> None:
    archive = MIMEMultipart("related")
    part = MIMEText(html_page("001", encoding="utf-8").decode("utf-8"), "html", "utf-8")
    archive.attach(part)
    doc = read_bytes(archive.as_bytes(), ".mht")
    assert figures(doc.text) == figures(report_text("001"))


def test_docx_table_sits_in_document_order() -> None:
    doc = read_bytes(docx_file("001"), ".docx")
    lines = doc.text.splitlines()
    first_row = lines.index("各级各类学校 | 359所")
    assert lines[first_row - 1] == "一、基本情况"
    assert lines[first_row + 9] == "教职工 | 5583人"
    assert lines[first_row + 10].startswith("为各级各类学校聘请法治校委176名")


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_merged_label_is_repeated_and_layout_table_reads_as_paragraphs() -> None:
    def build(document) -> None:
        document.add_paragraph("一、行政执法情况")
        grid = document.add_table(rows=3, cols=3)
        grid.cell(0, 0).merge(grid.cell(2, 0)).text = "行政处罚"
        for r, (kind, n) in enumerate(
            [("简易程序", "35件"), ("普通程序", "12件"), ("听证", "2件")]
        ):
            grid.cell(r, 1).text, grid.cell(r, 2).text = kind, n
        frame = document.add_table(rows=1, cols=1)  # a report typed inside a one-cell frame
        frame.cell(0, 0).text = "二、法治宣传情况"
        frame.cell(0, 0).add_paragraph("全年开展普法活动120场次，受益群众2.3万人次。")

    text = read_bytes(_docx(build), ".docx").text
    assert text.splitlines() == [
        "一、行政执法情况",
        "行政处罚 | 简易程序 | 35件",
        "行政处罚 | 普通程序 | 12件",
        "行政处罚 | 听证 | 2件",
        "二、法治宣传情况",
        "全年开展普法活动120场次，受益群众2.3万人次。",
    ]
    assert (23000.0, "人次") in figures(text)


def test_pdf_lines_wrapped_by_the_page_are_joined_and_page_numbers_dropped() -> None:
    text = read_bytes(pdf_file("001"), ".pdf").text
    assert "开展法治进校园等专题宣讲培训活动850余场次," in text  # wrapped after 850余 in the PDF
    assert "- 1 -" not in text and "- 2 -" not in text
    assert text.splitlines()[0] == "宁县教育局2023年度法治政府建设工作报告"
    assert "一、基本情况" in text.splitlines()  # a heading keeps its own line


def test_pdf_with_a_wrong_suffix_is_still_read_as_pdf() -> None:
    data = pdf_file("001")
    assert detect_format(data, ".txt") == "pdf"
    assert figures(read_bytes(data, ".txt").text) == figures(report_text("001"))


@pytest.mark.parametrize(
    "name, data",
    [
        ("001.html", html_page("001")),
        ("001.docx", docx_file("001")),
        ("001.pdf", pdf_file("001")),
        ("001.txt", (GOLD / "001.txt").read_bytes()),
    ],
)
def test_ingest_spans_slice_back_and_format_is_recorded(name: str, data: bytes) -> None:
    result = process_bytes(f"data/raw/{name}", data)
    report = result.report
    assert report["status"] == "ok"
    assert report["format"] == name.rsplit(".", 1)[1]
    assert (report["body"], report["report_year"]) == ("宁县教育局", 2023)
    assert report["n_chars"] == len(result.text)
    assert len(result.mentions) == sum(figures(report_text("001")).values())
    for m in result.mentions:
        assert result.text[m.char_start : m.char_end] == m.raw_text
