"""One function per chart: (frame from chartdata.py, out_path) -> the PNG files written.

The PNG export (figures.py) and the notebooks call these same functions, so a chart is never
drawn two ways. A chart that would be too long for one image is split into pages: page 1 is
`out_path`, later pages `<stem>_p2.png`, ..., and each page says "第 k/n 页" and the rule that
orders it. An empty frame gives a small image saying there is nothing to draw, never an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from pipeline import chartkit as kit
from pipeline.chartdata import yoy_sources

TREND_PANELS_PER_PAGE = 15
TREND_COLUMNS = 3
BAR_ROWS_PER_PAGE = 30
YOY_CAP_PCT = 200.0  # bars beyond +-200% are cut (hatched); the label gives the true change


def trend_chart(frame: pd.DataFrame, out_path: Path) -> list[Path]:
    """One body's indicators over the years: small multiples, values labelled, 约数 hollow."""
    body = kit.body_label(frame["body"].iloc[0]) if not frame.empty else ""
    title = f"{body}：各项指标历年数值"
    if frame.empty:
        return kit.no_data(out_path, title, "没有对齐到指标的数值。")
    years = sorted(int(y) for y in frame["report_year"].unique())
    groups = {key: g for key, g in frame.groupby("indicator_id", sort=False)}
    # indicators reported in more years first (they show a change), then catalog order
    order = sorted(
        groups, key=lambda k: (-groups[k]["report_year"].nunique(), groups[k]["ord"].min(), k)
    )
    pages = kit.chunks(order, TREND_PANELS_PER_PAGE)
    note = (
        "实心点为原文确数，空心点为约数（原文带“余、多、近、约、超、以上”等），标注按原文写法；"
        f"按有数值的年份数、再按指标目录排序，每页最多 {TREND_PANELS_PER_PAGE} 项。"
    )
    pages, note = kit.cap_pages(pages, note, " indicator_panel.csv")
    paths = []
    for page, ids in enumerate(pages, start=1):
        ncols = min(TREND_COLUMNS, len(ids))
        nrows = -(-len(ids) // ncols)
        with kit.style():
            width = 3.3 * ncols + 0.4
            fig = kit.new_figure(width, 2.3 * nrows + 0.3, kit.footer(frame, note, width))
            axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False).ravel())
            for ax, ind in zip(axes, ids, strict=False):
                _trend_panel(ax, groups[ind].sort_values("report_year"), years)
            for ax in axes[len(ids) :]:
                ax.set_axis_off()
            kit.add_title(fig, title + kit.page_suffix(page, len(pages)))
            paths.append(kit.save(fig, kit.page_path(out_path, page, len(pages))))
    return paths


def _trend_panel(ax, rows: pd.DataFrame, years: list[int]) -> None:
    first = rows.iloc[0]
    unit = first["unit"] if isinstance(first["unit"], str) and first["unit"] else ""
    ax.set_title(
        kit.shorten(f"{first['name_zh']}（{unit}）" if unit else first["name_zh"], 34), loc="left"
    )
    x = rows["report_year"].astype(int).to_numpy()
    y = rows["value"].astype(float).to_numpy()
    approx = rows["approx"].fillna(False).astype(bool).to_numpy()
    ax.plot(x, y, color=kit.INCREASE, linewidth=1.4, zorder=1)
    ax.scatter(x[~approx], y[~approx], s=28, color=kit.INCREASE, zorder=2)
    ax.scatter(
        x[approx],
        y[approx],
        s=28,
        facecolor="white",
        edgecolor=kit.INCREASE,
        linewidth=1.4,
        zorder=2,
    )
    for xi, yi, row in zip(x, y, rows.itertuples(index=False), strict=True):
        label = kit.value_label(yi, row.approx, row.raw_text)
        ax.annotate(
            label, (xi, yi), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8.5
        )
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    top = max(float(np.nanmax(y)), 0.0)
    bottom = min(float(np.nanmin(y)), 0.0)
    ax.set_ylim(bottom * 1.25, top * 1.3 if top > 0 else 1)  # room above for the labels
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: kit.fmt_num(v)))
    ax.tick_params(labelsize=8)
    ax.set_axisbelow(True)  # the grid under the line, not across it
    ax.grid(axis="y", color="#edf2f7", linewidth=0.8)


