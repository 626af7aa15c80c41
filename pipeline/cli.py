"""`python -m pipeline <command>`: argument parsing only; each command calls one function."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import paths


def _figures_dir(args: argparse.Namespace) -> Path | None:
    """--figures DIR; by default `figures/` beside the warehouse (a run on another --db never
    overwrites data/processed/figures); --figures "" draws no charts."""
    if args.figures is None:
        return Path(args.db).parent / "figures"
    return Path(args.figures) if args.figures else None


def _run(args: argparse.Namespace) -> int:
    from pipeline.run import RunOptions, run

    return run(
        RunOptions(
            raw_dir=Path(args.raw),
            db_path=Path(args.db),
            figures_dir=_figures_dir(args),
            notebooks=not args.no_notebooks,
            keep_off_topic=args.keep_off_topic,
            quiet=args.quiet,
            workers=args.workers,
            full=args.full,
            export_parquet=Path(args.export_parquet) if args.export_parquet else None,
        )
    )


def _bench(args: argparse.Namespace) -> int:
    from pipeline.bench import bench

    return bench(Path(args.raw), n_reports=args.reports, workers=args.workers, keep=args.keep)


def _evaluate(args: argparse.Namespace) -> int:
    from pipeline.evaluate import evaluate

    return evaluate(Path(args.gold), verbose=args.verbose)


def _checks(args: argparse.Namespace) -> int:
    from pipeline.checks import checks_command

    return checks_command(Path(args.db), check=args.check, severity=args.severity, lang=args.lang)


def _unmapped(args: argparse.Namespace) -> int:
    from pipeline.panel import print_unmapped

    return print_unmapped(Path(args.db), limit=args.limit)


def _notebooks(args: argparse.Namespace) -> int:
    from pipeline.notebooks import notebooks_command

    return notebooks_command(Path(args.db), figures_dir=_figures_dir(args))


def _chart(args: argparse.Namespace) -> int:
    from pipeline import warehouse
    from pipeline.figures import body_charts

    db = Path(args.db)
    if warehouse.missing(db):
        return 2
    out = _figures_dir(args) or db.parent / "figures"
    paths = body_charts(db, out, args.body)
    if not paths:
        print(f"error: no trend or year-on-year data for body '{args.body}'", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


def _review(args: argparse.Namespace) -> int:
    from pipeline.review_text import print_report

    return print_report(Path(args.db), args.report, only_indicators=args.indicators)


DEFAULT_DB = str(paths.WAREHOUSE.relative_to(paths.ROOT))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Figures from 法治政府建设年度报告 into a DuckDB warehouse.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="build data/processed from the reports in data/raw")
    run.add_argument(
        "--raw", default=str(paths.RAW_DIR.relative_to(paths.ROOT)), help="input folder"
    )
    run.add_argument("--db", default=DEFAULT_DB, help="warehouse file to write")
    run.add_argument(
        "--figures",
        default=None,
        help='PNG chart folder (default: figures/ beside --db; "" for no charts)',
    )
    run.add_argument("--no-notebooks", action="store_true", help="do not execute the notebooks")
    run.add_argument(
        "--keep-off-topic",
        action="store_true",
        help="keep figures of files that are not rule-of-law reports",
    )
    run.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")
    run.add_argument(
        "--workers", type=int, default=None, help="extraction processes (default: cores)"
    )
    run.add_argument(
        "--full", action="store_true", help="re-extract every file (default: reuse unchanged ones)"
    )
    run.add_argument(
        "--export-parquet", metavar="DIR", help="also write core tables as Parquet by report_year"
    )
    run.set_defaults(func=_run)

    bench = sub.add_parser("bench", help="time every stage on a synthetic corpus of N reports")
    bench.add_argument("--reports", type=int, default=1000, help="number of synthetic reports")
    bench.add_argument("--workers", type=int, default=None, help="extraction processes")
    bench.add_argument("--raw", default=str(paths.RAW_DIR), help="real reports to build it from")
    bench.add_argument("--keep", metavar="DIR", help="keep the corpus and warehouse in DIR")
    bench.set_defaults(func=_bench)

    ev = sub.add_parser("evaluate", help="score extraction against labelled reports")
    ev.add_argument("--gold", default=str(paths.GOLD_DIR), help="folder of NNN.txt + NNN.json")
    ev.add_argument("--verbose", action="store_true", help="list what was missed and extra")
    ev.set_defaults(func=_evaluate)

    chk = sub.add_parser("checks", help="list where reports contradict themselves or jump")
    chk.add_argument("--db", default=DEFAULT_DB, help="warehouse to read")
    chk.add_argument("--check", help="only this check_id (e.g. parts_vs_total)")
    chk.add_argument("--severity", choices=["error", "warning"], help="only this severity")
    chk.add_argument(
        "--lang", choices=["zh", "en"], default="zh", help="message language (default Chinese)"
    )
    chk.set_defaults(func=_checks)

    unm = sub.add_parser(
        "unmapped", help="list the phrases around figures no indicator matched, most frequent first"
    )
    unm.add_argument("--db", default=DEFAULT_DB, help="warehouse to read")
    unm.add_argument("--limit", type=int, default=40, help="how many phrases to list")
    unm.set_defaults(func=_unmapped)

    nbs = sub.add_parser(
        "notebooks", help="redraw the charts and re-execute the notebooks from the warehouse as is"
    )
    nbs.add_argument("--db", default=DEFAULT_DB, help="warehouse to read")
    nbs.add_argument(
        "--figures",
        default=None,
        help='PNG chart folder (default: figures/ beside --db; "" for no charts)',
    )
    nbs.set_defaults(func=_notebooks)

    chart = sub.add_parser("chart", help="draw one body's trend and year-on-year charts")
    chart.add_argument("--body", required=True, help="the body, as in the warehouse")
    chart.add_argument("--db", default=DEFAULT_DB, help="warehouse to read")
    chart.add_argument("--figures", default=None, help="folder (default: figures/ beside --db)")
    chart.set_defaults(func=_chart)

    rev = sub.add_parser(
        "review", help="print one report's figures with their sentences (value, unit, indicator)"
    )
    rev.add_argument(
        "--report", required=True, metavar="FILE", help="source file path, file name or report_id"
    )
    rev.add_argument("--db", default=DEFAULT_DB, help="warehouse to read")
    rev.add_argument(
        "--indicators", action="store_true", help="only the figures that name an indicator"
    )
    rev.set_defaults(func=_review)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
