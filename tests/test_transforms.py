"""Year-on-year change, coverage rates and consistency checks, on warehouses built by the pipeline.

Every warehouse here is built by the real pipeline (ingest -> indicators -> SQL transforms) from
report texts written in the test, or from the dev reports in tests/gold.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import checks, transform
from pipeline.run import RunOptions, build_warehouse, run
from tests.conftest import GOLD, ROOT, copy_reports

BODY = "宁川县教育局"


def report(year: int, *paragraphs: str, body: str = BODY) -> str:
    """A small report in the genre: title, opening, numbered sections, signature."""
    body_text = "\n".join(paragraphs)
    return (
        f"{body}{year}年度法治政府建设工作报告\n"
        f"{year}年，{body}坚持以习近平法治思想为指导，深入推进依法行政、依法治校，"
        "现将有关情况报告如下：\n"
        f"一、基本情况\n{body_text}\n"
        "二、存在的问题\n法治宣传教育的针对性有待加强。\n"
        f"{body}\n{year + 1}年3月1日\n"
    )


def build(tmp_path: Path, reports: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """Write the reports into a raw folder, run the pipeline's build, open the warehouse."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, text in reports.items():
        (raw / name).write_text(text, encoding="utf-8")
    db = tmp_path / "warehouse.duckdb"
    build_warehouse(RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True, workers=1))
    return duckdb.connect(str(db), read_only=True)


def findings(con: duckdb.DuckDBPyConnection, check_id: str) -> list[tuple]:
    return con.execute(
        "select report_year, message, mention_ids from consistency_checks where check_id = ? "
        "order by report_year",
        [check_id],
    ).fetchall()


def spans(con: duckdb.DuckDBPyConnection, mention_ids: list[str]) -> list[str]:
    """The exact text of each evidence mention, in the order given."""
    rows = dict(
        con.execute(
            "select mention_id, raw_text from mentions where list_contains(?, mention_id)",
            [mention_ids],
        ).fetchall()
    )
    return [rows[m] for m in mention_ids]


# --- year-on-year change -----------------------------------------------------------------------


def test_two_successive_years_give_the_change_and_percent(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "2022.txt": report(2022, "为全县中小学聘任法治副校长80名。"),
            "2023.txt": report(2023, "为全县中小学聘任法治副校长100名。"),
        },
    )
    row = con.execute(
        "select year_from, year_to, value_from, value_to, abs_change, pct_change, years_between, "
        "mention_id_from, mention_id_to from yoy_change "
        "where body = ? and indicator_id = 'legal_vice_principals'",
        [BODY],
    ).fetchall()
    assert len(row) == 1
    year_from, year_to, v_from, v_to, change, pct, years, m_from, m_to = row[0]
    assert (year_from, year_to, v_from, v_to) == (2022, 2023, 80, 100)
    assert change == 20 and pct == pytest.approx(25.0) and years == 1
    assert spans(con, [m_from, m_to]) == ["80名", "100名"]


def test_a_zero_base_gives_no_percent_but_the_change(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "2022.txt": report(2022, "全年办理行政复议案件0件。"),
            "2023.txt": report(2023, "全年办理行政复议案件4件。"),
        },
    )
    rows = con.execute(
        "select value_from, value_to, abs_change, pct_change from yoy_change "
        "where indicator_id = 'admin_reconsideration_cases'"
    ).fetchall()
    assert rows == [(0, 4, 4, None)]


def test_a_missing_year_is_a_two_year_span_not_one(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "2021.txt": report(2021, "为全县中小学聘任法治副校长80名。"),
            "2023.txt": report(2023, "为全县中小学聘任法治副校长100名。"),
        },
    )
    rows = con.execute(
        "select year_from, year_to, years_between, abs_change, pct_change from yoy_change "
        "where indicator_id = 'legal_vice_principals'"
    ).fetchall()
    assert rows == [(2021, 2023, 2, 20, 25.0)]