def yoy_chart(frame: pd.DataFrame, out_path: Path) -> list[Path]:
    """One body's year-on-year changes: diverging bars in percent, absolute values in the label."""
    body = kit.body_label(frame["body"].iloc[0]) if not frame.empty else ""
    title = f"{body}：指标同比变化（%）"
    if frame.empty:
        return kit.no_data(out_path, title, "没有两个年度都有数值的指标。")
    rows = frame.sort_values(["ord", "indicator_id", "year_from"]).reset_index(drop=True)
    pages = kit.chunks(list(range(len(rows))), BAR_ROWS_PER_PAGE)
    note = (
        "蓝色为增加，橙色为减少；按指标目录、再按年份排序。"
        f"超过 ±{YOY_CAP_PCT:.0f}% 的条形在边界处截断（斜线），实际变化见右列；上年为 0 时百分比无定义，只列数值。"
    )
    pages, note = kit.cap_pages(pages, note, "仓库 yoy_change 表")
    paths = []
    for page, idx in enumerate(pages, start=1):
        part = rows.iloc[list(idx)]
        with kit.style():
            fig = kit.new_figure(
                9.5, 0.7 + 0.34 * len(part), kit.footer(yoy_sources(rows), note, 9.5)
            )
            ax = fig.add_subplot()
            _yoy_bars(ax, part)
            kit.add_title(fig, title + kit.page_suffix(page, len(pages)))
            paths.append(kit.save(fig, kit.page_path(out_path, page, len(pages))))
    return paths


def _yoy_bars(ax, part: pd.DataFrame) -> None:
    pct = pd.to_numeric(part["pct_change"], errors="coerce").to_numpy(dtype=float)
    shown = np.clip(np.nan_to_num(pct, nan=0.0), -YOY_CAP_PCT, YOY_CAP_PCT)
    ypos = np.arange(len(part))[::-1]
    colours = [kit.INCREASE if p > 0 else kit.DECREASE if p < 0 else kit.NEUTRAL for p in shown]
    bars = ax.barh(ypos, shown, color=colours, height=0.62)
    for bar, p in zip(bars, pct, strict=True):
        if not np.isnan(p) and abs(p) > YOY_CAP_PCT:
            bar.set_hatch("///")
            bar.set_edgecolor("white")
    labels = []
    for row in part.itertuples(index=False):
        gap = (
            f"（隔{int(row.years_between)}年）"
            if pd.notna(row.years_between) and row.years_between > 1
            else ""
        )
        labels.append(
            f"{kit.shorten(str(row.name_zh), 22)} {int(row.year_from)}→{int(row.year_to)}{gap}"
        )
    ax.set_yticks(ypos, labels)
    ax.axvline(0, color="#4a5568", linewidth=0.8)
    lo, hi = min(0.0, shown.min()), max(0.0, shown.max())
    span = (hi - lo) or 10.0
    ax.set_xlim(lo - 0.08 * span, hi + 0.08 * span)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: kit.signed_pct(v) if v else "0"))
    ax.set_xlabel("同比变化（%）")
    # the exact change, as a column to the right of the plot: it never overlaps a bar
    for y, row, p in zip(ypos, part.itertuples(index=False), pct, strict=True):
        unit = row.unit if isinstance(row.unit, str) else ""
        change = f"{kit.fmt_num(row.value_from, 1e6)}→{kit.fmt_num(row.value_to, 1e6)}"
        values = kit.with_unit(change, unit)
        head = kit.signed_pct(p) if not np.isnan(p) else "上年为0"
        ax.text(
            1.02,
            y,
            f"{head}（{values}）",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8.5,
        )
    ax.set_ylim(-0.6, len(part) - 0.4)


