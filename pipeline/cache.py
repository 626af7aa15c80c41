"""Incremental runs: reuse the previous warehouse's figures for files whose bytes did not change.

Extraction is a pure function of (file bytes, pipeline code and data files, --keep-off-topic), so
the previous warehouse is a valid cache exactly when its recorded fingerprint of the code equals
the current one; then a file whose sha256 it already holds has its mentions copied, not
re-extracted. Any code or catalog change, or `--full`, rebuilds everything.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.paths import PACKAGE_DIR

_CODE_SUFFIXES = {".py", ".yml", ".yaml", ".txt", ".sql", ".csv", ".json"}
_ALIAS = "previous_run"


def fingerprint(keep_off_topic: bool) -> str:
    """Hash of every file the extraction depends on, plus the options that change its output."""
    h = hashlib.sha256(f"keep_off_topic={keep_off_topic}".encode())
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and "__pycache__" not in path.parts:
            h.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def attach_previous(con: duckdb.DuckDBPyConnection, db_path: Path, current: str) -> frozenset[str]:
    """Attach the published warehouse read-only; return the content hashes it can supply."""
    if not db_path.is_file():
        return frozenset()
    try:
        con.execute(f"attach '{db_path}' as {_ALIAS} (read_only)")
    except duckdb.Error:
        return frozenset()  # unreadable or from another version: rebuild everything
    try:
        row = con.execute(
            f"select value from {_ALIAS}.pipeline_meta where key = 'fingerprint'"
        ).fetchone()
        if row is None or row[0] != current:
            detach_previous(con)
            return frozenset()
        # a report corrected by corrections.csv is re-extracted: its stored figures are not
        # the extractor's, and the corrections may have changed since
        shas = con.execute(
            f"select distinct r.sha256 from {_ALIAS}.reports r "
            f"join {_ALIAS}.report_texts t using (report_id) "
            f"where r.report_id not in (select report_id from {_ALIAS}.corrections_applied "
            "where status = 'applied' and report_id is not null)"
        ).fetchall()
    except duckdb.Error:
        detach_previous(con)
        return frozenset()
    return frozenset(s for (s,) in shas)


def copy_mentions(con: duckdb.DuckDBPyConnection, report_ids: list[str]) -> None:
    """Bulk-copy the previous run's mentions (and their indicator matches) of unchanged reports
    into the new warehouse."""
    ids = pd.DataFrame({"report_id": report_ids})
    con.register("_reused", ids)
    for table in ("mentions", "mention_matches"):
        cols = ", ".join(r[0] for r in con.execute(f"describe {table}").fetchall())
        con.execute(
            f"insert into {table} ({cols}) select {cols} from {_ALIAS}.{table} "
            "where report_id in (select report_id from _reused)"
        )
    con.unregister("_reused")


def detach_previous(con: duckdb.DuckDBPyConnection) -> None:
    attached = {
        r[0] for r in con.execute("select database_name from duckdb_databases()").fetchall()
    }
    if _ALIAS in attached:
        con.execute(f"detach {_ALIAS}")


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
