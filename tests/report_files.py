"""Build the files analysts actually have (a saved web page, a Word file, a PDF) from the text
of a real dev report, so reader tests compare against the same report as plain text."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

GOLD = Path(__file__).parent / "gold"
_FIGURE_CELL_RE = re.compile(r"^(?P<label>[\u4e00-\u9fff]{2,12}?)(?P<figure>[0-9]+[所名人个]+)$")


def report_parts(name: str = "001") -> tuple[list[str], str | None, list[str]]:
    """(header lines, title, body paragraphs) of a captured gold page: the 索引号 | 发布机构 table
    above the title, the title line if there is one, and the report up to its last sentence or
    closing date (the login widgets some captures end with are left out)."""
    lines = [line.strip() for line in (GOLD / f"{name}.txt").read_text("utf-8").splitlines()]
    lines = [line for line in lines if line]
    n_header = next(i for i, line in enumerate(lines) if "|" not in line)
    header, rest = lines[:n_header], lines[n_header:]
    title = rest[0] if re.search(r"(?:法治|依法行政).*(?:报告|情况|总结)$", rest[0]) else None
    body = rest[1:] if title else rest
    ends = [
        i
        for i, line in enumerate(body)
        if line.endswith(("。", "；", ";")) or re.fullmatch(r"20[0-9]{2}年[0-9]+月[0-9]+日", line)
    ]
    return header, title, body[: ends[-1] + 1] if ends else body


def report_text(name: str = "001") -> str:
    """The report as the built files carry it: title and body paragraphs, one per line."""
    _, title, body = report_parts(name)
    return "\n".join([title, *body] if title else body)


def html_page(name: str = "001", encoding: str = "gb18030", table: bool = False) -> bytes:
    """A government page: menu, breadcrumbs, the 发布机构 header table, 浏览次数 and 字体 widgets,
    the report (optionally its first list of figures as a table), related links and a footer."""
    header, title, body = report_parts(name)
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in header]
    info = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells
    )
    paras = []
    for para in body:
        rows = _figure_rows(para) if table else None
        if rows:
            paras.append(
                '<table border="1">'
                + "".join(f"<tr><td>{a}</td><td>{b}</td></tr>" for a, b in rows)
                + "</table>"
            )
        else:
            paras.append(f'<p style="text-indent:2em">{html.escape(para)}</p>')
    charset = {"gb18030": "gb2312", "utf-8": "utf-8"}[encoding]
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title or "")}-宁县人民政府</title><script>var visits = 1523;</script></head>
<body>
<div class="top"><a href="/">首页</a> | <a href="/login">登录</a> | <a href="/reg">注册</a> | 无障碍浏览</div>
<div class="nav"><ul><li><a href="/">网站首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/hdjl">互动交流</a></li><li><a href="/12345">12345热线</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/jyj">部门信息公开</a> &gt; 公示公告</div>
<table class="xxgk">{info}</table>
<div class="article"><h1>{html.escape(title or "")}</h1>
<div class="info">发布时间：2024-04-03 10:21 浏览次数：1523 字体：【<a>大</a> <a>中</a> <a>小</a>】
<a href="javascript:print()">打印</a></div>
<div class="content" id="zoom">
{chr(10).join(paras)}
</div>
<div class="share">分享到：微信 微博 QQ空间</div></div>
<div class="related"><h3>相关文章</h3><ul><li><a href="/a">2023年全县教育工作会议召开</a></li>
<li><a href="/b">关于做好2024年春季开学工作的通知</a></li></ul></div>
<div class="footer"><p>主办单位：宁县人民政府办公室 联系电话：0934-6621234</p>
<p>陇ICP备12003548号-1 网站标识码：6210260001</p><p>版权所有 © 2024</p></div>
</body></html>"""
    return page.encode(encoding)


def _figure_rows(para: str) -> list[tuple[str, str]] | None:
    """'学校359所,其中公办高中3所,...' -> [('各级各类学校', '359所'), ...] when the whole sentence
    is a list of counts, as reports often lay out in a table."""
    parts = [p for p in re.split(r"[,，。]|其中", para.replace("宁县现有", "")) if p]
    rows = [m.groups() for p in parts if (m := _FIGURE_CELL_RE.match(p))]
    return rows if len(rows) >= 5 and len(rows) == len(parts) else None


def docx_file(name: str = "001", table: bool = True) -> bytes:
    """A Word file of the report; the sentence listing the schools becomes a two-column table."""
    import docx

    _, title, body = report_parts(name)
    document = docx.Document()
    if title:
        document.add_heading(title, level=1)
    for para in body:
        rows = _figure_rows(para) if table else None
        if rows:
            grid = document.add_table(rows=len(rows), cols=2)
            for r, (label, figure) in enumerate(rows):
                grid.cell(r, 0).text, grid.cell(r, 1).text = label, figure
        else:
            document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_file(name: str = "001", paragraphs: list[str] | None = None) -> bytes:
    """A PDF of the report, typeset in a built-in Chinese font (lines wrap mid-sentence, as in
    the PDFs government sites publish)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if paragraphs is None:
        paragraphs = report_text(name).splitlines()
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle(
        "body", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK", firstLineIndent=24
    )
    out = io.BytesIO()
    page_number = ParagraphStyle("n", fontName="STSong-Light", fontSize=9)

    def footer(canvas, doc) -> None:
        canvas.setFont(page_number.fontName, 9)
        canvas.drawCentredString(A4[0] / 2, 30, f"- {doc.page} -")

    SimpleDocTemplate(out, pagesize=A4).build(
        [Paragraph(html.escape(p), style) for p in paragraphs],
        onFirstPage=footer,
        onLaterPages=footer,
    )
    return out.getvalue()
