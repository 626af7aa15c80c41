"""`pipeline run`: data/raw -> data/processed, step by step.

1. ingest: every file -> reports / mentions / report_texts. Extraction is a pure function of a
   file's bytes (ingest.py), so it runs in worker processes, streams into DuckDB in batches, and
   is skipped for files whose content hash the previous warehouse already holds (incremental);
2. warehouse steps on the fresh database (indicators, SQL transforms), all inside a temporary
   file that replaces the old warehouse only when every step succeeded;
3. exports that read the published warehouse (CSV, charts, notebooks, review page).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline import (
    cache,
    checks,
    corrections,
    figures,
    notebooks,
    panel,
    review,
    spool,
    transform,
    warehouse,
)
from pipeline.duplicates import mark_duplicates
from pipeline.ingest import (
    MATCH_COLUMNS,
    MENTION_COLUMNS,
    FileResult,
    empty_report,
    mention_id_for,
    process_bytes,
)
from pipeline.metadata import split_body
from pipeline.progress import Progress
from pipeline.readers import MAX_BYTES
from pipeline.sources import SOURCES_FILE, SourceRow, load_sources

CONTROL_FILES = {SOURCES_FILE, "corrections.csv"}
# Files per DuckDB append: bounded memory whatever the corpus size, and large enough that DuckDB
# writes the mentions' row groups straight to the file instead of logging them first.
BATCH_FILES = 2048
# Once the files still to come fit in one append, append every this many: what is left to append
# after the workers finish (while one core idles) is then small. The mentions of a small append
# are mostly held back to fill a row group, so the extra appends cost little.
TAIL_BATCH_FILES = 256
# DuckDB stores a table in row groups of this many rows (its fixed default). Rows that fill whole
# row groups are written straight to the file, compressed once; a partly filled row group is
# merged and compressed again at a later checkpoint. So each append takes the whole row groups
# and holds the rest back for the next one (Loader.flush).
ROW_GROUP_ROWS = 122_880
PARALLEL_MIN_FILES = 64  # below this, worker start-up costs more than it saves
# DuckDB's buffer pool. Appending needs little (measured: no slower at 10,000 reports than with
# twice as much); the corpus-wide joins and windows of the steps want more, and spill beyond it.
INGEST_MEMORY_LIMIT = "384MB"
STEPS_MEMORY_LIMIT = "768MB"
# DuckDB's settings for the connection that builds the warehouse (why: build_warehouse)
BUILD_CONFIG = {
    "memory_limit": INGEST_MEMORY_LIMIT,
    "checkpoint_threshold": "256MB",
    "max_vacuum_tasks": 0,
}


@dataclass
class RunOptions:
    raw_dir: Path
    db_path: Path
    figures_dir: Path | None = None
    notebooks: bool = True
    keep_off_topic: bool = False
    quiet: bool = False
    workers: int | None = None  # None: one per core
    full: bool = False  # ignore the previous warehouse; re-extract every file
    export_parquet: Path | None = None
    exports: bool = True  # CSV, charts, notebooks, review pages (bench turns them off)
    extra: dict = field(default_factory=dict)


@dataclass
class IngestSummary:
    n_files: int = 0
    n_ok: int = 0
    n_mentions: int = 0
    n_reused: int = 0
    n_chars: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, see `bench`
    inputs: str = ""  # digest of the input files as listed when reading began (inputs_digest)


def log(message: str) -> None:
    print(message, file=sys.stderr)


def list_inputs(raw_dir: Path) -> list[Path]:
    """Every report file under raw_dir (recursively), in a fixed order; control files excluded."""
    files = [
        p
        for p in raw_dir.rglob("*")
        if (p.is_file() or (p.is_symlink() and p.exists()))
        and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
        and p.name not in CONTROL_FILES
    ]
    return sorted(files, key=lambda p: p.relative_to(raw_dir).as_posix())


def display_name(path: Path) -> str:
    """The path as text that can be stored and printed on one line: bytes that are not UTF-8
    become U+FFFD, control characters (a newline in a file name) are escaped."""
    name = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def refused_link(path: Path, raw_dir: Path) -> str | None:
    """Why a link in the raw folder is not followed (it leads outside the folder, or to
    something that is not a file), or None: nothing is read from outside raw_dir."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
        inside = target.is_relative_to(raw_dir.resolve(strict=True))
    except (OSError, RuntimeError):
        return "a link that cannot be resolved; not followed"
    if not inside:
        return f"a link to {target}, outside {raw_dir}; not followed"
    if not target.is_file():
        return f"a link to {target}, which is not a regular file; not followed"
    return None


