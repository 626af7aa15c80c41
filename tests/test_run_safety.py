"""Runs are safe: a second run waits its turn, a killed run leaves the previous warehouse as it
was, and no input makes the pipeline read or write outside the raw and processed folders."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import GOLD, ROOT, copy_reports

from pipeline import warehouse
from pipeline.sources import load_sources

SMALL = ["001", "002", "004"]


def run_cli(raw: Path, db: Path, *extra: str, **popen) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--db", str(db),
         "--figures", str(db.parent / "figures"), "--no-notebooks", "--quiet", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600, **popen,
    )  # fmt: skip


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        reports = con.execute("select * from reports order by report_id").fetchall()
        n_mentions = con.execute("select count(*) from mentions").fetchone()[0]
    finally:
        con.close()
    return reports, n_mentions


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A published warehouse of three dev reports: the 'previous run' every test protects."""
    raw = copy_reports(tmp_path / "raw", SMALL)
    db = tmp_path / "processed" / "warehouse.duckdb"
    proc = run_cli(raw, db)
    assert proc.returncode == 0, proc.stderr
    return db


def test_a_second_run_while_one_holds_the_lock_exits_clearly(built: Path) -> None:
    before = sha(built)
    with warehouse.run_lock(built):
        proc = run_cli(built.parent.parent / "raw", built)
    assert proc.returncode == 3
    assert "another pipeline run is writing" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert sha(built) == before


def big_raw(raw: Path, n: int) -> Path:
    """n distinct reports (dev texts with a numbered closing line), enough to take seconds."""
    raw.mkdir(parents=True)
    texts = [p.read_text("utf-8") for p in sorted(GOLD.glob("*.txt"))]
    for i in range(n):
        text = texts[i % len(texts)] * 4 + f"\n全年办理行政复议案件{i}件。\n"
        (raw / f"r{i:04d}.txt").write_text(text, encoding="utf-8")
    return raw


def _wait_for(condition, proc: subprocess.Popen, timeout: float = 120.0) -> bool:
    """Poll until `condition` holds; False if the run ended first."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.002)
    return False


@pytest.mark.parametrize("moment", ["reading files", "writing the new warehouse"])
def test_killing_a_run_leaves_the_previous_warehouse_intact(built: Path, moment: str) -> None:
    before_sha, before = sha(built), snapshot(built)
    raw = big_raw(built.parent.parent / "big", 600)
    lock = built.with_name(built.name + ".lock")
    lock.write_text("")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw), "--db", str(built),
         "--no-notebooks", "--quiet", "--full"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip

    def building() -> list[Path]:  # the half-built database and its write-ahead log
        return list(built.parent.glob(f".{built.name}.*.building*"))

    def written() -> int:
        return sum(p.stat().st_size for p in building() if p.exists())

    if moment == "reading files":
        started = _wait_for(lambda: lock.read_text().strip() == str(proc.pid), proc)
    else:
        started = _wait_for(lambda: written() > 2**20, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes, as a crash would
    proc.wait(timeout=60)
    assert started and proc.returncode == -signal.SIGKILL, proc.stderr.read()
    proc.stderr.close()
    assert sha(built) == before_sha
    assert snapshot(built) == before  # readable, same rows
    # the next run takes the lock, clears the half-built file and publishes
    after = run_cli(built.parent.parent / "raw", built)
    assert after.returncode == 0, after.stderr
    assert building() == []
    assert snapshot(built)[1] == before[1]


def test_sources_csv_paths_outside_the_raw_folder_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    (raw / "sources.csv").write_text(
        "file,body,report_year,source_url\n"
        "001.txt,宁县教育局,2023,https://example.gov.cn/1\n"
        "../outside.txt,甲县司法局,2023,\n"
        "/etc/passwd,乙县司法局,2023,\n"
        "sub/../../outside.txt,丙县司法局,2023,\n"
        "..\\outside.txt,丁县司法局,2023,\n"
        "C:\\Windows\\win.ini,戊县司法局,2023,\n",
        encoding="utf-8",
    )
    rows = load_sources(raw)
    assert set(rows) == {"001.txt"}
    warnings = capsys.readouterr().err.splitlines()
    assert len(warnings) == 5 and all("points outside" in w for w in warnings)


def test_no_input_makes_the_run_write_outside_processed(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001", "002"])
    # a body that looks like a path ends up in chart and review page names: it must stay a name
    (raw / "sources.csv").write_text(
        "file,body,report_year,source_url\n001.txt,../../逃逸/../x,2023,\n002.txt,/tmp/evil,2024,\n",
        encoding="utf-8",
    )
    before = {p for p in tmp_path.rglob("*")}
    db = tmp_path / "processed" / "warehouse.duckdb"
    proc = run_cli(raw, db)
    assert proc.returncode == 0, proc.stderr
    created = {p for p in tmp_path.rglob("*")} - before
    assert created and all(p.is_relative_to(tmp_path / "processed") for p in created), created
    assert not Path("/tmp/evil").exists()


def test_a_linked_folder_outside_raw_is_refused_not_read(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    outside = copy_reports(tmp_path / "elsewhere", ["013"])
    (raw / "linked").symlink_to(outside, target_is_directory=True)
    (raw / "inside_link.txt").symlink_to(raw / "001.txt")  # a link within raw is fine
    db = tmp_path / "processed" / "warehouse.duckdb"
    proc = run_cli(raw, db)
    assert proc.returncode == 0, proc.stderr
    assert "linked: outside_raw" in proc.stderr
    con = duckdb.connect(str(db), read_only=True)
    statuses = dict(con.execute("select source_file, status from reports").fetchall())
    texts = [t for (t,) in con.execute("select text from report_texts").fetchall()]
    con.close()
    assert statuses[str(raw / "linked")] == "outside_raw"
    assert statuses[str(raw / "inside_link.txt")] == "duplicate"
    assert not any("重庆市教育委员会" in t for t in texts)  # 013's text was never read
