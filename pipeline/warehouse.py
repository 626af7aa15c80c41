"""The DuckDB warehouse: schema of the ingest tables, bulk loading, atomic replacement, run lock.

A run builds a fresh file next to the target and renames it over the old one only when every
step succeeded, so a crash or a kill mid-run leaves the previous warehouse as it was. Only this
module and transform.py open a writable connection.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import glob
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipeline.ingest import REPORT_COLUMNS

# No PRIMARY KEY on these tables: DuckDB keeps such an index in memory and slows every append
# as the corpus grows. Their keys are tested instead (sql/schema.yml: unique, not_null).
# A sentence column (`context`) is stored with zstd: DuckDB's default for text (dictionary + FSST)
# took twice the CPU to write 1.36 million sentences and made a larger file (100 MB against 61 MB
# for `mentions` at 10,000 reports); short, repeated columns (section, unit) stay with the default.
DDL = """
create table if not exists reports (
    report_id     varchar not null,
    source_file   varchar not null,
    sha256        varchar not null,
    title         varchar,
    body          varchar,
    jurisdiction  varchar,
    department    varchar,
    report_year   integer,
    published     date,
    n_chars       integer not null,
    status        varchar not null,
    message       varchar,
    format        varchar,
    encoding      varchar,
    body_source   varchar,
    source_url    varchar,
    duplicate_of  varchar
);
create table if not exists mentions (
    mention_id     varchar not null,
    report_id      varchar not null,
    value          double not null,
    unit           varchar,
    approx         boolean not null,
    raw_text       varchar not null,
    char_start     integer not null,
    char_end       integer not null,
    context        varchar using compression zstd,
    section        varchar,
    sentence_start integer
);
create table if not exists mention_matches (
    mention_id   varchar not null,
    report_id    varchar not null,
    unit         varchar,
    char_start   integer not null,
    char_end     integer not null,
    indicator_id varchar,
    cue          varchar,
    scope        varchar
);
create table if not exists report_texts (
    report_id varchar not null,
    text      varchar not null
);
"""


class WarehouseBusy(Exception):
    """Another run holds the lock on this warehouse."""


@contextlib.contextmanager
def run_lock(db_path: Path) -> Iterator[None]:
    """Hold an exclusive lock for the whole run; a second run exits instead of corrupting."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".lock")
    with open(lock_path, "a") as fh:  # not "w": a refused run must not blank the holder's pid
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WarehouseBusy(
                f"another pipeline run is writing {db_path} (lock {lock_path}); wait for it to finish"
            ) from exc
        fh.truncate(0)
        fh.write(str(os.getpid()))
        fh.flush()
        remove_stale_builds(db_path)
        yield