def test_person_times_are_not_compared_with_people(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "2022.txt": report(2022, "开展法治宣传教育活动50场次，受益师生3万人次。"),
            "2023.txt": report(2023, "开展法治宣传教育活动60场次，参与学生2万人。"),
        },
    )
    compared = {r[0] for r in con.execute("select indicator_id from yoy_change").fetchall()}
    reach = con.execute(
        "select unit from observations where indicator_id = 'legal_education_reach' order by unit"
    ).fetchall()
    assert reach == [("人",), ("人次",)]  # both years do give a reach figure ...
    assert compared == {"legal_education_events"}  # ... but 人次 and 人 count different things


def test_a_fivefold_jump_is_a_warning_naming_both_years(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "2022.txt": report(2022, "全年开展法治宣传教育活动20场次。"),
            "2023.txt": report(2023, "全年开展法治宣传教育活动260场次。"),
        },
    )
    found = con.execute(
        "select severity, message, mention_ids from consistency_checks where check_id = 'yoy_jump'"
    ).fetchall()
    assert len(found) == 1
    severity, message, ids = found[0]
    assert severity == "warning"
    assert "20" in message and "260" in message and "2022" in message and "2023" in message
    assert spans(con, ids) == ["20场次", "260场次"]


# --- coverage rates --------------------------------------------------------------------------


def test_legal_vice_principals_per_school_and_a_zero_denominator(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "全县现有各级各类学校200所，在校学生50000人，教职工4000人。",
                "为各级各类学校聘任法治副校长150名，组织开展法治宣传教育活动300场次。",
            ),
        },
    )
    rates = dict(
        con.execute("select rate_id, value from coverage_rates where body = ?", [BODY]).fetchall()
    )
    assert rates["legal_vice_principals_per_school"] == pytest.approx(0.75)
    assert rates["legal_education_events_per_school"] == pytest.approx(1.5)
    row = con.execute(
        "select numerator, denominator, numerator_mention_id, denominator_mention_id "
        "from coverage_rates where rate_id = 'legal_vice_principals_per_school'"
    ).fetchone()
    assert row[:2] == (150, 200)
    assert spans(con, list(row[2:])) == ["150名", "200所"]


# --- consistency checks ----------------------------------------------------------------------


def test_school_types_that_do_not_add_up_to_the_total_are_found(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "全县现有各级各类学校120所，其中高中4所，初级中学25所，小学80所，幼儿园10所，"
                "在校学生30000人。",
            ),
        },
    )
    found = findings(con, "parts_vs_total")
    assert len(found) == 1
    _, message, ids = found[0]
    assert spans(con, ids) == ["120所", "4所", "25所", "80所", "10所"]
    assert "119" in message and "120" in message


def test_two_classifications_of_one_total_are_not_an_excess(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "全县现有各级各类学校120所，其中公办学校100所，民办学校20所，小学80所，"
                "初级中学25所，幼儿园15所。",
            ),
        },
    )
    assert findings(con, "parts_vs_total") == []


def test_a_claimed_full_coverage_the_counts_contradict_is_found(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "全县现有各级各类学校120所，在校学生30000人。",
                "为全县各级各类学校共聘请60名法治副校长，聘请率达到100%。",
            ),
        },
    )
    found = findings(con, "coverage_claim_contradicted")
    assert len(found) == 1
    _, message, ids = found[0]
    assert spans(con, ids) == ["100%", "60名", "120所"]
    # the message says what would have to be true for both figures to hold
    assert "several schools" in message and "60" in message and "120" in message
    (zh,) = con.execute(
        "select message_zh from consistency_checks where check_id = 'coverage_claim_contradicted'"
    ).fetchone()
    assert "多所学校" in zh and "60" in zh and "120所学校" in zh  # the same, in Chinese


def test_full_coverage_of_schools_other_than_kindergartens_is_not_contradicted(
    tmp_path: Path,
) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "全县现有各级各类学校120所，其中小学80所，初级中学25所，幼儿园15所。",
                "为全县中小学聘请法治副校长105名，配备率达到100%。",
            ),
        },
    )
    claims = con.execute(
        "select count(*) from observations where indicator_id = 'coverage_rate'"
    ).fetchone()
    assert claims == (1,)  # the claim was read ...
    assert findings(con, "coverage_claim_contradicted") == []  # ... and 105 = 120 - 15 holds


