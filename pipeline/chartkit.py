"""Shared pieces of every chart: style, number labels, source line, pages, file names, saving.

Kept apart from charts.py so that charts.py reads as one function per chart.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pandas as pd

from pipeline import fonts

matplotlib.use("Agg")  # files only; never open a window (no-op inside a notebook's inline backend)

from matplotlib.figure import Figure  # noqa: E402  (after the backend is chosen)
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402

DPI = 150
TITLE_INCHES = 0.45
FOOTER_LINE_INCHES = 0.17  # one 7.5 pt line at 1.4 line spacing, with a little air
NO_BODY = "（未识别机构）"
INCREASE, DECREASE, NEUTRAL = "#2b6cb0", "#dd6b20", "#a0aec0"
SEVERITY_COLOURS = {"error": "#c53030", "warning": "#dd6b20", "info": "#718096"}


@contextmanager
def style() -> Iterator[None]:
    """Every chart is drawn inside this: the CJK font and a quiet, print-friendly look."""
    params = fonts.rc_params() | {
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
    }
    with matplotlib.rc_context(params):
        yield


def new_figure(width: float, body_height: float, footer: str = "") -> Figure:
    """A figure not tied to pyplot's global state (so notebooks and the export behave alike).

    `body_height` is the room for the plot itself; the title and the footer (reading note and
    source line, see footer()) get their own room on top, so a one-row chart is not squeezed.
    The footer is the figure's x label: constrained layout reserves space for that (and not for a
    free fig.text), so nothing is clipped without a second, "tight" drawing pass.
    """
    n_lines = footer.count("\n") + 1 if footer else 0
    height = body_height + TITLE_INCHES + FOOTER_LINE_INCHES * n_lines
    # padding in inches around the edge and between panels, so nothing touches the border
    layout = ConstrainedLayoutEngine(w_pad=0.15, h_pad=0.12, wspace=0.04, hspace=0.04)
    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    if footer:
        fig.supxlabel(footer, x=0.01, ha="left", fontsize=7.5, color="#4a5568", linespacing=1.4)
    return fig


def add_title(fig: Figure, text: str) -> None:
    fig.suptitle(text, x=0.01, ha="left", fontsize=12)


def save(fig: Figure, path: Path) -> Path:
    """Write a PNG; identical data gives identical bytes (no software/date metadata)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


# ---- text -------------------------------------------------------------------------------------


def text_width(text: str) -> int:
    """Display width: a CJK character takes two columns, ASCII one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# an ASCII word (file name, number with unit) is never split; closing punctuation never starts a
# line and opening brackets never end one (the usual rules of Chinese typesetting)
_TOKEN = re.compile(r"[（《“(\[]*(?:[A-Za-z0-9_.%+\-/→]+|.)[，。；：、）》”！？),.;:\]]*")


def wrap(text: str, width: int) -> str:
    """Wrap mixed Chinese/ASCII text to `width` columns (textwrap only breaks at spaces)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for token in _TOKEN.findall(paragraph):
            w = text_width(token)
            if used + w > width and line.strip():
                lines.append(line.rstrip())
                line, used = "", 0
                token = token.lstrip()
                w = text_width(token)
            line += token
            used += w
        lines.append(line.rstrip())
    return "\n".join(lines)


def shorten(text: str, width: int) -> str:
    """Cut a long label to `width` columns with an ellipsis."""
    if text_width(text) <= width:
        return text
    out, used = "", 0
    for ch in text:
        if used + text_width(ch) > width - 2:
            break
        out += ch
        used += text_width(ch)
    return out + "…"


def body_label(body: object) -> str:
    return str(body) if isinstance(body, str) and body else NO_BODY