def read_one(
    path: Path, source_file: str, keep_off_topic: bool, cached: frozenset[str] = frozenset()
) -> FileResult:
    """Read one file's bytes (refusing huge ones before reading) and process them."""
    t0 = time.perf_counter()
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            row = empty_report(source_file, f"size-{size}-{source_file}")
            row.update(
                status="too_large",
                message=f"{size / 1e6:.0f} MB is over the {MAX_BYTES // 2**20} MB limit; not read",
            )
            return FileResult(row)
        data = path.read_bytes()
    except OSError as exc:
        row = empty_report(source_file, f"unreadable-{source_file}")
        row.update(status="read_error", message=f"cannot read the file: {exc.strerror or exc}")
        return FileResult(row)
    t1 = time.perf_counter()
    result = process_bytes(source_file, data, keep_off_topic=keep_off_topic, cached_shas=cached)
    result.seconds["read"] = t1 - t0
    return result


# Worker-process state, set once per worker by the pool initializer (not pickled per task).
_WORKER: dict = {}


def _init_worker(keep_off_topic: bool, cached: frozenset[str], spool_dir: Path) -> None:
    _WORKER.update(keep_off_topic=keep_off_topic, cached=cached, spool_dir=spool_dir)


# The spooled tables and their columns, in the order of the warehouse tables.
SPOOL_COLUMNS = {
    "mentions": MENTION_COLUMNS,
    "mention_matches": MATCH_COLUMNS,
    "report_texts": ["report_id", "text"],
}


@dataclass
class BatchResult:
    results: list[FileResult]  # one per file, in batch order (a file's slot is its index)
    spool: dict[str, Path]  # table -> the Arrow file holding the batch's rows of that table


def _extend(table: dict[str, list], slot: int, columns: list) -> None:
    """Append one file's rows, given as columns in the table's order, to a batch's table."""
    names = [c for c in table if c != spool.SLOT]
    for name, values in zip(names, columns, strict=True):
        table[name].extend(values)
    table[spool.SLOT].extend([slot] * len(columns[0]))


def _work_batch(job: tuple[int, list[tuple[str, str]]]) -> BatchResult:
    """Process one batch of files and spool its rows (see spool.py); the results keep only the
    reports rows and timings, which is all the main process needs to decide what to load."""
    batch_no, batch = job
    results = [
        read_one(Path(path), name, _WORKER["keep_off_topic"], _WORKER["cached"])
        for path, name in batch
    ]
    t0 = time.perf_counter()
    tables = {t: {c: [] for c in [*cols, spool.SLOT]} for t, cols in SPOOL_COLUMNS.items()}
    for slot, r in enumerate(results):
        rid = r.report["report_id"]
        if r.mentions:
            # a mentions row is (mention_id, report_id, *Mention): add the ids, transpose the rest
            ids = [mention_id_for(rid, m.char_start) for m in r.mentions]
            _extend(
                tables["mentions"], slot, [ids, [rid] * len(ids), *zip(*r.mentions, strict=True)]
            )
        if r.matches:
            _extend(tables["mention_matches"], slot, list(zip(*r.matches, strict=True)))
        if r.text is not None:
            _extend(tables["report_texts"], slot, [[rid], [r.text]])
        r.mentions, r.matches, r.text = [], [], None
    paths = spool.write_batch(_WORKER["spool_dir"], batch_no, tables)
    if results:
        results[0].seconds["spool"] = time.perf_counter() - t0
    return BatchResult(results, paths)