def coverage_chart(frame: pd.DataFrame, out_path: Path) -> list[Path]:
    """Rates (e.g. legal vice-principals per school) compared across bodies and years."""
    title = "覆盖率与人均指标：各机构、各年度比较"
    if frame.empty:
        return kit.no_data(
            out_path,
            title,
            "没有可计算的比率：没有报告在同一年度同时给出分子与分母（如法治副校长人数与学校数）。",
        )
    rows = _coverage_order(frame)
    pages = _pack_groups(rows, "rate_id", BAR_ROWS_PER_PAGE)
    years = sorted(int(y) for y in rows["report_year"].dropna().unique())
    palette = dict(zip(years, _year_colours(len(years)), strict=True))
    rate_max = rows.groupby("rate_id")["value"].max().to_dict()
    note = (
        "每个比率一栏；机构按最近年度数值从高到低排列，同一机构各年度相邻，颜色表示年度；"
        f"每页最多 {BAR_ROWS_PER_PAGE} 行。右列为数值与分子/分母原始数字。"
    )
    pages, note = kit.cap_pages(pages, note, "仓库 coverage_rates 表")
    paths = []
    for page, groups in enumerate(pages, start=1):
        sizes = [len(g) for g in groups]
        with kit.style():
            height = 0.5 + 0.32 * sum(sizes) + 0.55 * len(groups)
            fig = kit.new_figure(9.5, height, kit.footer(frame, note, 9.5))
            axes = fig.subplots(
                len(groups), 1, height_ratios=[s + 1.6 for s in sizes], squeeze=False
            )[:, 0]
            for ax, group in zip(axes, groups, strict=True):
                _coverage_panel(ax, group, palette, rate_max[group["rate_id"].iloc[0]])
            kit.add_title(fig, title + kit.page_suffix(page, len(pages)))
            handles = [Patch(color=palette[y], label=f"{y}年度") for y in years]
            fig.legend(
                handles=handles, loc="outside upper right", ncols=min(len(years), 6), frameon=False
            )
            paths.append(kit.save(fig, kit.page_path(out_path, page, len(pages))))
    return paths


def _coverage_order(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    latest = frame.sort_values("report_year").groupby(["rate_id", "body"])["value"].last()
    frame["latest"] = [latest[(r, b)] for r, b in zip(frame["rate_id"], frame["body"], strict=True)]
    return frame.sort_values(
        ["rate_id", "latest", "body", "report_year"], ascending=[True, False, True, True]
    )


def _pack_groups(rows: pd.DataFrame, key: str, per_page: int) -> list[list[pd.DataFrame]]:
    """Split rows into pages of at most per_page rows, a group (one rate) kept whole if it fits."""
    pages: list[list[pd.DataFrame]] = [[]]
    used = 0
    for _, group in rows.groupby(key, sort=False):
        for part in kit.chunks(group, per_page):
            if used + len(part) > per_page and pages[-1]:
                pages.append([])
                used = 0
            pages[-1].append(part)
            used += len(part)
    return pages


def _year_colours(n: int) -> list[str]:
    base = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f", "#4a5568"]
    return [base[i % len(base)] for i in range(n)]


def _coverage_panel(ax, group: pd.DataFrame, palette: dict[int, str], top: float) -> None:
    """One rate's bars; `top` is the rate's largest value on any page, so pages share a scale."""
    first = group.iloc[0]
    unit = first["unit"] if isinstance(first["unit"], str) else ""
    ax.set_title(
        f"{first['name_zh']}（{unit}）＝{first['numerator_name']} ÷ {first['denominator_name']}",
        loc="left",
    )
    ypos = np.arange(len(group))[::-1]
    values = group["value"].astype(float).to_numpy()
    colours = [
        palette.get(int(y), kit.NEUTRAL) if pd.notna(y) else kit.NEUTRAL
        for y in group["report_year"]
    ]
    ax.barh(ypos, values, color=colours, height=0.62)
    labels = [
        f"{kit.shorten(kit.body_label(b), 26)} {_int(y)}"
        for b, y in zip(group["body"], group["report_year"], strict=True)
    ]
    ax.set_yticks(ypos, labels)
    ax.set_ylim(-0.6, len(group) - 0.4)
    ax.set_xlim(0, max(top, 100.0 if unit == "%" else 0.0) * 1.05 or 1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: kit.fmt_num(v)))
    for y, row in zip(ypos, group.itertuples(index=False), strict=True):
        parts = f"{kit.fmt_num(row.numerator, 1e6)}/{kit.fmt_num(row.denominator, 1e6)}"
        text = f"{kit.with_unit(kit.fmt_num(row.value), unit)}（{parts}）"
        ax.text(1.02, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8.5)


SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def checks_chart(counts: pd.DataFrame, reports: pd.DataFrame, out_path: Path) -> list[Path]:
    """Consistency findings per report: a grid of reports x checks, coloured by severity.
    `counts`: findings counted per report, check and severity (chartdata.check_counts)."""
    title = "一致性检查：每份报告发现的问题"
    checked = reports[reports["status"] == "ok"] if "status" in reports else reports
    labels = check_labels()
    if counts.empty:
        names = "、".join(labels["name_zh"])
        note = f"共检查 {len(checked)} 份报告（检查项：{names}），未发现数字之间的矛盾。"
        return kit.no_data(out_path, title, note, kit.source_line(checked, width=100))
    ranked = counts.assign(rank=counts["severity"].map(SEVERITY_RANK).fillna(0))
    per_report = ranked.groupby("report_id").agg(
        body=("body", "first"), year=("report_year", "first"), file=("source_file", "first"),
        worst=("rank", "max"), n=("n", "sum"),
    )  # fmt: skip
    per_report = per_report.sort_values(
        ["worst", "n", "body", "year"], ascending=[False, False, True, True]
    )
    # every check that ran is a column, even one with no finding: the grid says what was checked
    checks = list(labels["check_id"]) + sorted(set(ranked["check_id"]) - set(labels["check_id"]))
    names = dict(zip(labels["check_id"], labels["name_zh"], strict=True))
    pages = kit.chunks(list(per_report.index), BAR_ROWS_PER_PAGE)
    note = (
        f"共检查 {len(checked)} 份报告，{len(per_report)} 份有发现"
        + ("（全部列出）" if len(pages) <= kit.MAX_PAGES else "")
        + f"，其余 {len(checked) - len(per_report)} 份未发现问题。"
        "格内数字为发现条数，颜色为最严重级别：红＝错误，橙＝警告，灰＝提示；“–”＝已检查、未发现。"
        "按严重程度、条数排序。每条发现的说明与原句见 notebooks/03。"
    )
    pages, note = kit.cap_pages(pages, note, " consistency_checks.csv")
    paths = []
    for page, ids in enumerate(pages, start=1):
        part = per_report.loc[list(ids)]
        with kit.style():
            width = max(6.0, 2.6 + 1.1 * len(checks))
            fig = kit.new_figure(width, 1.0 + 0.34 * len(part), kit.footer(ranked, note, width))
            ax = fig.add_subplot()
            _checks_grid(ax, ranked, part, checks)
            ax.set_xticks(range(len(checks)), [kit.wrap(names.get(c, c), 14) for c in checks])
            kit.add_title(fig, title + kit.page_suffix(page, len(pages)))
            paths.append(kit.save(fig, kit.page_path(out_path, page, len(pages))))
    return paths


def check_labels() -> pd.DataFrame:
    """The checks and their Chinese names (pipeline/check_labels.csv), in display order."""
    return pd.read_csv(Path(__file__).with_name("check_labels.csv"), dtype=str)


def _checks_grid(ax, ranked: pd.DataFrame, part: pd.DataFrame, checks: list[str]) -> None:
    """The cells of one page: `ranked` is check_counts with each severity's rank."""
    # only the reports of this page: a national corpus has findings in nearly every report
    cells = ranked[ranked["report_id"].isin(part.index)]
    n_found = cells.groupby(["check_id", "report_id"])["n"].sum()
    worst_found = cells.groupby(["check_id", "report_id"])["rank"].max()
    for i, report_id in enumerate(part.index):
        for j, check in enumerate(checks):
            n = n_found.get((check, report_id), np.nan)
            worst = worst_found.get((check, report_id), np.nan)
            severity = next((s for s, r in SEVERITY_RANK.items() if r == worst), None)
            colour = kit.SEVERITY_COLOURS.get(severity, "#cbd5e0") if pd.notna(n) else "#f7fafc"
            ax.add_patch(_cell(j, i, colour))
            ax.text(j, i, str(int(n)) if pd.notna(n) else "–", ha="center", va="center",
                    color="white" if pd.notna(n) else "#a0aec0", fontsize=9)  # fmt: skip
    ax.set_xlim(-0.5, len(checks) - 0.5)
    ax.set_ylim(len(part) - 0.5, -0.5)
    ax.xaxis.tick_top()
    labels = [
        f"{kit.shorten(kit.body_label(r.body), 24)} {_int(r.year)}（{Path(str(r.file)).name}）"
        for r in part.itertuples()
    ]
    ax.set_yticks(range(len(part)), labels)
    ax.tick_params(length=0)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)


