"""corrections.csv: every action changes the warehouse as intended, is listed in
corrections_applied, survives re-runs, and a line that no longer matches is reported as stale."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import duckdb
import pytest

from pipeline.run import RunOptions, run
from tests.conftest import copy_reports
from tests.test_incremental import snapshot

# 001.txt (宁县教育局 2023): "为各级各类学校聘请法治校委176名,开展法治进校园等专题宣讲培训活动850余场次,
# 组织道德与法治教师参加网络学习专项培训3次,组织开展法治宣传教育专项活动10次" ... "教职工5583人"
# 002.txt (宁县教育局 2024): "宁县现有各级各类学校349公办高中3所" (349 is written without its unit)
CORRECTIONS = """\
file,char_start,raw_text,action,value,unit,indicator_id,approx,note,reviewer
001.txt,379,176名,set_value,178,,,,the PDF says 178,li
001.txt,,850余场次,set_unit,,场,,,,li
001.txt,426,,set_indicator,,,legal_education_events,,,li
001.txt,,专项活动10次,set_indicator,,,none,,a campaign count,li
001.txt,,5583人,drop,,,,,not wanted,li
002.txt,,349,add,,所,schools_total,,missed,wang
002.txt,99999,176名,set_value,1,,,,,x
001.txt,,,frobnicate,,,,,,
../outside.txt,,3所,drop,,,,,,
001.txt,,3所,set_indicator,,,no_such_indicator,,,
missing.txt,,3所,drop,,,,,,
001.txt,,359所,set_value,many,,,,,
"""


def build(raw: Path, db: Path, full: bool = False) -> str:
    """Run the pipeline; return what it printed on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run(RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True, full=full,
                              workers=1))  # fmt: skip
    assert code == 0, err.getvalue()
    return err.getvalue()


@pytest.fixture(scope="module")
def corrected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("corrections")
    raw = copy_reports(root / "raw", ["001", "002"])
    (raw / "corrections.csv").write_text(CORRECTIONS, encoding="utf-8")
    db = root / "w.duckdb"
    return raw, db, build(raw, db)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def applied(db: Path, line: int) -> list[tuple]:
    return query(
        db,
        "select field, old_value, new_value, status, mention_id from corrections_applied "
        "where line = ? order by field",
        [line],
    )


def test_set_value_reaches_mentions_observations_and_panel(corrected: tuple) -> None:
    _, db, _ = corrected
    assert applied(db, 2) == [("value", "176", "178", "applied", "r64d51a42fc78e29:379")]
    assert query(db, "select value, reviewed from mentions where char_start = 379 "
                     "and report_id = 'r64d51a42fc78e29'") == [(178.0, True)]  # fmt: skip
    assert query(
        db,
        "select value, reviewed from indicator_panel where body = '宁县教育局' "
        "and report_year = 2023 and indicator_id = 'legal_vice_principals'",
    ) == [(178.0, True)]
    assert query(
        db, "select reviewed from observations where mention_id = 'r64d51a42fc78e29:379'"
    ) == [(True,)]


def test_set_unit_changes_the_unit(corrected: tuple) -> None:
    _, db, _ = corrected
    assert applied(db, 3) == [("unit", "场次", "场", "applied", "r64d51a42fc78e29:400")]
    assert query(db, "select unit from observations where mention_id = 'r64d51a42fc78e29:400'") == [
        ("场",)
    ]


def test_set_indicator_overrides_the_matcher_both_ways(corrected: tuple) -> None:
    _, db, _ = corrected
    # 3次 had no indicator: now it is counted as legal-education events
    assert applied(db, 4) == [
        ("indicator_id", "none", "legal_education_events", "applied", "r64d51a42fc78e29:426")
    ]
    assert query(
        db, "select indicator_id from observations where mention_id = 'r64d51a42fc78e29:426'"
    ) == [("legal_education_events",)]
    # 10次 was matched; `none` removes its observation (located by a snippet around it)
    assert applied(db, 5) == [
        ("indicator_id", "legal_education_events", "none", "applied", "r64d51a42fc78e29:443")
    ]
    assert query(db, "select * from observations where mention_id = 'r64d51a42fc78e29:443'") == []


def test_drop_removes_the_figure_everywhere(corrected: tuple) -> None:
    _, db, _ = corrected
    [(field, old, new, status, mid)] = applied(db, 6)
    assert (field, new, status, mid) == ("mention", None, "applied", "r64d51a42fc78e29:359")
    assert "5583" in old
    assert query(db, "select * from mentions where mention_id = ?", [mid]) == []
    assert query(db, "select * from observations where mention_id = ?", [mid]) == []
    assert (
        query(
            db,
            "select * from indicator_panel where indicator_id = 'staff_total' and report_year = 2023",
        )
        == []
    )


def test_add_creates_an_exact_span_with_its_indicator(corrected: tuple) -> None:
    _, db, _ = corrected
    rows = applied(db, 7)
    assert [(r[0], r[3]) for r in rows] == [("indicator_id", "applied"), ("mention", "applied")]
    mid = rows[0][4]
    [(value, unit, start, end, raw, text)] = query(
        db,
        "select value, unit, char_start, char_end, raw_text, t.text from mentions "
        "join report_texts t using (report_id) where mention_id = ?",
        [mid],
    )
    assert (value, unit, raw) == (349.0, "所", "349")
    assert text[start:end] == raw and text[start - 4 : start] == "各类学校"
    assert query(
        db,
        "select value, reviewed, mention_id from indicator_panel where body = '宁县教育局' "
        "and report_year = 2024 and indicator_id = 'schools_total'",
    ) == [(349.0, True, mid)]