def fmt_num(value: float, exact_below: float = 1e4) -> str:
    """A number for a chart: exact below `exact_below` (349, 98.5, 0.49), else in 万/亿 (6.2万).

    Axis ticks use the default (6万 reads better than 60000); value labels pass 1e6 so that a
    count such as 68861 is shown exactly.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    for scale, suffix in ((1e8, "亿"), (1e4, "万")):
        if v >= max(scale, exact_below):
            return f"{sign}{_trim(v / scale, 2)}{suffix}"
    return sign + _trim(v, 2 if v >= 1 else 3)


def _trim(v: float, digits: int) -> str:
    text = f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


_NUMERAL = "0-9〇零一二两三四五六七八九十百千万亿"
# the measure word after a number ("场次" in 850余场次, "人次" in 6.2万人次, "名" in 二十三名)
# (百分点 is spelled out because 百 is also a numeral: 三百名 -> 三百)
_TRAILING_UNIT = re.compile(rf"(?:个?百分点|(?<=[{_NUMERAL}余多])[^{_NUMERAL}余多.%％]+)$")


def value_label(value: float, approx: object, raw_text: object = None) -> str:
    """A figure's label as the report wrote it, without its measure word (the panel title has
    the unit): 850余场次 -> 850余, 近3000人 -> 近3000, 6.2万人次 -> 6.2万, 200人以上 -> 200以上.
    A figure written in Chinese numerals gets Arabic digits (一名 -> 1, 二十余次 -> 20余): a lone
    一 on a chart reads as a dash. Without the source text: the number, 约 if approximate."""
    raw = raw_text.strip() if isinstance(raw_text, str) else ""
    tail = next((q for q in ("以上", "左右") if raw.endswith(q)), "")
    label = _TRAILING_UNIT.sub("", raw[: len(raw) - len(tail)]) + tail
    if re.search("[0-9]", label):
        return label
    number = fmt_num(value, exact_below=1e6)
    if not raw:
        return f"约{number}" if bool(approx) and not pd.isna(approx) else number
    prefix = next((q for q in ("超过", "近", "约", "超", "逾") if raw.startswith(q)), "")
    suffix = next((q for q in ("余", "多") if q in raw), "") + tail
    return f"{prefix}{number}{suffix}"


def with_unit(number: str, unit: object) -> str:
    """'349 所', '100%' (a percent sign sits right against its number)."""
    if not isinstance(unit, str) or not unit:
        return number
    return f"{number}{unit}" if unit in ("%", "％", "‰") else f"{number} {unit}"


def signed_pct(pct: float) -> str:
    return f"{'+' if pct > 0 else ''}{_trim(pct, 1)}%"


def source_line(frame: pd.DataFrame, width: int = 110, max_reports: int = 6) -> str:
    """'来源：' + the reports behind a chart (body, year, title, file); a count when there are many."""
    cols = [c for c in ("body", "report_year", "title", "source_file") if c in frame.columns]
    if frame.empty or "source_file" not in cols:
        return "来源：无"
    reports = frame[cols].dropna(subset=["source_file"]).drop_duplicates("source_file").copy()
    reports = reports.sort_values([c for c in ("body", "report_year", "source_file") if c in cols])
    if len(reports) > max_reports:
        years = sorted({int(y) for y in reports.get("report_year", pd.Series()).dropna()})
        span = f"{years[0]}–{years[-1]}年度" if years else ""
        n_bodies = reports["body"].nunique() if "body" in reports else 0
        text = f"来源：{n_bodies} 个机构 {span}共 {len(reports)} 份法治政府建设年度报告（逐份见 notebooks 证据表）"
        return wrap(text, width)
    parts = []
    for row in reports.itertuples(index=False):
        title = getattr(row, "title", None)
        body = body_label(getattr(row, "body", None))
        year = getattr(row, "report_year", None)
        name = f"《{title}》" if isinstance(title, str) and title else f"{body}{_year(year)}报告"
        parts.append(f"{name}（{Path(str(row.source_file)).name}）")
    return wrap("来源：" + "；".join(parts), width)


def _year(year: object) -> str:
    return f"{int(year)}年度" if year is not None and not pd.isna(year) else ""


def columns_for(width_inches: float) -> int:
    """How many text columns (see text_width) of the 7.5 pt source line fit in a figure width."""
    return max(40, int(width_inches * 18))


def footer(sources: pd.DataFrame, note: str, width_inches: float) -> str:
    """Reading note and source line, wrapped to the figure's width."""
    columns = columns_for(width_inches)
    source = source_line(sources, width=columns)
    return f"{wrap(note, columns)}\n{source}" if note else source


# ---- pages and file names ---------------------------------------------------------------------


def chunks(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items[:0]]


# A chart longer than this many pages is cut: at a national scale (thousands of bodies) nobody
# pages through hundreds of PNGs, and drawing them would take longer than building the warehouse.
MAX_PAGES = 10


def cap_pages(pages: list, note: str, rest: str) -> tuple[list, str]:
    """At most MAX_PAGES pages; when cut, the note says how many are left out and where the
    rest is (`rest`, e.g. a table or file name)."""
    if len(pages) <= MAX_PAGES:
        return pages, note
    cut = f"只画出前 {MAX_PAGES} 页（共 {len(pages)} 页），其余见{rest}。"
    return pages[:MAX_PAGES], note + cut