def _cell(x: int, y: int, colour) -> Rectangle:
    return Rectangle((x - 0.48, y - 0.46), 0.96, 0.92, facecolor=colour, edgecolor="none")


def _int(value: object) -> str:
    return str(int(value)) if value is not None and pd.notna(value) else "年份不明"


def overview_chart(reports: pd.DataFrame, out_path: Path) -> list[Path]:
    """What is in the corpus: one row per body, one column per year, figures found per report."""
    title = "语料概览：各机构各年度报告与抽取到的数字"
    ok = reports[reports["status"] == "ok"]
    if ok.empty:
        return kit.no_data(out_path, title, "没有成功读入的报告。")
    cells = ok.assign(body=ok["body"].map(kit.body_label), year=ok["report_year"].map(_int))
    grid = cells.groupby(["body", "year"]).agg(
        n_reports=("report_id", "size"), n_mentions=("n_mentions", "sum"),
        n_indicators=("n_indicators", "sum"),
    )  # fmt: skip
    bodies = sorted(cells["body"].unique(), key=lambda b: (b == kit.NO_BODY, b))
    years = sorted(cells["year"].unique())
    pages = kit.chunks(bodies, BAR_ROWS_PER_PAGE)
    skipped = len(reports) - len(ok)
    note = (
        "格内：对齐到指标的数值个数 / 抽取到的数字个数（×n 表示该年度有 n 份报告）；颜色越深，对齐到指标的数值越多。"
        f"机构按名称排序，每页最多 {BAR_ROWS_PER_PAGE} 个。"
        + (f"另有 {skipped} 个文件未读入（原因见 reports 表 status 列）。" if skipped else "")
    )
    pages, note = kit.cap_pages(pages, note, " review.html 的机构列表")
    top = max(int(grid["n_indicators"].max()), 1)
    paths = []
    for page, names in enumerate(pages, start=1):
        with kit.style():
            width = max(6.5, 3.0 + 1.0 * len(years))
            fig = kit.new_figure(width, 0.8 + 0.34 * len(names), kit.footer(ok, note, width))
            ax = fig.add_subplot()
            for i, body in enumerate(names):
                for j, year in enumerate(years):
                    if (body, year) not in grid.index:
                        continue
                    g = grid.loc[(body, year)]
                    shade = 0.15 + 0.85 * g["n_indicators"] / top
                    ax.add_patch(_cell(j, i, (0.17, 0.42, 0.69, shade)))
                    extra = f" ×{int(g['n_reports'])}" if g["n_reports"] > 1 else ""
                    ax.text(j, i, f"{int(g['n_indicators'])} / {int(g['n_mentions'])}{extra}",
                            ha="center", va="center", fontsize=8.5,
                            color="white" if shade > 0.55 else "#1a202c")  # fmt: skip
            ax.set_xlim(-0.5, len(years) - 0.5)
            ax.set_ylim(len(names) - 0.5, -0.5)
            ax.set_xticks(range(len(years)), [f"{y}年度" if y.isdigit() else y for y in years])
            ax.xaxis.tick_top()
            ax.set_yticks(range(len(names)), [kit.shorten(b, 28) for b in names])
            ax.tick_params(length=0)
            for side in ("left", "bottom", "top", "right"):
                ax.spines[side].set_visible(False)
            kit.add_title(fig, title + kit.page_suffix(page, len(pages)))
            paths.append(kit.save(fig, kit.page_path(out_path, page, len(pages))))
    return paths
