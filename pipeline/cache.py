"""Incremental runs: reuse the previous warehouse's figures for files whose bytes did not change.

Extraction is a pure function of (file bytes, pipeline code and data files, --keep-off-topic), so
the previous warehouse is a valid cache exactly when its recorded fingerprint of the code equals
the current one; then a file whose sha256 it already holds has its mentions, matches and text
copied, not extracted again. Any code or catalog change, or `--full`, rebuilds everything.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb

from pipeline.ingest import report_id_for
from pipeline.paths import PACKAGE_DIR

_CODE_SUFFIXES = {".py", ".yml", ".yaml", ".txt", ".sql", ".csv", ".json"}


def fingerprint(keep_off_topic: bool) -> str:
    """Hash of every file the extraction depends on, plus the options that change its output."""
    h = hashlib.sha256(f"keep_off_topic={keep_off_topic}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts:
            h.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


# the tables extraction fills: what an unchanged report keeps from the previous warehouse
EXTRACT_TABLES = ("mentions", "mention_matches", "report_texts")
_CACHED = "_cached_reports"  # reports the previous warehouse can supply
_REUSED = "_reused_reports"  # the ones this run's files still hold


def start_from_previous(db_path: Path, tmp: Path, current: str) -> frozenset[str]:
    """Copy the published warehouse to `tmp` as the starting point of this build when this code
    built it; return the content hashes whose extraction it can supply (empty: start from an
    empty file). A report corrected by corrections.csv is extracted again: its stored figures are
    not the extractor's, and the corrections may have changed since."""
    if not db_path.is_file() or db_path.with_name(db_path.name + ".wal").exists():
        return frozenset()
    try:
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            row = con.execute(
                "select value from pipeline_meta where key = 'fingerprint'"
            ).fetchone()
            if row is None or row[0] != current:
                return frozenset()
            shas = con.execute(
                "select distinct r.sha256 from reports r join report_texts t using (report_id) "
                "where r.report_id not in (select report_id from corrections_applied "
                "where status = 'applied' and report_id is not null)"
            ).fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return frozenset()  # unreadable or from another version: rebuild everything
    if shas:
        shutil.copyfile(db_path, tmp)
    return frozenset(s for (s,) in shas)


def keep_reusable(con: duckdb.DuckDBPyConnection, cached: frozenset[str]) -> None:
    """In the copied warehouse: keep only the extraction rows of the reusable reports and drop
    every other table (the run builds them again)."""
    ids = sorted(report_id_for(sha) for sha in cached)
    con.execute(f"create temp table {_CACHED} as select unnest(?) as report_id", [ids])
    con.execute(f"create temp table {_REUSED} (report_id varchar)")
    for table in EXTRACT_TABLES:
        con.execute(f"delete from {table} where report_id not in (select report_id from {_CACHED})")
    # the corrections step adds `reviewed` to mentions again (false on every reused figure: a
    # corrected report is not reused)
    con.execute("alter table mentions drop column if exists reviewed")
    for name, kind in con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_schema = 'main' and table_catalog = current_database()"
    ).fetchall():
        if name not in EXTRACT_TABLES:
            con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {name}")


def note_reused(con: duckdb.DuckDBPyConnection, report_ids: list[str]) -> None:
    """Reports of this run whose rows the copied warehouse already holds."""
    con.execute(f"insert into {_REUSED} select unnest(?)", [report_ids])


def drop_unused(con: duckdb.DuckDBPyConnection) -> None:
    """After ingest: remove the copied rows of reports no file holds any more (edited or
    deleted files). Nothing to do for a build that did not start from a copy."""
    n = con.execute(
        "select count(*) from duckdb_tables() where table_name = ?", [_CACHED]
    ).fetchone()[0]
    if not n:
        return
    for table in EXTRACT_TABLES:
        con.execute(
            f"delete from {table} where report_id in "
            f"(select report_id from {_CACHED} except select report_id from {_REUSED})"
        )
    con.execute(f"drop table {_CACHED}")
    con.execute(f"drop table {_REUSED}")


def listing(files: list[Path]) -> str:
    """A digest of the input folder as `make` sees it: every file's path, size and mtime."""
    h = hashlib.sha256()
    for path in files:
        st = path.stat()
        # surrogateescape: a file name that is not valid UTF-8 must not stop the run
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def unchanged(db_path: Path, current: str, files_digest: str) -> bool:
    """True when the published warehouse was built by this code from exactly these files."""
    if not db_path.is_file():
        return False
    try:
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            meta = dict(con.execute("select key, value from pipeline_meta").fetchall())
        finally:
            con.close()
    except duckdb.Error:
        return False
    return meta.get("fingerprint") == current and meta.get("inputs") == files_digest


def record(con: duckdb.DuckDBPyConnection, current: str, files_digest: str) -> None:
    con.execute("create or replace table pipeline_meta (key varchar primary key, value varchar)")
    con.execute(
        "insert into pipeline_meta values ('fingerprint', ?), ('inputs', ?)",
        [current, files_digest],
    )
