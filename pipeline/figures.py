"""Export step: the published warehouse -> PNG charts in options.figures_dir.

Files (page 2 and later of a long chart are <stem>_p2.png, ...):
  overview.png           reports per body and year, figures found
  trend_<body>.png       each body with figures in two or more years: its indicators over the years
  yoy_<body>.png         each body with year-on-year changes: diverging bars in percent
  coverage_rates.png     rates (per school, per student, ...) across bodies and years
  checks.png             consistency findings per report
<body> is the body's name made filesystem-safe (see chartkit.slug).
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline import chartdata

# charts this step owns in the figures folder: removed before a run so none is left stale
OWNED_PATTERNS = ("overview*.png", "trend_*.png", "yoy_*.png", "coverage_rates*.png", "checks*.png")


def export_figures(db_path: Path, options) -> None:
    """Registered in run.EXPORT_STEPS; does nothing when the run was told not to draw charts."""
    if options.figures_dir is None:
        return
    paths = write_figures(db_path, Path(options.figures_dir))
    if not options.quiet:
        print(f"{len(paths)} chart(s) -> {options.figures_dir}", file=sys.stderr)


def write_figures(db_path: Path, out_dir: Path) -> list[Path]:
    from pipeline import chartkit as kit
    from pipeline import charts  # matplotlib is imported only when charts are drawn

    out_dir.mkdir(parents=True, exist_ok=True)
    for pattern in OWNED_PATTERNS:
        for old in out_dir.glob(pattern):
            old.unlink()
    con = chartdata.connect(db_path)
    try:
        reports = chartdata.reports_frame(con)
        paths = charts.overview_chart(reports, out_dir / "overview.png")

        trends = chartdata.trend_frame(con)
        multi_year = set(chartdata.bodies_with_years(con, 2))
        yoy = chartdata.yoy_frame(con)
        bodies = sorted(multi_year | set(yoy["body"].dropna()))
        names = kit.unique_slugs(bodies)
        for body in bodies:
            if body in multi_year:
                frame = trends[trends["body"] == body]
                paths += charts.trend_chart(frame, out_dir / f"trend_{names[body]}.png")
            frame = yoy[yoy["body"] == body]
            if not frame.empty:
                paths += charts.yoy_chart(frame, out_dir / f"yoy_{names[body]}.png")

        paths += charts.coverage_chart(
            chartdata.coverage_frame(con), out_dir / "coverage_rates.png"
        )
        paths += charts.checks_chart(chartdata.checks_frame(con), reports, out_dir / "checks.png")
    finally:
        con.close()
    return paths
