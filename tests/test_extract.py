"""Sentence -> mentions: what the genre writes as a figure, and what it does not."""

import pytest

from pipeline.extract import extract_mentions


def figures(text: str) -> list[tuple[float, str | None, bool]]:
    return [(m.value, m.unit, m.approx) for m in extract_mentions(text + "。")]


# (sentence, expected figures) -- phrasings from many bodies and sectors, not one report's words
CASES = [
    ("为各级各类学校聘请法治校委176名", [(176, "名", False)]),
    ("开展法治进校园等专题宣讲培训活动850余场次", [(850, "场次", True)]),
    ("受益师生6.2万人次", [(62000, "人次", False)]),
    ("全年安排20多万元用于普法", [(200000, "元", True)]),
    ("投入经费5万元", [(50000, "元", False)]),
    ("师生参与率100%", [(100, "%", False)]),
    ("持证比例98%以上", [(98, "%", True)]),
    ("执法人员持证率达到９５．５％", [(95.5, "%", False)]),
    ("聘请法律顾问一名，", [(1, "名", False)]),
    ("组织二十三名干部参加考试", [(23, "名", False)]),
    ("幼儿园57，在校学生59854人", [(57, None, False), (59854, "人", False)]),
    ("办理行政复议案件1,234件", [(1234, "件", False)]),
    ("参与师生30余万人", [(300000, "人", True)]),
    ("接待群众近6000人次", [(6000, "人次", True)]),
    ("观看人次超1232万，", [(12320000, None, True)]),
    ("查处违法案件12起，罚没款3.6万元", [(12, "起", False), (36000, "元", False)]),
    ("联合七部门开展检查", [(7, "部门", False)]),
    ("举办两期法治专题讲座", [(2, "期", False)]),
    ("行政诉讼败诉率为百分之五", [(5, "%", False)]),
    ("罚没款2.3亿元", [(230000000, "元", False)]),
    ("纠错率控制在10%以内", [(10, "%", True)]),
    ("培训执法人员百余人，覆盖群众千余人次", [(100, "人", True), (1000, "人次", True)]),
]
NOT_FIGURES = [
    "2023年，我局坚持以习近平法治思想为指导",
    "2023 年是全面贯彻党的二十大精神的开局之年",
    "于2024年4月3日印发",
    "全面推行行政执法“三项制度”",
    "深入实施八五普法规划",
    "以“三抓三促”行动为抓手",
    "在第九个国家宪法日期间",
    "连续三年全市考评第一",
    "连续8次获评先进",
    "在全市法治镇街培育验收中包揽前两名",
    "按时办结省、市12345及其他平台的网络办件",
    "受理答复8890诉求",
    "在全国106个地级市中排名第一",
    "列入市涉外法治建设10大亮点",
    "实现零撤改、零败诉",
    "一是法治意识需进一步提高",
    "1.切实履行法治建设第一责任人职责",
    "（一）强化组织保障",
    "印发《铜梁区促进商务服务业高质量发展12条措施》",
    "认真落实市委六届二次、三次、四次全会部署",
    "小学1-4年级每周安排",
    "国办发〔2022〕2号",
    "索引号: 621026jyj000/20240403-00014",
    "发布时间:2025-02-26 浏览次数: 128",
    "开展3·15消费者权益日宣传",
    "做到一次性告知",
    "组建“1+1+N”队伍",
    "鹤龙街、三元里街获评",
    "获评全国百强区，千家万户受益，万校共上法治课",
]


@pytest.mark.parametrize(("sentence", "expected"), CASES)
def test_figures_in_sentence(sentence: str, expected: list) -> None:
    assert figures(sentence) == [(pytest.approx(v), u, a) for v, u, a in expected]


@pytest.mark.parametrize("sentence", NOT_FIGURES)
def test_not_a_figure(sentence: str) -> None:
    assert figures(sentence) == []


def test_spans_slice_back_to_raw_text() -> None:
    text = "宁县现有各级各类学校359所，其中小学267所。为学校聘请法治校委176名，开展活动850余场次。"
    mentions = extract_mentions(text)
    assert [m.raw_text for m in mentions] == ["359所", "267所", "176名", "850余场次"]
    for m in mentions:
        assert text[m.char_start : m.char_end] == m.raw_text
        assert m.raw_text in m.context
        assert text[m.sentence_start : m.sentence_start + len(m.context)] == m.context


def test_section_is_the_heading_above() -> None:
    text = "一、基本情况\n全县有学校12所。\n二、工作开展情况\n（一）强化组织保障\n开展讲座5场。"
    sections = [m.section for m in extract_mentions(text)]
    assert sections[0].startswith("一、基本情况")
    assert sections[1].startswith("（一）强化组织保障")


def test_number_cut_off_at_end_of_excerpt_is_left_out() -> None:
    assert figures("其中30年7643人,25年592")[:1] == [(7643, "人", False)]
    assert [m.value for m in extract_mentions("其中30年7643人,25年592")] == [7643]


def test_numbers_alone_in_table_cells_are_figures() -> None:
    # readers render a table row as its cells joined by " | "
    text = "指标 | 2022年 | 2023年\n行政复议案件 | 12 | 15\n序号 | 名称\n1 | 普法活动\n合计 | 2023 | 34\n"
    assert [(m.raw_text, m.unit) for m in extract_mentions(text)] == [
        ("12", None), ("15", None), ("34", None),
    ]  # fmt: skip