def page_path(out_path: Path, page: int, n_pages: int) -> Path:
    """Page 1 is out_path itself; later pages are <stem>_p2.png, ... zero-padded to the number
    of pages (_p02 ... _p14) so that a file listing shows them in order."""
    if page == 1:
        return out_path
    return out_path.with_name(f"{out_path.stem}_p{page:0{len(str(n_pages))}d}{out_path.suffix}")


def page_suffix(page: int, n_pages: int) -> str:
    return f"（第 {page}/{n_pages} 页）" if n_pages > 1 else ""


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\s]+")


def slug(name: object, max_bytes: int = 120) -> str:
    """A filesystem-safe file-name part that keeps Chinese readable: 宁县教育局 -> 宁县教育局.

    Path separators, characters Windows forbids, whitespace and control characters become '_';
    a leading dot is dropped; long names are cut to `max_bytes` UTF-8 bytes (most filesystems
    allow 255) with a short hash so two long names never collide.
    """
    text = unicodedata.normalize("NFC", body_label(name))
    safe = _UNSAFE.sub("_", text).strip("._") or "_"
    if len(safe.encode("utf-8")) <= max_bytes:
        return safe
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    cut = safe.encode("utf-8")[: max_bytes - 9].decode("utf-8", errors="ignore")
    return f"{cut}_{digest}"


def unique_slugs(names: Sequence[object]) -> dict[object, str]:
    """slug per name; names whose slugs would collide (A/B vs A_B) get a hash suffix each."""
    by_slug: dict[str, list[object]] = {}
    for name in names:
        by_slug.setdefault(slug(name), []).append(name)
    out: dict[object, str] = {}
    for s, group in by_slug.items():
        for name in group:
            if len(group) == 1:
                out[name] = s
            else:
                digest = hashlib.sha1(body_label(name).encode("utf-8")).hexdigest()[:6]
                out[name] = f"{s}_{digest}"
    return out


def no_data(out_path: Path, title: str, note: str, source: str = "") -> list[Path]:
    """A small figure that says plainly there is nothing to draw, and why."""
    with style():
        fig = new_figure(7, 0.6, source)
        add_title(fig, title)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.0, 0.5, wrap(note, 90), ha="left", va="center", transform=ax.transAxes)
        return [save(fig, out_path)]


# ---- notebook display -------------------------------------------------------------------------

TABLE_ROW_LIMIT = 300


def show(paths: Sequence[Path]) -> None:
    """Display chart PNGs in a notebook (embedded, so the exported .html carries them)."""
    from IPython.display import Image, display

    for path in paths:
        display(Image(filename=str(path)))


# Chinese headers of the table of indicator figures shown under a chart (notebooks 01 and 02)
FIGURE_EVIDENCE_COLUMNS = {
    "report_year": "年度",
    "name_zh": "指标",
    "value": "数值",
    "approx_zh": "约数",
    "unit": "单位",
    "raw_text": "原文",
    "context": "原文句子",
    "file": "文件",
}


def with_evidence_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The panel/trend frame with the display columns FIGURE_EVIDENCE_COLUMNS needs."""
    return frame.assign(
        approx_zh=frame["approx"].fillna(False).astype(bool).map({True: "约数", False: ""}),
        file=frame["source_file"].map(lambda s: Path(s).name if isinstance(s, str) else ""),
    )


def evidence_table(
    frame: pd.DataFrame,
    columns: dict[str, str],
    limit: int = TABLE_ROW_LIMIT,
    total: int | None = None,
):
    """The figures behind a chart, with Chinese headers; long tables are cut with a stated note.
    `total`: how many rows there are when `frame` holds only the first ones (chartdata limit=)."""
    from IPython.display import Markdown, display

    table = frame[list(columns)].rename(columns=columns)
    total = len(table) if total is None else total
    if total > limit:
        display(Markdown(f"共 {total} 行，下表只列前 {limit} 行（完整数据见 warehouse）。"))
        table = table.head(limit)
    uuid = hashlib.sha1("|".join(table.columns).encode("utf-8")).hexdigest()[:8]
    styled = (
        table.style.hide(axis="index")
        .set_uuid(uuid)  # fixed, not random: the same data gives the same notebook
        .set_table_styles(
            [{"selector": "td, th", "props": "text-align: left; vertical-align: top;"}]
        )
        .format(_cell_text, na_rep="–", escape="html")
    )
    display(styled)


def _cell_text(value: object) -> str:
    if isinstance(value, float):
        return _trim(value, 3) if not math.isnan(value) else "–"
    return str(value)
