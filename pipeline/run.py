"""`pipeline run`: data/raw -> data/processed, step by step.

1. ingest: every file -> reports / mentions / report_texts (pure per file, see ingest.py)
2. warehouse steps on the fresh database (indicators, SQL transforms), all inside a temporary
   file that replaces the old warehouse only when every step succeeded;
3. exports that read the published warehouse (CSV, charts, notebooks, review page).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import warehouse
from pipeline.ingest import FileResult, empty_report, process_bytes
from pipeline.metadata import split_body
from pipeline.readers import MAX_BYTES
from pipeline.sources import SOURCES_FILE, load_sources

CONTROL_FILES = {SOURCES_FILE, "corrections.csv"}


@dataclass
class RunOptions:
    raw_dir: Path
    db_path: Path
    figures_dir: Path | None = None
    notebooks: bool = True
    keep_off_topic: bool = False
    quiet: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class IngestResult:
    reports: list[dict]
    mentions: list[dict]
    texts: list[dict]


def log(message: str) -> None:
    print(message, file=sys.stderr)


def list_inputs(raw_dir: Path) -> list[Path]:
    """Every report file under raw_dir (recursively), in a fixed order; control files excluded."""
    files = [
        p
        for p in raw_dir.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
        and p.name not in CONTROL_FILES
    ]
    return sorted(files, key=lambda p: p.relative_to(raw_dir).as_posix())


def read_one(path: Path, source_file: str, keep_off_topic: bool) -> FileResult:
    """Read one file's bytes (refusing huge ones before reading) and process them."""
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
    return process_bytes(source_file, data, keep_off_topic=keep_off_topic)


def ingest(raw_dir: Path, keep_off_topic: bool = False, quiet: bool = False) -> IngestResult:
    """Read every file; mark duplicates; apply sources.csv; report problems on stderr."""
    sources = load_sources(raw_dir)
    reports: list[dict] = []
    mentions: list[dict] = []
    texts: list[dict] = []
    first_by_sha: dict[str, str] = {}
    for path in list_inputs(raw_dir):
        rel = path.relative_to(raw_dir).as_posix()
        source_file = str(raw_dir / rel)
        result = read_one(path, source_file, keep_off_topic)
        row = result.report
        sha = row["sha256"]
        if sha in first_by_sha:
            # identical bytes under another name: one report, loaded once
            first = first_by_sha[sha]
            row.update(
                report_id=row["report_id"] + "-" + str(abs(hash_name(source_file))),
                status="duplicate",
                message=f"same content as {first}; its figures are loaded once, from {first}",
                duplicate_of=first,
            )
            result.mentions, result.text = [], None
        elif result.text is not None:
            first_by_sha[sha] = source_file
        if (src := sources.get(rel)) is not None:
            if src.body:
                row["body"], row["body_source"] = src.body, "sources.csv"
                row["jurisdiction"], row["department"] = split_body(src.body)
            if src.report_year:
                row["report_year"] = src.report_year
            row["source_url"] = src.source_url
        if row["status"] != "ok":
            log(f"{source_file}: {row['status']}: {row['message']}")
        reports.append(row)
        mentions.extend(result.mentions)
        if result.text is not None:
            texts.append({"report_id": row["report_id"], "text": result.text})
    for name in sorted(set(sources) - {p["source_file"][len(str(raw_dir)) + 1 :] for p in reports}):
        log(f"warning: {raw_dir / SOURCES_FILE}: no file '{name}' in {raw_dir}")
    no_body = [r["source_file"] for r in reports if r["status"] == "ok" and not r["body"]]
    if no_body and not quiet:
        log(
            f"{len(no_body)} report(s) name no issuing body we could read; add it in "
            f"{raw_dir / SOURCES_FILE} (file,body,report_year,source_url): " + ", ".join(no_body)
        )
    return IngestResult(reports, mentions, texts)


def hash_name(name: str) -> int:
    """A small deterministic number from a file name (Python's hash() is salted per process)."""
    import zlib

    return zlib.crc32(name.encode("utf-8"))


def load_ingest(con: duckdb.DuckDBPyConnection, result: IngestResult) -> None:
    import pandas as pd

    warehouse.create_schema(con)
    warehouse.append_frame(con, "reports", warehouse.reports_frame(result.reports))
    warehouse.append_frame(con, "mentions", warehouse.mentions_frame(result.mentions))
    warehouse.append_frame(
        con, "report_texts", pd.DataFrame(result.texts, columns=["report_id", "text"])
    )


# Steps that build more tables inside the fresh warehouse, in order: (name, function(con, options)).
WAREHOUSE_STEPS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection, RunOptions], None]]] = []
# Steps that read the published warehouse and write files next to it.
EXPORT_STEPS: list[tuple[str, Callable[[Path, RunOptions], None]]] = []


def build_warehouse(options: RunOptions) -> IngestResult:
    """Ingest and build every table into a temporary file, then publish it atomically."""
    result = ingest(options.raw_dir, options.keep_off_topic, options.quiet)
    tmp = warehouse.temp_path_for(options.db_path)
    if tmp.exists():
        tmp.unlink()
    try:
        con = duckdb.connect(str(tmp))
        try:
            load_ingest(con, result)
            for _name, step in WAREHOUSE_STEPS:
                step(con, options)
            con.execute("checkpoint")
        finally:
            con.close()
        warehouse.publish(tmp, options.db_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return result


def run(options: RunOptions) -> int:
    """The whole pipeline. Returns the process exit code."""
    if not options.raw_dir.is_dir():
        log(f"error: raw folder {options.raw_dir} does not exist")
        return 2
    try:
        with warehouse.run_lock(options.db_path):
            result = build_warehouse(options)
            for _name, export in EXPORT_STEPS:
                export(options.db_path, options)
    except warehouse.WarehouseBusy as exc:
        log(f"error: {exc}")
        return 3
    ok = sum(1 for r in result.reports if r["status"] == "ok")
    if not options.quiet:
        log(
            f"{len(result.reports)} file(s) read, {ok} report(s) ok, "
            f"{len(result.mentions)} figures -> {options.db_path}"
        )
    if ok == 0:
        log("error: no report could be read")
        return 1
    return 0
