"""Export step: the published warehouse -> PNG charts in options.figures_dir.

Files (page 2 and later of a long chart are <stem>_p2.png, ...):
  overview.png           reports per body and year, figures found
  trend_<body>.png       each body with figures in two or more years: its indicators over the years
  yoy_<body>.png         each body with year-on-year changes: diverging bars in percent
                         (per-body charts: at most MAX_BODY_CHARTS bodies; `chart --body` draws
                         any other)
  coverage_rates.png     rates (per school, per student, ...) across bodies and years
  checks.png             consistency findings per report
<body> is the body's name made filesystem-safe (see chartkit.slug).

A chart takes matplotlib about half a second, so with many bodies the per-body charts are drawn
by a pool of processes, each with its own read-only connection.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from pipeline import chartdata

# charts this step owns in the figures folder: removed before a run so none is left stale
OWNED_PATTERNS = ("overview*.png", "trend_*.png", "yoy_*.png", "coverage_rates*.png", "checks*.png")
PARALLEL_MIN_BODIES = 8  # below this, starting processes costs more than it saves
# Per-body charts are drawn for at most this many bodies, those with the most year-on-year
# changes (half a second each: a national corpus has tens of thousands of bodies); any other body
# is one command away: python -m pipeline chart --body NAME
MAX_BODY_CHARTS = 100


def export_figures(db_path: Path, options) -> None:
    """Registered in run.EXPORT_STEPS; does nothing when the run was told not to draw charts."""
    if options.figures_dir is None:
        return
    workers = getattr(options, "workers", None) or os.cpu_count() or 1
    log = None if options.quiet else log_stderr
    paths = write_figures(db_path, Path(options.figures_dir), workers, log)
    if log:
        log(f"{len(paths)} chart(s) -> {options.figures_dir}")


def log_stderr(message: str) -> None:
    """What the figures step tells the user."""
    print(message, file=sys.stderr)


def write_figures(
    db_path: Path, out_dir: Path, workers: int = 1, log: Callable[[str], None] | None = None
) -> list[Path]:
    """Every chart; returns the files written. `log` is told when bodies beyond MAX_BODY_CHARTS
    get no per-body charts."""
    from pipeline import chartkit as kit
    from pipeline import charts  # matplotlib is imported only when charts are drawn

    out_dir.mkdir(parents=True, exist_ok=True)
    for pattern in OWNED_PATTERNS:
        for old in out_dir.glob(pattern):
            old.unlink()
    con = chartdata.connect(db_path)
    try:
        reports = chartdata.reports_frame(con)
        multi_year = set(chartdata.bodies_with_years(con, 2))
        n_changes = chartdata.changes_per_body(con)
        candidates = sorted(multi_year | set(n_changes))
        names = kit.unique_slugs(candidates)  # the same file name whichever bodies are drawn
        bodies = sorted(candidates, key=lambda b: (-n_changes.get(b, 0), b))[:MAX_BODY_CHARTS]
        tasks = [(body, names[body], body in multi_year) for body in sorted(bodies)]
        if log and len(candidates) > MAX_BODY_CHARTS:
            log(
                f"{len(candidates)} bodies have figures in two or more years; their trend and "
                f"year-on-year charts are drawn for the {MAX_BODY_CHARTS} with the most changes. "
                "Draw any other: python -m pipeline chart --body NAME"
            )

        paths = charts.overview_chart(reports, out_dir / "overview.png")
        paths += draw_bodies_parallel(db_path, out_dir, tasks, workers)
        paths += charts.coverage_chart(
            chartdata.coverage_frame(con, sentences=False), out_dir / "coverage_rates.png"
        )
        paths += charts.checks_chart(chartdata.check_counts(con), reports, out_dir / "checks.png")
    finally:
        con.close()
    return paths


def body_charts(db_path: Path, out_dir: Path, body: str) -> list[Path]:
    """The trend and year-on-year charts of one body (`python -m pipeline chart --body`)."""
    from pipeline import chartkit as kit

    out_dir.mkdir(parents=True, exist_ok=True)
    con = chartdata.connect(db_path)
    try:
        multi_year = body in chartdata.bodies_with_years(con, 2)
    finally:
        con.close()
    name = kit.unique_slugs([body])[body]
    return [path for _, path in draw_bodies(db_path, out_dir, [(body, name, multi_year)])]


def draw_bodies_parallel(
    db_path: Path, out_dir: Path, tasks: list[tuple[str, str, bool]], workers: int
) -> list[Path]:
    if workers <= 1 or len(tasks) < PARALLEL_MIN_BODIES:
        return [path for _, path in draw_bodies(db_path, out_dir, tasks)]
    n = min(workers, len(tasks))
    chunks = [tasks[i::n] for i in range(n)]
    with ProcessPoolExecutor(max_workers=n, mp_context=get_context("fork")) as pool:
        drawn = list(pool.map(draw_bodies, [db_path] * n, [out_dir] * n, chunks))
    # same order as a serial run, whatever the chunking
    order = {body: i for i, (body, _, _) in enumerate(tasks)}
    by_body = sorted((order[body], path) for part in drawn for body, path in part)
    return [path for _, path in by_body]


def draw_bodies(
    db_path: Path, out_dir: Path, tasks: list[tuple[str, str, bool]]
) -> list[tuple[str, Path]]:
    """trend_ and yoy_ charts of some bodies, from a connection of this process's own."""
    from pipeline import charts

    con = chartdata.connect(db_path)
    try:
        # one query for all the bodies: at 100,000 reports a query costs about a second,
        # mostly to join the figures' sentences, whether it reads one body or a hundred
        bodies = [body for body, _, _ in tasks]
        trends = _by_body(chartdata.trend_frame(con, bodies=bodies))
        changes = _by_body(chartdata.yoy_frame(con, bodies=bodies))
    finally:
        con.close()
    out: list[tuple[str, Path]] = []
    for body, name, has_trend in tasks:
        drawn = []
        if has_trend:
            frame = trends.get(body, pd.DataFrame(columns=chartdata.TREND_COLUMNS))
            drawn += charts.trend_chart(frame, out_dir / f"trend_{name}.png")
        frame = changes.get(body)
        if frame is not None:
            drawn += charts.yoy_chart(frame, out_dir / f"yoy_{name}.png")
        out += [(body, path) for path in drawn]
    return out


def _by_body(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """A frame's rows split per body, each numbered from 0 as if read alone."""
    return {body: part.reset_index(drop=True) for body, part in frame.groupby("body", sort=False)}