def process_files(
    tasks: list[tuple[str, str]],
    keep_off_topic: bool,
    cached: frozenset[str],
    workers: int,
    spool_dir: Path,
) -> Iterator[BatchResult]:
    """Batch results in input order, from a process pool when the corpus is big enough."""
    chunk = max(1, min(32, len(tasks) // (workers * 8)))
    jobs = list(enumerate(tasks[i : i + chunk] for i in range(0, len(tasks), chunk)))
    if workers <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        _init_worker(keep_off_topic, cached, spool_dir)
        yield from map(_work_batch, jobs)
        return
    # bounded, so results never pile up faster than they are loaded, but deep enough (about 10 s
    # of work) that the workers keep going while the main process appends a batch to DuckDB or
    # DuckDB checkpoints (4-15 s each at 100,000 reports). A batch in flight costs the main
    # process only its reports rows: its figures and texts wait in the spool, on disk.
    in_flight = workers * 64
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("fork"),
        initializer=_init_worker,
        initargs=(keep_off_topic, cached, spool_dir),
    ) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append(pool.submit(_work_batch, job))
            if len(pending) >= in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def hash_name(name: str) -> int:
    """A small deterministic number from a file name (Python's hash() is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


class Loader:
    """Collects reports rows and spooled batches and appends them to DuckDB a few batches at a
    time."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: dict[str, float]) -> None:
        self.con, self.seconds = con, seconds
        self.reports: list[dict] = []
        self.reused: list[str] = []
        self.spooled: list[tuple[dict[str, Path], list[int]]] = []  # (paths, dropped slots)
        self.held: dict[str, pa.Table] = {}  # rows short of a whole row group, for the next append

    def add(self, result: FileResult) -> None:
        self.reports.append(result.report)
        if result.reused:
            self.reused.append(result.report["report_id"])

    def add_spool(self, paths: dict[str, Path], dropped_slots: list[int]) -> None:
        self.spooled.append((paths, dropped_slots))

    def flush(self, last: bool = False) -> None:
        """Append what was collected; `last`: the run's final append, which holds nothing back."""
        t0 = time.perf_counter()
        warehouse.append_frame(self.con, "reports", warehouse.reports_frame(self.reports))
        for table in SPOOL_COLUMNS:
            parts = [self.held.pop(table)] if table in self.held else []
            parts += [
                spool.read_table(paths[table], dropped)
                for paths, dropped in self.spooled
                if table in paths
            ]
            if not parts:
                continue
            # Arrow, not pandas: DuckDB reads Arrow strings without a Python object per cell
            frame = pa.concat_tables(parts)
            whole = frame.num_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS
            # (texts are not held: a row group of them is 122,880 reports' texts)
            if not last and whole < frame.num_rows and table != "report_texts":
                self.held[table] = frame.slice(whole)
                frame = frame.slice(0, whole)
            warehouse.append_frame(self.con, table, frame)
        for paths, _ in self.spooled:
            for path in paths.values():
                path.unlink(missing_ok=True)
        if self.reused:
            cache.note_reused(self.con, self.reused)
        self.reports, self.reused, self.spooled = [], [], []
        self.seconds["load"] = self.seconds.get("load", 0.0) + time.perf_counter() - t0


def _apply_sources(row: dict, src: SourceRow | None) -> None:
    if src is None:
        return
    if src.body:
        row["body"], row["body_source"] = src.body, "sources.csv"
        row["jurisdiction"], row["department"] = split_body(src.body)
    if src.report_year:
        row["report_year"] = src.report_year
    row["source_url"] = src.source_url


def ingest(
    con: duckdb.DuckDBPyConnection,
    options: RunOptions,
    cached: frozenset[str] = frozenset(),
) -> IngestSummary:
    """Read every file into the ingest tables; mark duplicates; apply sources.csv; report
    problems on stderr. Streams: memory does not grow with the number of files."""
    spool_dir = warehouse.spool_path_for(options.db_path)
    shutil.rmtree(spool_dir, ignore_errors=True)
    spool_dir.mkdir(parents=True)
    try:
        return _ingest(con, options, cached, spool_dir)
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)