def test_a_consistent_report_has_no_finding(tmp_path: Path) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "全县现有各级各类学校120所，其中高中5所，初级中学25所，小学80所，幼儿园10所，"
                "在校学生30000人，教职工2500人。",
                "为全县各级各类学校共聘请120名法治副校长，聘请率达到100%。"
                "开展法治宣传教育活动200场次，群众满意率达到98%。",
                "全县120名法治副校长全部到岗履职。",
            ),
        },
    )
    assert con.execute("select count(*) from consistency_checks").fetchone()[0] == 0
    # and the figures the checks read are there, so the silence means something
    ids = {r[0] for r in con.execute("select indicator_id from observations").fetchall()}
    assert {"schools_total", "legal_vice_principals", "coverage_rate"} <= ids


def test_a_stock_restated_with_another_value_is_found_but_a_sub_count_is_not(
    tmp_path: Path,
) -> None:
    con = build(
        tmp_path,
        {
            "a.txt": report(
                2023,
                "为全县各级各类学校聘任法治副校长120名，其中新聘法治副校长20名。",
                "全县118名法治副校长定期到校开展法治教育。",
            ),
        },
    )
    found = findings(con, "restated_differently")
    assert len(found) == 1
    _, message, ids = found[0]
    assert spans(con, ids) == ["120名", "118名"]
    assert "120" in message and "118" in message


def test_a_rate_above_100_percent_is_an_error(tmp_path: Path) -> None:
    con = build(tmp_path, {"a.txt": report(2023, "全年群众满意率达到120%。")})
    found = con.execute(
        "select severity, mention_ids from consistency_checks where check_id = 'rate_out_of_range'"
    ).fetchall()
    assert [(sev, spans(con, ids)) for sev, ids in found] == [("error", ["120%"])]
    (zh,) = con.execute(
        "select message_zh from consistency_checks where check_id = 'rate_out_of_range'"
    ).fetchone()
    assert "120%" in zh and "超过100%" in zh


# --- the dev corpus: schema tests, what the checks find, the command and the export -----------


@pytest.fixture(scope="module")
def dev_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dev")
    raw = copy_reports(tmp / "raw", sorted(p.stem for p in GOLD.glob("*.txt")))
    (raw / "sources.csv").write_bytes((ROOT / "data" / "raw" / "sources.csv").read_bytes())
    db = tmp / "warehouse.duckdb"
    build_warehouse(RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True))
    return db


def test_schema_tests_pass_on_the_dev_warehouse(dev_warehouse: Path) -> None:
    con = duckdb.connect(str(dev_warehouse))
    results = transform.run_tests(con)
    assert len(results) > 40
    assert [r.describe() for r in results if not r.passed] == []


