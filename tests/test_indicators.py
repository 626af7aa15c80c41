"""Figures become canonical indicators however they are worded, and the panel has one value per
body, year and indicator.

The genre sentences below were written for these tests (not taken from the dev set), in the
phrasing of different bodies: 司法局, 市场监管局, 公安局, 城管, 街道, 应急管理局, 区政府.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.extract import extract_mentions
from pipeline.indicators import default_matcher, match_sentence
from pipeline.run import RunOptions, run
from tests.conftest import GOLD, ROOT, copy_reports


def indicators_of(text: str) -> dict[str, str | None]:
    """raw figure text -> indicator id (None: no indicator), through the pipeline's own code."""
    mentions = extract_mentions(text)
    found: dict[str, str | None] = {}
    for sentence_start in dict.fromkeys(m.sentence_start for m in mentions):
        group = [m for m in mentions if m.sentence_start == sentence_start]
        figures = [
            (m.char_start - sentence_start, m.char_end - sentence_start, m.unit) for m in group
        ]
        matches = match_sentence(default_matcher(), group[0].context, figures)
        for m, match in zip(group, matches, strict=True):
            found[m.raw_text] = match.indicator_id if match else None
    return found


@pytest.mark.parametrize(
    "sentence",
    [
        "聘任法治副校长176名,实现中小学全覆盖。",
        "为学校聘请法治校委176名,建立常态化工作机制。",
        "全县法治副校长配备达176人,覆盖所有中小学。",
        "我局为全县各级各类学校共聘请176名法治校委。",
        "全县中小学共配备法制副校长176名。",
    ],
)
def test_legal_vice_principals_however_worded(sentence: str) -> None:
    found = indicators_of(sentence)
    [key] = [k for k in found if "176" in k]
    assert found[key] == "legal_vice_principals"


GENRE = [
    (  # 司法局
        "全年办理行政复议案件86件,其中纠错12件,行政机关负责人出庭应诉率达100%。",
        {"86件": "admin_reconsideration_cases", "12件": None, "100%": "head_court_appearance_rate"},
    ),
    (  # 司法局: legality review of documents, decisions and contracts
        "全年共审核规范性文件15件,审查重大行政决策8件,审核行政合同126份。",
        {"15件": "legality_reviews", "8件": "legality_reviews", "126份": "legality_reviews"},
    ),
    (  # 市场监管局
        "全年立案查处各类违法案件856件,结案812件,罚没款1234.5万元,开展食品安全专项检查46次。",
        {
            "856件": "enforcement_cases",
            "812件": None,
            "1234.5万元": None,
            "46次": "joint_inspections",
        },
    ),
    (  # 市场监管局: certificates, as a count and as a rate
        "全局现有持证执法人员412名,持证率达98.5%。",
        {"412名": "law_enforcement_certified", "98.5%": "law_enforcement_certified_rate"},
    ),
    (  # 公安局: a training for the whole force is the body's own law study, not public 普法
        "全年共查处治安案件3456起,举办全警法治专题培训6期,覆盖民警1800余人次。",
        {
            "3456起": "enforcement_cases",
            "6期": "law_study_sessions",
            "1800余人次": "legal_education_reach",
        },
    ),  # fmt: skip
    (  # 城管
        "办理12345市民热线工单3567件,按时办结率99.2%,群众满意率98.6%。",
        {"3567件": "hotline_cases", "99.2%": None, "98.6%": "satisfaction_rate"},
    ),
    (  # 城管: a campaign is an inspection; 督查 of government units is not
        "开展占道经营专项整治行动56次,对各中队开展执法督查检查18次。",
        {"56次": "joint_inspections", "18次": None},
    ),
    (  # 街道
        "开展“民法典进社区”宣传活动32场,受益群众4500余人次。",
        {"32场": "legal_education_events", "4500余人次": "legal_education_reach"},
    ),
    (  # 街道: a clause with only a verb takes its noun from the clause before
        "坚持每月组织社区干部集中学法,全年累计开展12次。",
        {"12次": "law_study_sessions"},
    ),
    (  # 应急管理局: a law named in quotes makes the subject law
        "开展安全生产执法检查860次,立案查处违法行为125起,开展“安全生产法”宣传咨询活动15场次。",
        {
            "860次": "joint_inspections",
            "125起": "enforcement_cases",
            "15场次": "legal_education_events",
        },
    ),  # fmt: skip
    (  # 区政府
        "区政府常务会议会前学法12次,组织1.2万余名国家工作人员参加网上学法考试,参考率99.6%。",
        {
            "12次": "law_study_sessions",
            "1.2万余名": "officials_law_exam",
            "99.6%": "participation_rate",
        },
    ),  # fmt: skip
    (  # 教育局: a total followed by its parenthesised breakdown
        "全县现有中小学校156所（其中小学102所，初中54所），在校学生3.2万人。",
        {
            "156所": "schools_total",
            "102所": "primary_schools",
            "54所": None,
            "3.2万人": "students_enrolled",
        },
    ),  # fmt: skip
]