def _ingest(
    con: duckdb.DuckDBPyConnection, options: RunOptions, cached: frozenset[str], spool_dir: Path
) -> IngestSummary:
    raw_dir = options.raw_dir
    sources = load_sources(raw_dir)
    files = list_inputs(raw_dir)
    # taken before any file is read: a file edited during the run then differs from it, and
    # the next run rebuilds
    digest = inputs_digest(raw_dir, files)
    refused = {p: why for p in files if (why := refused_link(p, raw_dir))}
    files = [p for p in files if p not in refused]
    tasks = [(str(p), display_name(raw_dir / p.relative_to(raw_dir).as_posix())) for p in files]
    summary = IngestSummary(n_files=len(files), inputs=digest)
    del files  # per-file state is kept small: a national corpus has 100,000+ files
    loader = Loader(con, summary.seconds)
    first_by_sha: dict[str, str] = {}
    no_body: list[str] = []  # the first few, for the message
    n_no_body = 0
    unmatched_sources = set(sources)  # lines of sources.csv naming no file seen so far
    unread_ids: set[str] = set()  # ids of files that could not be read
    for path, why in refused.items():
        source_file = display_name(raw_dir / path.relative_to(raw_dir).as_posix())
        row = empty_report(source_file, f"link-{hash_name(source_file):08x}")
        row.update(status="outside_raw", message=why)
        log(f"{source_file}: outside_raw: {why}")
        loader.add(FileResult(row))
        unmatched_sources.discard(path.relative_to(raw_dir).as_posix())
        summary.n_files += 1
    workers = options.workers or os.cpu_count() or 1
    progress = Progress(len(tasks), "files", enabled=not options.quiet)
    n_done = 0
    for batch in process_files(tasks, options.keep_off_topic, cached, workers, spool_dir):
        dropped: list[int] = []
        for slot, result in enumerate(batch.results):
            row = result.report
            source_file = row["source_file"]
            rel = Path(source_file).relative_to(raw_dir).as_posix()
            unmatched_sources.discard(rel)
            for stage, sec in result.seconds.items():
                summary.seconds[stage] = summary.seconds.get(stage, 0.0) + sec
            sha = row["sha256"]
            if sha in first_by_sha:
                # identical bytes under another name: one report, loaded once
                first = first_by_sha[sha]
                row.update(
                    report_id=f"{row['report_id']}-{hash_name(source_file):08x}",
                    status="duplicate",
                    message=f"same content as {first}; its figures are loaded once, from {first}",
                    duplicate_of=first,
                )
                dropped.append(slot)
                result.reused = False
            elif result.has_text:
                first_by_sha[sha] = source_file
            if not result.has_text:  # the same unreadable bytes twice (two empty files)
                if row["report_id"] in unread_ids:
                    row["report_id"] = f"{row['report_id']}-{hash_name(source_file):08x}"
                unread_ids.add(row["report_id"])
            _apply_sources(row, sources.get(rel))
            if row["status"] != "ok":
                progress.clear()
                log(f"{source_file}: {row['status']}: {row['message']}")
            elif not row["body"]:
                n_no_body += 1
                if len(no_body) < 20:
                    no_body.append(source_file)
            summary.n_ok += row["status"] == "ok"
            summary.n_reused += result.reused
            summary.n_chars += row["n_chars"] or 0
            loader.add(result)
            progress.step()
        loader.add_spool(batch.spool, dropped)
        n_done += len(batch.results)
        in_tail = len(tasks) - n_done < BATCH_FILES
        if len(loader.reports) >= (TAIL_BATCH_FILES if in_tail else BATCH_FILES):
            loader.flush()
    con.execute("reset threads")  # the workers are done: the last append gets every core
    loader.flush(last=True)
    cache.drop_unused(con)  # rows copied from the previous run of files edited or deleted since
    progress.done()
    for name in sorted(unmatched_sources):
        log(f"warning: {raw_dir / SOURCES_FILE}: no file '{name}' in {raw_dir}")
    if no_body and not options.quiet:
        shown = ", ".join(no_body) + (
            f" and {n_no_body - len(no_body)} more" if n_no_body > len(no_body) else ""
        )
        log(
            f"{n_no_body} report(s) name no issuing body we could read; add it in "
            f"{raw_dir / SOURCES_FILE} (file,body,report_year,source_url): {shown}"
        )
    return summary


# Steps that build more tables inside the fresh warehouse, in order: (name, function(con, options)).
WAREHOUSE_STEPS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection, RunOptions], None]]] = [
    ("duplicates", mark_duplicates),  # first: later steps must not count a report twice
    # corrections.csv: figures fixed, dropped or added before matching; set_indicator in matching
    ("corrections", corrections.apply_corrections),
    ("indicators", panel.build_indicator_tables),  # observations, indicator_panel
    # SQL models of pipeline/sql/ (yoy_change, coverage_rates, consistency_checks)
    ("transforms", transform.run_transforms),
]
# Steps that read the published warehouse and write files next to it, in order. Charts and
# notebooks come last: they read what the others publish.
EXPORT_STEPS: list[tuple[str, Callable[[Path, RunOptions], None]]] = [
    ("indicator_panel_csv", panel.export_panel_csv),
    ("consistency_checks_csv", checks.export_csv),
    ("review_pages", review.export_review),  # every figure highlighted in its report text
    ("figures", figures.export_figures),
    ("notebooks", notebooks.export_notebooks),
]


