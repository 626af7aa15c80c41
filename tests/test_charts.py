"""Charts from a real pipeline run: the files a user opens exist, are real images, render Chinese."""

from __future__ import annotations

import logging
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pytest

from pipeline import chartdata, chartkit, charts, fonts
from pipeline.figures import write_figures
from tests.conftest import ROOT, copy_reports

# two series: 宁县教育局 2023-2024 (001, 002) and 白云区人民政府 2022-2024 (003-005)
SERIES = ["001", "002", "003", "004", "005"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def run_pipeline(raw: Path, out: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw),
         "--db", str(out / "warehouse.duckdb"), "--figures", str(out / "figures"), "--no-notebooks"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), after checking the signature."""
    data = path.read_bytes()[:24]
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def series_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("charts")
    run_pipeline(copy_reports(tmp / "raw", SERIES), tmp / "processed")
    return tmp / "processed"


def test_each_multi_year_body_gets_its_charts(series_run: Path) -> None:
    names = {p.name for p in (series_run / "figures").glob("*.png")}
    for expected in (
        "overview.png",
        "trend_宁县教育局.png",
        "trend_白云区人民政府.png",
        "yoy_宁县教育局.png",
        "coverage_rates.png",
        "checks.png",
    ):
        assert expected in names, f"{expected} missing; got {sorted(names)}"


def test_every_chart_is_a_real_image_of_sensible_size(series_run: Path) -> None:
    from matplotlib.image import imread

    pngs = sorted((series_run / "figures").glob("*.png"))
    assert pngs
    for path in pngs:
        width, height = png_size(path)
        assert 600 <= width <= 4000 and 150 <= height <= 6000, (path.name, width, height)
        pixels = imread(path)[..., :3]
        ink = (pixels.mean(axis=2) < 0.9).mean()  # share of pixels that are not near-white
        assert ink > 0.005, f"{path.name} looks blank"


def test_redrawing_the_same_warehouse_gives_identical_files(
    series_run: Path, tmp_path: Path
) -> None:
    first = write_figures(series_run / "warehouse.duckdb", tmp_path / "a")
    second = write_figures(series_run / "warehouse.duckdb", tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two draws"


class GlyphWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def glyph_problems(draw) -> list[str]:
    """Warnings and log records about missing glyphs raised while `draw()` renders."""
    handler = GlyphWarnings()
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            draw()
    finally:
        logger.removeHandler(handler)
    messages = [str(w.message) for w in caught] + handler.messages
    return [m for m in messages if "Glyph" in m or "missing from" in m]


def test_chinese_renders_with_the_project_font_without_missing_glyphs(
    series_run: Path, tmp_path: Path
) -> None:
    # the check itself works: matplotlib's default font has no CJK glyphs and says so
    from matplotlib.figure import Figure

    def draw_with_default_font() -> None:
        fig = Figure()
        fig.text(0.1, 0.5, "宁县教育局 法治副校长", family="DejaVu Sans")
        fig.savefig(tmp_path / "tofu.png")

    assert glyph_problems(draw_with_default_font)

    # every chart of the run, redrawn, with the project's font
    assert glyph_problems(lambda: write_figures(series_run / "warehouse.duckdb", tmp_path)) == []
    assert fonts.register() == "Noto Sans CJK SC"
    assert fonts.font_path().name == "NotoSansCJKsc-Regular.otf"  # never SimHei (licence)


def test_the_trend_chart_labels_approximate_values_as_written() -> None:
    assert chartkit.value_label(780, True, "780余场次") == "780余"
    assert chartkit.value_label(3000, True, "近3000人") == "近3000"
    assert chartkit.value_label(62000, True, "6.2万余人次") == "6.2万余"
    assert chartkit.value_label(349, False, "349所") == "349"
    assert chartkit.value_label(300, False, "三百名") == "300"  # Chinese numerals in digits
    assert chartkit.value_label(200, True, "200人以上") == "200以上"
    assert chartkit.value_label(68861, False, None) == "68861"
    assert chartkit.fmt_num(0.4903) == "0.49" and chartkit.fmt_num(60000) == "6万"


def test_file_names_are_safe_and_distinct() -> None:
    names = chartkit.unique_slugs(["宁县教育局", "A/B:县*局", "A_B_县_局", None, "长" * 200])
    assert names["宁县教育局"] == "宁县教育局"
    assert len(set(names.values())) == 5
    for name in names.values():
        assert not set(name) & set('/\\:*?"<>| ') and not name.startswith(".")
        assert len(f"trend_{name}_p2.png".encode()) < 255


def test_a_run_with_no_figures_still_draws_clear_empty_charts(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        "某县司法局2023年度法治政府建设工作报告\n今年我局坚持依法行政，推进法治政府建设。\n",
        encoding="utf-8",
    )
    run_pipeline(raw, tmp_path / "processed")
    names = {p.name for p in (tmp_path / "processed" / "figures").glob("*.png")}
    assert {"overview.png", "coverage_rates.png", "checks.png"} <= names
    assert not any(n.startswith(("trend_", "yoy_")) for n in names)


def test_many_bodies_are_split_into_pages_of_bounded_height(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    places = [a + b for a in "东南西北中" for b in "山河湖林川江田"][:34]
    for i, place in enumerate(places):
        (raw / f"{i:03d}.txt").write_text(
            f"{place}县教育局2023年度法治政府建设工作报告\n"
            f"全县共有各级各类学校{100 + i}所，聘请法治副校长{50 + i}名，"
            f"开展法治宣传教育活动{20 + i}场次。\n",
            encoding="utf-8",
        )
    run_pipeline(raw, tmp_path / "processed")
    figures = tmp_path / "processed" / "figures"
    assert (figures / "overview_p2.png").exists()  # 34 bodies: more than one page
    for path in figures.glob("*.png"):
        width, height = png_size(path)
        assert height <= 3500, (path.name, height)
    con = duckdb.connect(str(tmp_path / "processed" / "warehouse.duckdb"), read_only=True)
    try:
        assert len(chartdata.reports_frame(con)) == len(places)
    finally:
        con.close()


def test_chart_functions_accept_empty_frames(tmp_path: Path) -> None:
    import pandas as pd

    empty = {name: pd.DataFrame(columns=cols) for name, cols in (
        ("trend", chartdata.TREND_COLUMNS), ("yoy", chartdata.YOY_COLUMNS),
        ("coverage", chartdata.COVERAGE_COLUMNS), ("checks", chartdata.CHECK_COLUMNS),
        ("reports", chartdata.REPORT_COLUMNS),
    )}  # fmt: skip
    written = [
        *charts.trend_chart(empty["trend"], tmp_path / "t.png"),
        *charts.yoy_chart(empty["yoy"], tmp_path / "y.png"),
        *charts.coverage_chart(empty["coverage"], tmp_path / "c.png"),
        *charts.checks_chart(empty["checks"], empty["reports"], tmp_path / "k.png"),
        *charts.overview_chart(empty["reports"], tmp_path / "o.png"),
    ]
    assert all(png_size(p)[0] > 0 for p in written)
    assert np.all([p.exists() for p in written])


def test_a_national_corpus_gets_per_body_charts_for_the_busiest_bodies_and_any_on_demand(
    series_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # thousands of bodies would take hours to draw: at most MAX_BODY_CHARTS, the others on demand
    from pipeline import figures
    from pipeline.cli import main

    monkeypatch.setattr(figures, "MAX_BODY_CHARTS", 1)
    said: list[str] = []
    write_figures(series_run / "warehouse.duckdb", tmp_path, log=said.append)
    drawn = [*tmp_path.glob("trend_*.png"), *tmp_path.glob("yoy_*.png")]
    bodies = {p.stem.split("_")[1] for p in drawn}  # trend_<body>[_p2]
    assert len(bodies) == 1, drawn
    assert said and "chart --body NAME" in said[0]
    other = "白云区人民政府" if bodies != {"白云区人民政府"} else "宁县教育局"
    assert not list(tmp_path.glob(f"trend_{other}*.png"))
    db = str(series_run / "warehouse.duckdb")
    assert main(["chart", "--body", other, "--db", db, "--figures", str(tmp_path)]) == 0
    assert list(tmp_path.glob(f"trend_{other}*.png"))
    assert main(["chart", "--body", "没有这个机构", "--db", db, "--figures", str(tmp_path)]) == 2


def test_a_chart_longer_than_max_pages_is_cut_and_says_so() -> None:
    pages, note = chartkit.cap_pages(list(range(chartkit.MAX_PAGES + 5)), "说明。", "某表")
    assert len(pages) == chartkit.MAX_PAGES
    assert f"共 {chartkit.MAX_PAGES + 5} 页" in note and "某表" in note
    assert chartkit.cap_pages([1, 2], "说明。", "某表") == ([1, 2], "说明。")


def test_what_the_charts_count_in_the_warehouse_matches_the_rows_it_counts(
    series_run: Path,
) -> None:
    # a national corpus is counted in SQL and read per body or by its first rows; each of those
    # must say what the whole frames, loaded into pandas, say
    import pandas as pd

    con = chartdata.connect(series_run / "warehouse.duckdb")
    try:
        trends, yoy = chartdata.trend_frame(con), chartdata.yoy_frame(con)
        findings = chartdata.checks_frame(con)
        assert len(trends) > 3 and not yoy.empty and not findings.empty

        first = chartdata.trend_frame(con, limit=3)
        assert first.attrs["total_rows"] == len(trends)
        assert first.equals(trends.head(3))
        assert "total_rows" not in trends.attrs  # a whole frame needs no total
        few = chartdata.checks_frame(con, limit=1)
        assert few.attrs["total_rows"] == len(findings)
        assert few.equals(findings.head(1))

        bodies = sorted(set(trends["body"]))
        assert len(bodies) == 2
        for body in bodies:
            alone = chartdata.trend_frame(con, body)
            together = chartdata.trend_frame(con, bodies=bodies)
            part = together[together["body"] == body].reset_index(drop=True)
            # (a column with no value in one body's rows reads, alone, as None in an object
            # column; with other bodies' values, as NaN in a str column: both are missing)
            same = [f.astype(object).where(f.notna(), None) for f in (part, alone)]
            pd.testing.assert_frame_equal(*same)
        assert chartdata.trend_frame(con, bodies=[]).empty

        assert chartdata.changes_per_body(con) == yoy["body"].value_counts().to_dict()
        summary = chartdata.body_summary(con, 2).set_index("body")
        for body in chartdata.bodies_with_years(con, 2):
            rows = trends[trends["body"] == body]
            years = "、".join(str(y) for y in sorted(rows["report_year"].unique()))
            assert summary.loc[body, "years"] == years
            assert summary.loc[body, "n_indicators"] == rows["indicator_id"].nunique()
            assert summary.loc[body, "n_changes"] == (yoy["body"] == body).sum()
        assert len(summary) == len(chartdata.bodies_with_years(con, 2))

        coverage = chartdata.coverage_frame(con)
        assert not coverage.empty
        bare = chartdata.coverage_frame(con, sentences=False)
        sentences = ["numerator_context", "denominator_context"]
        assert bare.drop(columns=sentences).equals(coverage.drop(columns=sentences))
        assert bare[sentences].isna().all().all() and coverage[sentences].notna().any().any()
        some = chartdata.coverage_frame(con, limit=2)
        assert some.attrs["total_rows"] == len(coverage) and some.equals(coverage.head(2))

        counts = chartdata.check_counts(con)
        assert counts["n"].sum() == len(findings)
        per_report = counts.groupby("report_id")["n"].sum().to_dict()
        assert per_report == findings.groupby("report_id").size().to_dict()
    finally:
        con.close()