def temp_path_for(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.{os.getpid()}.building")


def spool_path_for(db_path: Path) -> Path:
    """The folder where worker processes hand their rows over during a build (spool.py)."""
    return db_path.with_name(f".{db_path.name}.{os.getpid()}.building.spool")


def remove_stale_builds(db_path: Path) -> None:
    """Delete half-built files (and their WAL and spool folder) of runs that were killed. Call
    only under the run lock: then no other run can be building."""
    for stale in db_path.parent.glob(f".{glob.escape(db_path.name)}.*.building*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


def missing(db_path: Path) -> bool:
    """For a command that reads a built warehouse: True (after saying so on stderr) when there
    is none yet; the command then exits with code 2."""
    if db_path.is_file():
        return False
    print(f"error: no warehouse at {db_path}; run `python -m pipeline run` first", file=sys.stderr)
    return True


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The ingest tables; in a build that starts from a copy of the previous warehouse the
    tables it keeps (cache.keep_reusable) stay as they are."""
    con.execute(DDL)


def append_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame | pa.Table
) -> None:
    """Bulk-append a DataFrame or Arrow table (never row-by-row INSERTs); columns by name."""
    if frame.num_rows == 0 if isinstance(frame, pa.Table) else frame.empty:
        return
    con.register("_frame", frame)
    cols = ", ".join(frame.column_names if isinstance(frame, pa.Table) else frame.columns)
    con.execute(f"insert into {table} ({cols}) select {cols} from _frame")
    con.unregister("_frame")


def reports_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    frame["published"] = pd.to_datetime(
        frame["published"], format="%Y-%m-%d", errors="coerce"
    ).dt.date
    frame["report_year"] = frame["report_year"].astype("Int64")
    frame["n_chars"] = frame["n_chars"].fillna(0).astype("int64")
    return frame


def connect_read_only(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection for the steps that read the published warehouse. No progress
    bar: on a large corpus DuckDB shows one for each long query, in the middle of the run's
    output (and in a notebook as a widget left in its output)."""
    con = duckdb.connect(str(db_path), read_only=True)
    con.execute("set enable_progress_bar = false")
    return con


# DuckDB's buffer pool when it writes a CSV export: it spills a large sort instead of growing
EXPORT_MEMORY_LIMIT = "512MB"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_cell(name: str, type_: str) -> str:
    """A column as pandas' to_csv wrote it, which these files were first written with: booleans
    as True/False, empty text as an empty field (DuckDB writes true and "")."""
    column = f'q."{name}"'
    if type_ == "BOOLEAN":
        return f"case when {column} then 'True' when not {column} then 'False' end as \"{name}\""
    if type_ == "VARCHAR":
        return f"nullif({column}, '') as \"{name}\""
    return f'{column} as "{name}"'


def write_csv(db_path: Path, query: str, order_by: str, out: Path) -> Path:
    """The rows of `query`, sorted by `order_by` (which names them as q.<column>), as a CSV file
    for Excel: UTF-8 with a byte-order mark. DuckDB writes it as it reads the rows, so memory does not grow with
    them (pandas held the whole table: 4 GB for the 1.2 million panel rows of 100,000 reports)."""
    rows = out.with_name(f".{out.name}.rows")
    tmp = out.with_name(f".{out.name}.tmp")
    con = connect_read_only(db_path)
    try:
        # one thread: with two, the sort of 1.2 million panel rows ran out of 512 MB instead
        # of spilling; with one it stays under 256 MB, and takes 4.5 s instead of 25
        con.execute(f"set memory_limit = '{EXPORT_MEMORY_LIMIT}'")
        con.execute("set threads = 1")
        columns = con.execute(f"describe select * from ({query}) q").fetchall()
        cells = ", ".join(_csv_cell(name, type_) for name, type_, *_ in columns)
        con.execute(
            f"copy (select {cells} from ({query}) q order by {order_by}) "
            f"to {_sql_text(str(rows))} (header)"
        )
        with open(tmp, "wb") as sink, open(rows, "rb") as source:
            sink.write(codecs.BOM_UTF8)
            shutil.copyfileobj(source, sink, 1 << 20)
        tmp.replace(out)
    finally:
        con.close()
        rows.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return out


PARQUET_TABLES = ("reports", "mentions", "observations", "indicator_panel")


def export_parquet(db_path: Path, out_dir: Path) -> list[Path]:
    """Core tables as Parquet partitioned by report_year (out_dir/<table>/report_year=YYYY/)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        for table in PARQUET_TABLES:
            if table not in tables:
                continue
            cols = {r[0] for r in con.execute(f"describe {table}").fetchall()}
            query = (
                f"select * from {table}"
                if "report_year" in cols
                else f"select t.*, r.report_year from {table} t join reports r using (report_id)"
            )
            target = out_dir / table
            con.execute(
                f"copy ({query}) to '{target}' "
                "(format parquet, partition_by (report_year), overwrite_or_ignore true)"
            )
            written.append(target)
    finally:
        con.close()
    return written


def publish(tmp_path: Path, db_path: Path) -> None:
    """Atomically replace the warehouse with the freshly built file."""
    os.replace(tmp_path, db_path)
    wal = tmp_path.with_name(tmp_path.name + ".wal")
    if wal.exists():
        wal.unlink()