def test_a_reviewed_later_statement_supplies_the_panel_and_the_first_says_why_not(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "r.txt").write_text(
        "宁县教育局2024年法治政府建设工作报告\n"
        "2024年，宁县教育局坚持依法治教。为各级各类学校聘请法治副校长180名。\n"
        "年底全县共有法治副校长183名，开展法治进校园活动60场次。\n",
        encoding="utf-8",
    )
    (raw / "corrections.csv").write_text(
        "file,char_start,raw_text,action,value,unit,indicator_id,approx,note,reviewer\n"
        "r.txt,,183名,set_value,185,,,,the PDF says 185,li\n",
        encoding="utf-8",
    )
    db = tmp_path / "w.duckdb"
    build(raw, db)
    rows = query(
        db,
        "select value, reviewed, in_panel, panel_rule from observations "
        "where indicator_id = 'legal_vice_principals' order by char_start",
    )
    assert [r[:3] for r in rows] == [(180.0, False, False), (185.0, True, True)]
    assert rows[1][3].startswith("reviewed in corrections.csv")
    assert "reviewed in corrections.csv (185)" in rows[0][3]
    assert query(
        db,
        "select value, reviewed from indicator_panel where indicator_id = 'legal_vice_principals'",
    ) == [(185.0, True)]


def test_stale_and_invalid_lines_are_reported_not_applied(corrected: tuple) -> None:
    _, db, stderr = corrected
    rows = dict(query(db, "select line, status from corrections_applied"))
    assert rows[8] == "stale"
    assert {rows[n] for n in range(9, 14)} == {"invalid"}
    assert "Traceback" not in stderr
    expected = [
        ":8: stale: no figure starts at char 99999",
        ":9: invalid: unknown action 'frobnicate'",
        ":10: invalid: file '../outside.txt' points outside the raw folder",
        ":11: invalid: unknown indicator_id 'no_such_indicator'",
        ":12: invalid: file 'missing.txt' not found",
        ":13: invalid: value 'many' is not a number",
    ]
    for needle in expected:
        assert needle in stderr
    # the stale line says where the figure is now
    assert "'176名' is now at char" in stderr


def test_report_edit_makes_offsets_stale_and_reruns_equal_a_full_rebuild(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001", "002"])
    (raw / "corrections.csv").write_text(CORRECTIONS, encoding="utf-8")
    inc, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    build(raw, inc)
    # the source republished with a longer header: every offset moves
    report = raw / "001.txt"
    report.write_text(
        "更新说明:正文未变。\n" + report.read_text(encoding="utf-8"), encoding="utf-8"
    )
    stderr = build(raw, inc)
    assert ":2: stale:" in stderr and "'176名' is now at chars 390, 2384" in stderr
    statuses = dict(query(inc, "select line, status from corrections_applied"))
    assert statuses[2] == "stale" and statuses[3] == "applied"  # raw_text alone still finds it
    build(raw, full, full=True)
    assert snapshot(inc) == snapshot(full)

    # removing the corrections gives back what the extractor read, on an incremental run too
    (raw / "corrections.csv").unlink()
    build(raw, inc)
    build(raw, full, full=True)
    assert snapshot(inc) == snapshot(full)
    assert query(inc, "select count(*) from mentions where raw_text = '5583人'") == [(1,)]
    assert query(inc, "select count(*) from corrections_applied") == [(0,)]
    assert query(inc, "select count(*) from mentions where reviewed") == [(0,)]


def test_editing_corrections_csv_alone_triggers_a_rebuild(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    db = tmp_path / "w.duckdb"
    build(raw, db)
    assert query(db, "select count(*) from corrections_applied") == [(0,)]
    (raw / "corrections.csv").write_text(
        "file,raw_text,action,value\n001.txt,150名,set_value,151\n", encoding="utf-8"
    )
    build(raw, db)
    assert query(db, "select value from mentions where raw_text = '150名'") == [(151.0,)]


def test_excel_gbk_csv_and_report_id_and_outside_link(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    db = tmp_path / "w.duckdb"
    build(raw, db)
    [(rid,)] = query(db, "select report_id from reports")
    text = f"file,raw_text,action,note\n{rid},23名,drop,不是数字\n"
    # Excel on a Chinese Windows saves "CSV" in GB18030
    (raw / "corrections.csv").write_bytes(text.encode("gb18030"))
    stderr = build(raw, db)
    assert "Traceback" not in stderr
    assert query(db, "select status, note from corrections_applied") == [("applied", "不是数字")]
    assert query(db, "select count(*) from mentions where raw_text = '23名'") == [(0,)]


def test_unreadable_corrections_file_is_one_message(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001"])
    (raw / "corrections.csv").write_text("report,what\n001.txt,x\n", encoding="utf-8")
    stderr = build(raw, tmp_path / "w.duckdb")
    assert "corrections.csv: no column file, action" in stderr
    assert "Traceback" not in stderr


def test_file_named_as_the_warehouse_or_an_absolute_path_names_it(tmp_path: Path) -> None:
    raw = copy_reports(tmp_path / "raw", ["001", "002"])
    (raw / "corrections.csv").write_text(
        "file,raw_text,action,value\n"
        f"{raw / '001.txt'},150名,set_value,151\n"  # pasted from a file manager
        f"{raw.as_posix()}/002.txt,24名,set_value,25\n"
        "../002.txt,24名,drop,\n",
        encoding="utf-8",
    )
    stderr = build(raw, tmp_path / "w.duckdb")
    statuses = query(tmp_path / "w.duckdb", "select line, status from corrections_applied")
    assert sorted(statuses) == [(2, "applied"), (3, "applied"), (4, "invalid")]
    assert ":4: invalid: file '../002.txt' points outside the raw folder" in stderr