@pytest.mark.parametrize(("sentence", "expected"), GENRE, ids=[e[0][:12] for e in GENRE])
def test_genre_sentences_of_other_bodies(sentence: str, expected: dict) -> None:
    assert indicators_of(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "局党委理论学习中心组集体学习习近平新时代中国特色社会主义思想和党的二十大精神14次。",
        "召开党组会议专题研究部署法治工作4次。",
        "开展行政执法案卷评查2次,评查案卷85卷。",
        "举办党史学习教育专题讲座6场,参与党员干部300余人。",
        "计划开展法治宣传活动600场次以上,力争出庭应诉率保持100%。",
        "组织全区执法人员参加行政执法资格考试,共312人参考。",
        "全镇12个村(社区)配备法律顾问12名。",
    ],
)
def test_what_the_scope_notes_exclude_gets_no_indicator(sentence: str) -> None:
    assert set(indicators_of(sentence).values()) == {None}


def _write(raw: Path, name: str, text: str) -> None:
    raw.mkdir(parents=True, exist_ok=True)
    (raw / name).write_text(text, encoding="utf-8")


REPORT_2023 = """宁县教育局2023年度法治政府建设工作报告
2023年,宁县教育局坚持以习近平法治思想为指导,依法治教。
为各级各类学校聘请法治校委176名,开展法治进校园活动850余场次,受益师生5.1万人次。
区政府负责人出庭应诉率100%,区级部门和镇街负责人出庭应诉率99.3%。
"""
REPORT_2024 = """2024年法治政府建设工作报告
2024年,我局深入推进依法行政,法治宣传教育扎实开展。
聘任法治副校长180名,举办普法讲座780余场次,受益师生6.2万人次。
"""
REPORT_2024_OTHER = """宁县教育局2024年法治建设工作情况报告
2024年,宁县教育局持续推进依法治校示范校创建,全县法治教育工作有序开展。
全县中小学共配备法治副校长181名,开展宪法宣传周活动120场次。
"""
REPORT_NO_BODY = """2024年法治建设工作总结
2024年,我们坚持依法办事。党委中心组全年集中学法4次,组织干部参加学法考试。
"""


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four small reports: one body in two years (法治校委, then 法治副校长 in a report that
    names itself only 我局, completed by sources.csv), a second report for the same body and
    year, and a report whose body is unknown."""
    tmp = tmp_path_factory.mktemp("ind")
    raw = tmp / "raw"
    _write(raw, "a2023.txt", REPORT_2023)
    _write(raw, "b2024.txt", REPORT_2024)
    _write(raw, "c2024.txt", REPORT_2024_OTHER)
    _write(raw, "d_nobody.txt", REPORT_NO_BODY)
    _write(raw, "sources.csv", "file,body,report_year,source_url\nb2024.txt,宁县教育局,,\n")
    db = tmp / "processed" / "warehouse.duckdb"
    assert run(RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True)) == 0
    return db


def _rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_fazhi_xiaowei_and_fazhi_fuxiaozhang_line_up_across_years(small_warehouse: Path) -> None:
    rows = _rows(
        small_warehouse,
        """select r.source_file, o.indicator_id, o.value from observations o
           join reports r using (report_id) where o.value between 176 and 181""",
    )
    assert {Path(f).name: (i, v) for f, i, v in rows} == {
        "a2023.txt": ("legal_vice_principals", 176.0),
        "b2024.txt": ("legal_vice_principals", 180.0),
        "c2024.txt": ("legal_vice_principals", 181.0),
    }
    panel = _rows(
        small_warehouse,
        """select report_year, value, n_observations, panel_rule from indicator_panel
           where body = '宁县教育局' and indicator_id = 'legal_vice_principals'
           order by report_year""",
    )
    assert [(y, v, n) for y, v, n, _ in panel] == [(2023, 176.0, 1), (2024, 180.0, 2)]
    # two reports for 宁县教育局 2024: the fuller one is used and the rule names both
    assert "b2024.txt" in panel[1][3] and "c2024.txt" in panel[1][3]


def test_panel_has_one_value_per_body_year_and_indicator(small_warehouse: Path) -> None:
    [(n, distinct)] = _rows(
        small_warehouse,
        """select count(*), count(distinct (body, report_year, indicator_id))
           from indicator_panel""",
    )
    assert n == distinct > 0
    [(in_panel,)] = _rows(small_warehouse, "select count(*) from observations where in_panel")
    assert in_panel == n


def test_two_scopes_of_one_rate_are_both_kept_and_the_body_wide_one_is_shown(
    small_warehouse: Path,
) -> None:
    rows = _rows(
        small_warehouse,
        """select value, scope, in_panel, panel_rule from observations
           where indicator_id = 'head_court_appearance_rate' order by char_start""",
    )
    assert [(v, s, p) for v, s, p, _ in rows] == [
        (100.0, "区政府负责人", True),
        (99.3, "区级部门和镇街负责人", False),
    ]
    assert "sub-scope" in rows[1][3]


def test_a_report_with_unknown_body_keeps_its_observations_out_of_the_panel(
    small_warehouse: Path,
) -> None:
    rows = _rows(
        small_warehouse,
        """select o.indicator_id, o.value, o.in_panel, o.panel_rule from observations o
           join reports r using (report_id) where r.source_file like '%d_nobody.txt'""",
    )
    assert [(i, v, p) for i, v, p, _ in rows] == [("law_study_sessions", 4.0, False)]
    assert "body is unknown" in rows[0][3]


def test_panel_csv_opens_in_excel(small_warehouse: Path) -> None:
    data = (small_warehouse.parent / "indicator_panel.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("body,report_year,indicator_id,name_zh")
    assert "宁县教育局,2024,legal_vice_principals,法治副校长" in text


def test_panel_csv_holds_every_panel_row_in_order(small_warehouse: Path) -> None:
    path = small_warehouse.parent / "indicator_panel.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.DictReader(fh))
    rows = _rows(
        small_warehouse,
        """select body, report_year, indicator_id, value, approx, reviewed from indicator_panel
           order by body, indicator_id, report_year""",
    )
    assert len(lines) == len(rows) > 0
    got = [
        (r["body"], int(r["report_year"]), r["indicator_id"], float(r["value"]), r["approx"])
        for r in lines
    ]
    assert got == [(b, y, i, v, str(a)) for b, y, i, v, a, _ in rows]
    # booleans as Excel users have always seen them in this file, never true/false or blank
    assert {r["approx"] for r in lines} | {r["reviewed"] for r in lines} <= {"True", "False"}


# ----------------------------------------------------------------------------- dev set
@pytest.fixture(scope="module")
def dev_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("dev")
    raw = copy_reports(tmp / "raw", sorted(p.stem for p in GOLD.glob("*.txt")))
    shutil.copyfile(ROOT / "data" / "raw" / "sources.csv", raw / "sources.csv")
    db = tmp / "processed" / "warehouse.duckdb"
    assert run(RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True)) == 0
    return db


def test_dev_set_indicator_precision_and_recall(dev_warehouse: Path) -> None:
    pred = {
        (Path(f).stem, i, round(v, 4))
        for f, i, v in _rows(
            dev_warehouse,
            "select r.source_file, o.indicator_id, o.value from observations o "
            "join reports r using (report_id)",
        )
    }
    gold = {
        (p.stem, i["id"], round(float(i["value"]), 4))
        for p in GOLD.glob("*.json")
        for i in json.loads(p.read_text(encoding="utf-8"))["indicators"]
    }
    precision, recall = len(pred & gold) / len(pred), len(pred & gold) / len(gold)
    assert precision >= 0.92 and recall >= 0.85, (precision, recall)


def test_dev_series_line_up_by_body(dev_warehouse: Path) -> None:
    years = dict(
        _rows(
            dev_warehouse,
            """select body, list(distinct report_year order by report_year)
               from indicator_panel group by body""",
        )
    )
    assert years["宁县教育局"] == [2023, 2024]
    assert years["白云区人民政府"] == [2022, 2023, 2024]
    assert years["荣昌区司法局"] == [2023, 2024]  # 2022 states no indicator figure
    assert years["铜梁区人民政府"] == [2022, 2023, 2024]


def test_unmapped_lists_what_the_catalog_misses(dev_warehouse: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "unmapped", "--db", str(dev_warehouse)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("count")
    counts = [int(line.split("\t")[0]) for line in lines[1:] if line[:1].isdigit()]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 2
    assert any("执法培训" in line and "031.txt" in line for line in lines)


def test_unmapped_without_a_warehouse_is_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "unmapped", "--db", str(tmp_path / "none.duckdb")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "none.duckdb" in result.stderr
