"""End to end through the CLI: a folder of reports becomes a warehouse of figures with spans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import GOLD, ROOT, copy_reports


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def build(raw: Path, db: Path) -> subprocess.CompletedProcess[str]:
    result = run_cli(
        "run", "--raw", str(raw), "--db", str(db), "--figures", str(db.parent / "fig"),
        "--no-notebooks",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def dev_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dev")
    raw = copy_reports(tmp / "raw", sorted(p.stem for p in GOLD.glob("*.txt")))
    db = tmp / "processed" / "warehouse.duckdb"
    build(raw, db)
    return db


def test_legal_vice_principal_figure_of_001_has_its_exact_span(dev_warehouse: Path) -> None:
    con = duckdb.connect(str(dev_warehouse), read_only=True)
    rows = con.execute(
        """
        select m.value, m.unit, m.raw_text, m.char_start, m.char_end, t.text, m.context
        from mentions m join reports r using (report_id) join report_texts t using (report_id)
        where r.source_file like '%001.txt' and m.raw_text like '%176名%'
        order by m.char_start
        """
    ).fetchall()
    assert rows, "the 176 法治校委 of 001 is missing"
    value, unit, raw_text, start, end, text, context = rows[0]
    assert (value, unit) == (176, "名")
    assert text[start:end] == raw_text
    assert "法治校委" in context


def test_every_span_slices_back_to_its_text(dev_warehouse: Path) -> None:
    con = duckdb.connect(str(dev_warehouse), read_only=True)
    bad = con.execute(
        """
        select count(*) from mentions m join report_texts t using (report_id)
        where substr(t.text, m.char_start + 1, m.char_end - m.char_start) <> m.raw_text
        """
    ).fetchone()[0]
    total = con.execute("select count(*) from mentions").fetchone()[0]
    assert total > 150 and bad == 0


def test_metadata_of_a_titled_report(dev_warehouse: Path) -> None:
    con = duckdb.connect(str(dev_warehouse), read_only=True)
    row = con.execute(
        "select body, jurisdiction, department, report_year, published::varchar from reports "
        "where source_file like '%001.txt'"
    ).fetchone()
    assert row == ("宁县教育局", "宁县", "教育局", 2023, "2024-04-03")


def test_a_copy_under_another_body_is_found_by_its_figures(tmp_path: Path) -> None:
    # a page copy of 001.txt with a line of page chrome added (so the texts differ) that
    # sources.csv files under another body: neither the text nor the body and year match,
    # only the figures, in the same order, and 90% of the text
    raw = copy_reports(tmp_path / "raw", ["001"])
    text = (raw / "001.txt").read_text(encoding="utf-8")
    (raw / "page_copy.txt").write_text(text + "\n浏览次数：1234\n", encoding="utf-8")
    (raw / "sources.csv").write_text(
        "file,body,report_year,source_url\npage_copy.txt,某县司法局,,\n", encoding="utf-8"
    )
    db = tmp_path / "out" / "warehouse.duckdb"
    build(raw, db)
    con = duckdb.connect(str(db), read_only=True)
    rows = dict(
        con.execute(
            "select regexp_extract(source_file, '[^/]+$'), (status, duplicate_of) from reports"
        ).fetchall()
    )
    con.close()
    assert rows["001.txt"] == ("ok", None)
    status, duplicate_of = rows["page_copy.txt"]
    assert status == "duplicate" and duplicate_of.endswith("001.txt")


def test_encodings_empty_and_duplicate_files(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    text = (GOLD / "002.txt").read_text(encoding="utf-8")
    (raw / "gbk.txt").write_bytes(text.encode("gbk"))
    (raw / "utf16.txt").write_bytes((GOLD / "003.txt").read_text(encoding="utf-8").encode("utf-16"))
    bom_text = (GOLD / "011.txt").read_text(encoding="utf-8")
    (raw / "bom.txt").write_bytes(b"\xef\xbb\xbf" + bom_text.encode("utf-8"))
    (raw / "empty.txt").write_bytes(b"")
    (raw / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (raw / "copy_of_001.txt").write_bytes((raw / "001.txt").read_bytes())
    db = tmp_path / "out" / "warehouse.duckdb"
    result = build(raw, db)
    for name in ("empty.txt", "binary.txt", "copy_of_001.txt"):
        assert name in result.stderr  # one line naming the file and the reason
    con = duckdb.connect(str(db), read_only=True)
    status = dict(
        con.execute("select regexp_extract(source_file, '[^/]+$'), status from reports").fetchall()
    )
    assert status == {
        "001.txt": "ok", "gbk.txt": "ok", "utf16.txt": "ok", "bom.txt": "ok",
        "empty.txt": "empty", "binary.txt": "binary", "copy_of_001.txt": "duplicate",
    }  # fmt: skip
    # the GBK copy decodes to the same figures as the UTF-8 original (6.2万人次 among them)
    gbk_values = con.execute(
        "select value from mentions join reports using (report_id) where source_file like '%gbk.txt'"
    ).fetchall()
    assert (62000.0,) in gbk_values and len(gbk_values) >= 18
    dup_msg = con.execute(
        "select message from reports where source_file like '%copy_of_001.txt'"
    ).fetchone()[0]
    assert "001.txt" in dup_msg
    n_001 = con.execute(
        "select count(*) from mentions join reports using (report_id) where source_file like '%001.txt'"
    ).fetchone()[0]
    assert n_001 == 21  # loaded once, not twice


def test_rerun_gives_the_same_warehouse(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001", "003", "011"])
    db = tmp_path / "out" / "warehouse.duckdb"
    snapshots = []
    for _ in range(2):
        build(raw, db)
        con = duckdb.connect(str(db), read_only=True)
        snapshots.append(
            (
                con.execute("select * from reports order by report_id").fetchall(),
                con.execute("select * from mentions order by mention_id").fetchall(),
            )
        )
        con.close()
    assert snapshots[0] == snapshots[1]


def test_a_folder_with_no_readable_report_fails_clearly(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    result = run_cli("run", "--raw", str(raw), "--db", str(tmp_path / "w.duckdb"), "--no-notebooks")
    assert result.returncode != 0
    assert "no report could be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_meets_the_quality_bar_on_the_dev_set() -> None:
    result = run_cli("evaluate", "--gold", str(GOLD))
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    f1 = float(last.split("mentions")[1].split("F1=")[1].split()[0])
    meta = last.split("metadata ")[1].split()[0]
    ok, n = (int(x) for x in meta.split("/"))
    assert f1 >= 0.97, last
    assert ok == n, last