def build_warehouse(options: RunOptions) -> IngestSummary:
    """Ingest and build every table into a temporary file, then publish it atomically."""
    tmp = warehouse.temp_path_for(options.db_path)
    warehouse.remove_stale_builds(options.db_path)  # left by a killed run; we hold the lock
    fingerprint = cache.fingerprint(options.keep_off_topic)
    try:
        # incremental: start from a copy of the previous warehouse that keeps the rows of files
        # whose bytes did not change (cache.py); else from an empty file
        cached = frozenset()
        if not options.full:
            cached = cache.start_from_previous(options.db_path, tmp, fingerprint)
        # a bounded buffer pool: DuckDB spills to the file instead of growing with the corpus;
        # fewer, larger checkpoints while loading (each one recompresses what it writes); no
        # vacuum: it merges the small row groups each checkpoint leaves in report_texts (a
        # batch of texts is far short of a row group), rewriting every text again and again
        # (at 65,536 texts one checkpoint took 15 s instead of 1.8). The cost: the space of
        # deleted rows (duplicates, rows of files changed since the previous warehouse an
        # incremental run starts from) may stay in the file until a --full build
        con = duckdb.connect(str(tmp), config=BUILD_CONFIG)
        try:
            con.execute("set enable_progress_bar = false")  # the run prints its own
            if cached:
                cache.keep_reusable(con, cached)
            warehouse.create_schema(con)
            # while the workers extract, loading takes one thread: the cores are theirs
            con.execute("set threads = 1")
            summary = ingest(con, options, cached)  # resets threads when the workers are done
            con.execute(f"set memory_limit = '{STEPS_MEMORY_LIMIT}'")
            # the steps' tables are sorted where order matters (order by); letting DuckDB stream
            # the others keeps large corpora within the memory limit
            con.execute("set preserve_insertion_order = false")
            cache.record(con, fingerprint, summary.inputs)
            for name, step in WAREHOUSE_STEPS:
                t0 = time.perf_counter()
                step(con, options)
                summary.seconds[name] = time.perf_counter() - t0
            # counted after the steps: the duplicates step turns copies in other formats into
            # `duplicate` and drops their figures
            summary.n_mentions = con.execute("select count(*) from mentions").fetchone()[0]
            summary.n_ok = con.execute(
                "select count(*) from reports where status = 'ok'"
            ).fetchone()[0]
            con.execute("checkpoint")
        finally:
            con.close()
        warehouse.publish(tmp, options.db_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return summary


def inputs_digest(raw_dir: Path, files: list[Path] | None = None) -> str:
    """Every input the warehouse depends on: report files (`files`, if list_inputs already gave
    them) and the user's control files."""
    controls = [raw_dir / name for name in sorted(CONTROL_FILES) if (raw_dir / name).is_file()]
    return cache.listing((list_inputs(raw_dir) if files is None else files) + controls)


def run_exports(options: RunOptions, steps: Iterable[tuple[str, Callable]] | None = None) -> bool:
    """Run the export steps; one that fails is reported in one line and the others still run
    (the warehouse is already published). Returns False if any failed."""
    ok = True
    if not options.exports:
        return ok
    for name, export in steps if steps is not None else EXPORT_STEPS:
        try:
            export(options.db_path, options)
        except Exception as exc:
            log(f"error: export step '{name}' failed: {type(exc).__name__}: {exc}")
            ok = False
    return ok


def run(options: RunOptions) -> int:
    """The whole pipeline. Returns the process exit code."""
    if not options.raw_dir.is_dir():
        log(f"error: raw folder {options.raw_dir} does not exist")
        return 2
    try:
        with warehouse.run_lock(options.db_path):
            fingerprint = cache.fingerprint(options.keep_off_topic)
            if not options.full and cache.unchanged(
                options.db_path, fingerprint, inputs_digest(options.raw_dir)
            ):
                if not options.quiet:
                    log(
                        f"nothing changed in {options.raw_dir} since the last run; kept {options.db_path}"
                    )
                return 0 if run_exports(options) else 4
            summary = build_warehouse(options)
            if options.export_parquet is not None:
                warehouse.export_parquet(options.db_path, options.export_parquet)
            exports_ok = run_exports(options)
    except warehouse.WarehouseBusy as exc:
        log(f"error: {exc}")
        return 3
    except transform.TransformFailed as exc:
        log(f"error: {exc}")
        return 4
    if not options.quiet:
        reused = f", {summary.n_reused} unchanged (reused)" if summary.n_reused else ""
        log(
            f"{summary.n_files} file(s) read, {summary.n_ok} report(s) ok{reused}, "
            f"{summary.n_mentions} figures -> {options.db_path}"
        )
    if summary.n_ok == 0:
        log("error: no report could be read")
        return 1
    return 0 if exports_ok else 4