def failing_after(dev_warehouse: Path, tmp_path: Path, *statements: str) -> list:
    """The schema tests that fail on a copy of the dev warehouse changed by `statements`."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(dev_warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    for statement in statements:
        con.execute(statement)
    return [r for r in transform.run_tests(con) if not r.passed]


def test_a_broken_key_fails_its_test_and_shows_the_rows(
    dev_warehouse: Path, tmp_path: Path
) -> None:
    failing = failing_after(
        dev_warehouse, tmp_path, "insert into coverage_rates select * from coverage_rates limit 1"
    )
    assert [(r.table, r.test.split(" ")[0]) for r in failing] == [
        ("coverage_rates", "unique_combination")
    ]
    assert "宁县教育局" in failing[0].describe()


def test_a_repeated_panel_cell_and_a_missing_evidence_span_fail_their_tests(
    dev_warehouse: Path, tmp_path: Path
) -> None:
    failing = failing_after(
        dev_warehouse,
        tmp_path,
        "insert into indicator_panel select * from indicator_panel limit 1",
        # a finding whose second evidence span is in no report
        "insert into consistency_checks select * replace ("
        "finding_id || '+x' as finding_id, list_append(mention_ids, 'r0:1') as mention_ids) "
        "from consistency_checks limit 1",
    )
    assert sorted((r.table, r.test.split(" ")[0], r.n_failing) for r in failing) == [
        ("consistency_checks", "relationships(mention_ids)", 1),
        ("indicator_panel", "unique_combination", 1),
    ]


def test_a_column_named_with_a_compression_is_stored_with_it_and_keeps_its_rows(
    dev_warehouse: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(dev_warehouse.read_bytes())
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / "sentences.sql").write_text(
        "select mention_id, context, length(context) as n from mentions", encoding="utf-8"
    )
    schema = sql_dir / "schema.yml"
    schema.write_text(
        "models:\n  - name: sentences\n    columns:\n"
        "      - name: context\n        compression: zstd\n",
        encoding="utf-8",
    )
    con = duckdb.connect(str(copy))
    assert transform.build_models(con, sql_dir) == ["sentences"]
    con.execute("checkpoint")  # compression is chosen when the table is written
    used = con.execute(
        "select distinct column_name, compression from pragma_storage_info('sentences') "
        "where segment_type = 'VARCHAR'"
    ).fetchall()
    assert ("context", "ZSTD") in used and ("mention_id", "ZSTD") not in used
    assert con.execute(
        "select count(*) from (select mention_id, context, length(context) from mentions "
        "except all select * from sentences)"
    ).fetchone() == (0,)
    assert [t for _, t, *_ in con.execute("describe sentences").fetchall()] == [
        "VARCHAR", "VARCHAR", "BIGINT"
    ]  # fmt: skip
    schema.write_text(schema.read_text(encoding="utf-8").replace("context", "contxt"))
    with pytest.raises(transform.TransformFailed, match="contxt, not a column of model sentences"):
        transform.build_models(con, sql_dir)
    schema.write_text(schema.read_text(encoding="utf-8").replace("sentences", "mentions"))
    with pytest.raises(transform.TransformFailed, match="given for mentions, not a SQL model"):
        transform.build_models(con, sql_dir)


def test_a_failing_test_stops_the_run_and_keeps_the_previous_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text(
        report(2023, "为全县中小学聘任法治副校长80名。", "全县现有各级各类学校120所。"),
        encoding="utf-8",
    )
    db = tmp_path / "out" / "warehouse.duckdb"
    options = RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True, workers=1)
    assert run(options) == 0
    before = db.read_bytes()
    # a rule the data breaks: no body may have more than 0.5 legal vice-principals per school
    strict = tmp_path / "schema.yml"
    strict.write_text(
        "models:\n  - name: coverage_rates\n    tests:\n"
        "      - expression_is_true: {expression: \"rate_id != 'legal_vice_principals_per_school'"
        ' or value <= 0.5"}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(transform, "SCHEMA_FILE", strict)
    (raw / "b.txt").write_text(report(2024, "为全县中小学聘任法治副校长90名。"), encoding="utf-8")
    assert run(options) == 4
    err = capsys.readouterr().err
    assert "coverage_rates" in err and "expression_is_true" in err and "0.6667" in err
    assert db.read_bytes() == before  # the previous warehouse is still the published one


def test_dev_findings_of_001_are_the_two_real_contradictions(dev_warehouse: Path) -> None:
    con = duckdb.connect(str(dev_warehouse), read_only=True)
    rows = con.execute(
        "select check_id, message from consistency_checks "
        "where source_file like '%001.txt' order by check_id"
    ).fetchall()
    assert [r[0] for r in rows] == ["coverage_claim_contradicted", "parts_vs_total"]
    claim, parts = rows[0][1], rows[1][1]
    assert "176" in claim and "359" in claim and "several schools" in claim
    assert "358" in parts and "359" in parts


def test_checks_command_prints_a_table_and_export_writes_excel_csv(dev_warehouse: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "checks", "--db", str(dev_warehouse)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header == ["body", "year", "check", "message"]
    assert "宁县教育局" in result.stdout and "parts_vs_total" in result.stdout
    out = checks.export_csv(dev_warehouse)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese right
    assert "宁县教育局" in data.decode("utf-8-sig")


def test_checks_command_on_a_missing_warehouse_says_so_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "checks", "--db", str(tmp_path / "none.duckdb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "none.duckdb" in result.stderr
