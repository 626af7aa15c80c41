"""`pipeline bench`: time every stage on a synthetic corpus of N reports built from data/raw.

Prints reports/s, MB/s of text, seconds per stage, peak RSS, and the headline: the ratio of the
whole run to a bare baseline on the same corpus (read + decode every file + one
re.finditer(r"\\d+") pass, timed before and after the run), which does not depend on how fast
the machine is.
"""

from __future__ import annotations

import os
import re
import resource
import tempfile
import time
from pathlib import Path

from pipeline.readers.text import ReadError, decode_bytes
from pipeline.run import RunOptions, build_warehouse, run
from pipeline.synthetic import write_corpus

_DIGITS = re.compile(r"\d+")


def baseline(corpus: Path) -> float:
    """Seconds to read and decode every file and scan it once for digits, in one process."""
    t0 = time.perf_counter()
    for path in sorted(corpus.iterdir()):
        try:
            text, _ = decode_bytes(path.read_bytes())
        except ReadError:
            continue
        for _ in _DIGITS.finditer(text):
            pass
    return time.perf_counter() - t0


def _peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of the largest child (worker), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def bench(
    raw_dir: Path, n_reports: int, workers: int | None = None, keep: str | None = None
) -> int:
    if n_reports < 1:
        print("error: --reports must be at least 1")
        return 2
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as tmp_name:
        root = Path(keep) if keep else Path(tmp_name)
        corpus, db = root / "corpus", root / "bench.duckdb"
        if keep and corpus.exists():
            for p in corpus.iterdir():
                p.unlink()
        if db.exists():
            db.unlink()
        t0 = time.perf_counter()
        try:
            n_chars = write_corpus(raw_dir, corpus, n_reports)
        except ValueError as exc:
            print(f"error: {exc}")
            return 2
        mb = sum(p.stat().st_size for p in corpus.iterdir()) / 1e6
        print(
            f"corpus: {n_reports} synthetic reports, {n_chars / 1e6:.1f} M chars, {mb:.1f} MB "
            f"(built in {time.perf_counter() - t0:.1f}s from {raw_dir})"
        )

        # the baseline is timed before and after the run and averaged: on a shared machine the
        # speed of the CPU drifts, and the ratio should not depend on when it was measured
        base_before = baseline(corpus)
        options = RunOptions(
            raw_dir=corpus, db_path=db, figures_dir=None, notebooks=False, quiet=True,
            workers=workers, full=True, exports=False,
        )  # fmt: skip
        t0 = time.perf_counter()
        summary = build_warehouse(options)
        wall = time.perf_counter() - t0
        own_rss, child_rss = _peak_rss_mb()
        base_after = baseline(corpus)
        base = (base_before + base_after) / 2

        t0 = time.perf_counter()
        run(RunOptions(**{**options.__dict__, "full": False}))  # what a user's re-run does
        rerun = time.perf_counter() - t0
        one = sorted(corpus.iterdir())[len(list(corpus.iterdir())) // 2]
        one.write_text(one.read_text(encoding="utf-8") + "\n另开展普法讲座12场。", encoding="utf-8")
        t0 = time.perf_counter()
        changed = build_warehouse(RunOptions(**{**options.__dict__, "full": False}))
        one_changed = time.perf_counter() - t0

    sec = summary.seconds
    print(f"workers: {workers}")
    print(f"whole run (no charts/notebooks): {wall:.2f} s wall")
    print(f"  throughput: {n_reports / wall:.1f} reports/s, {mb / wall:.2f} MB/s of text")
    print(
        "  stages (read, decode, extract, indicator match, spool: seconds inside the workers, "
        "summed over them; the others: wall seconds in the main process):"
    )
    for stage in (
        "read",
        "decode",
        "extract",
        "load",
        *[k for k in sec if k not in ("read", "decode", "extract", "load")],
    ):
        if stage in sec:
            print(f"    {stage:<12} {sec[stage]:8.2f} s")
    print(f"  peak RSS: main process {own_rss:.0f} MB, largest worker {child_rss:.0f} MB")
    print(f"  figures: {summary.n_mentions}, reports ok: {summary.n_ok}/{summary.n_files}")
    print(f"re-run with nothing changed: {rerun:.2f} s")
    print(
        f"re-run with one file edited: {one_changed:.2f} s "
        f"({changed.n_files - changed.n_reused} file(s) re-extracted)"
    )
    print(
        f"baseline (read + decode + one \\d+ pass, 1 process): {base:.2f} s "
        f"(mean of {base_before:.2f} s before and {base_after:.2f} s after the run)"
    )
    print(
        f"SUMMARY n={n_reports} wall={wall:.2f}s reports/s={n_reports / wall:.1f} "
        f"ratio_to_baseline={wall / max(base, 1e-9):.1f}x peak_rss_mb={max(own_rss, child_rss):.0f}"
    )
    return 0
