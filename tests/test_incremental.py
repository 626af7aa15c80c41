"""Incremental runs end with the same warehouse as a full rebuild; bench prints its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from pipeline.run import RunOptions, run
from tests.conftest import GOLD, ROOT, copy_reports

TABLES = ("reports", "mentions", "report_texts")


def snapshot(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        out = {}
        for table in sorted(tables - {"pipeline_meta"}):
            cols = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            out[table] = con.execute(f"select * from {table} order by {', '.join(cols)}").fetchall()
        return out
    finally:
        con.close()


def build(raw: Path, db: Path, full: bool) -> None:
    options = RunOptions(raw_dir=raw, db_path=db, figures_dir=None, notebooks=False, quiet=True,
                         full=full, workers=1)  # fmt: skip
    assert run(options) == 0


def test_incremental_equals_full_rebuild_after_edit_add_delete(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001", "002", "003", "011"])
    inc, full = tmp_path / "inc" / "w.duckdb", tmp_path / "full" / "w.duckdb"
    build(raw, inc, full=False)

    # edit one report, add one, delete one
    edited = raw / "002.txt"
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\n另开展普法讲座12场。", encoding="utf-8"
    )
    (raw / "013.txt").write_bytes((GOLD / "013.txt").read_bytes())
    (raw / "003.txt").unlink()
    os.utime(raw / "001.txt")  # touched but unchanged: reused, not re-extracted

    build(raw, inc, full=False)
    build(raw, full, full=True)
    a, b = snapshot(inc), snapshot(full)
    assert set(a) >= set(TABLES)
    assert a == b
    con = duckdb.connect(str(inc), read_only=True)
    sources = {
        r[0].rsplit("/", 1)[-1] for r in con.execute("select source_file from reports").fetchall()
    }
    assert sources == {"001.txt", "002.txt", "011.txt", "013.txt"}
    assert (
        con.execute("select count(*) from mentions where value = 12 and unit = '场'").fetchone()[0]
        == 1
    )


def test_a_file_edited_while_the_run_reads_is_read_again_by_the_next_run(
    tmp_path: Path, monkeypatch
) -> None:
    from pipeline import run as run_module

    raw = copy_reports(tmp_path / "raw", ["001", "002", "003"])
    db = tmp_path / "out" / "w.duckdb"
    read_one = run_module.read_one

    def read_and_edit(path: Path, *args: object):  # edits 001.txt once the run reads 003.txt
        if path.name == "003.txt":
            with open(raw / "001.txt", "a", encoding="utf-8") as fh:
                fh.write("\n另开展普法讲座12场。")
        return read_one(path, *args)

    monkeypatch.setattr(run_module, "read_one", read_and_edit)
    build(raw, db, full=False)  # read 001.txt before the edit
    monkeypatch.setattr(run_module, "read_one", read_one)
    build(raw, db, full=False)
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("select count(*) from mentions where value = 12 and unit = '场'").fetchone()[0]
    con.close()
    assert n == 1


def test_incremental_equals_full_rebuild_when_the_kept_copy_of_a_duplicate_is_deleted(
    tmp_path: Path,
) -> None:
    # 001 saved again in GBK (a text duplicate: figures loaded once) and 002 twice byte for byte
    raw = copy_reports(tmp_path / "raw", ["001", "002", "011"])
    (raw / "001_gbk.txt").write_bytes(
        (raw / "001.txt").read_text(encoding="utf-8").encode("gb18030")
    )
    (raw / "002_copy.txt").write_bytes((raw / "002.txt").read_bytes())
    inc, full = tmp_path / "inc" / "w.duckdb", tmp_path / "full" / "w.duckdb"
    build(raw, inc, full=False)
    con = duckdb.connect(str(inc), read_only=True)
    statuses = dict(con.execute("select source_file, status from reports").fetchall())
    con.close()
    assert statuses[str(raw / "001_gbk.txt")] == "duplicate"
    assert statuses[str(raw / "002_copy.txt")] == "duplicate"

    # the kept files go: their copies now carry the figures
    (raw / "001.txt").unlink()
    (raw / "002.txt").unlink()
    build(raw, inc, full=False)
    build(raw, full, full=True)
    assert snapshot(inc) == snapshot(full)
    con = duckdb.connect(str(inc), read_only=True)
    per_file = dict(
        con.execute(
            "select r.source_file, count(m.mention_id) from reports r "
            "left join mentions m using (report_id) group by 1"
        ).fetchall()
    )
    assert per_file[str(raw / "001_gbk.txt")] > 0 and per_file[str(raw / "002_copy.txt")] > 0


def test_bench_runs_and_prints_its_figures(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "bench", "--reports", "20", "--workers", "2",
         "--keep", str(tmp_path / "bench")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for needle in ("reports/s", "MB/s", "peak RSS", "baseline", "extract", "load"):
        assert needle in out
    assert out.strip().splitlines()[-1].startswith("SUMMARY n=20 ")


def test_parallel_ingest_in_small_batches_equals_one_process(tmp_path: Path, monkeypatch) -> None:
    """Worker processes hand their rows over through spool files, a batch at a time; a file whose
    bytes repeat another's is left out of its batch; each append but the last takes whole row
    groups (none, when it has fewer rows than one) and holds the rest back, also in the smaller
    appends near the end. The warehouse is the same as in one process."""
    from pipeline import run as run_module

    raw = copy_reports(tmp_path / "raw", ["001", "002", "003", "004", "005", "011", "012"])
    (raw / "001_copy.txt").write_bytes((raw / "001.txt").read_bytes())  # same batch as 001
    one, pool = tmp_path / "one" / "w.duckdb", tmp_path / "pool" / "w.duckdb"
    build(raw, one, full=True)
    monkeypatch.setattr(run_module, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(run_module, "BATCH_FILES", 4)  # several flushes, batches of one file
    monkeypatch.setattr(run_module, "TAIL_BATCH_FILES", 2)  # the last 3 files: every 2
    # 32: the first append fills one row group, the second (20 rows) none, the third one
    monkeypatch.setattr(run_module, "ROW_GROUP_ROWS", 32)
    appended: list[int] = []  # rows of each append to mentions
    append = run_module.warehouse.append_frame

    def spy(con: duckdb.DuckDBPyConnection, table: str, frame: object) -> None:
        if table == "mentions":
            appended.append(frame.num_rows)
        append(con, table, frame)

    monkeypatch.setattr(run_module.warehouse, "append_frame", spy)
    options = RunOptions(raw_dir=raw, db_path=pool, figures_dir=None, notebooks=False, quiet=True,
                         full=True, workers=2)  # fmt: skip
    assert run(options) == 0
    a, b = snapshot(one), snapshot(pool)
    assert a["indicator_panel"] and a["observations"]
    assert a == b
    assert len(appended) >= 3 and all(n % 32 == 0 for n in appended[:-1])
    con = duckdb.connect(str(pool), read_only=True)
    [(status, n)] = con.execute(
        "select r.status, count(m.mention_id) from reports r "
        "left join mentions m using (report_id) "
        "where r.source_file like '%001_copy.txt' group by r.status"
    ).fetchall()
    con.close()
    assert (status, n) == ("duplicate", 0)
    assert not list(pool.parent.glob(".*spool*"))  # the spool folder is gone


def test_parquet_export_is_partitioned_by_year_and_readable(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001", "002", "003"])
    db, out = tmp_path / "w" / "w.duckdb", tmp_path / "parquet"
    options = RunOptions(raw_dir=raw, db_path=db, figures_dir=None, notebooks=False, quiet=True,
                         export_parquet=out, exports=False)  # fmt: skip
    assert run(options) == 0
    years = sorted(p.name for p in (out / "mentions").iterdir())
    assert years == ["report_year=2022", "report_year=2023", "report_year=2024"]
    con = duckdb.connect()
    n = con.execute(
        f"select count(*) from read_parquet('{out}/mentions/*/*.parquet', hive_partitioning = true)"
    ).fetchone()[0]
    expected = duckdb.connect(str(db), read_only=True).execute("select count(*) from mentions")
    assert n == expected.fetchone()[0] > 0
