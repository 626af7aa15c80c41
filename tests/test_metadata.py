"""Report metadata from the ways pages state it: title, header, opening sentence, signature."""

import pytest

from pipeline.metadata import extract_metadata, split_body

CASES = [
    # (text, body, report_year)
    (
        "宁县教育局2023年度法治政府建设工作报告\n近年来，在县委领导下，依法治教。",
        "宁县教育局",
        2023,
    ),
    (
        "合肥市城市管理局关于2023年度法治政府建设工作情况的报告\n2023年，市城管局坚持依法行政。",
        "合肥市城市管理局",
        2023,
    ),
    (
        "重庆市铜梁区2024年法治政府建设工作报告\n2024年，铜梁区坚持依法行政。",
        "铜梁区人民政府",
        2024,
    ),
    (
        "2025年，在市委、市政府的坚强领导下，大冶市教育局坚持以习近平法治思想为指导，依法治教。",
        "大冶市教育局",
        2025,
    ),
    (
        "城中区委全面依法治区委员会:\n人民街街道办事处坚持以习近平法治思想为根本遵循。现将2025年工作情况总结如下：法治",
        "人民街街道办事处",
        2025,
    ),
    (
        "区教委2021年度法治政府建设工作报告\n区教委印发《重庆市九龙坡区普惠性民办幼儿园管理办法》，依法治教。",
        "九龙坡区教育委员会",
        2021,
    ),
    (
        "2022年，白云区政府坚持以习近平新时代中国特色社会主义思想为指引，法治。",
        "白云区人民政府",
        2022,
    ),
    ("澧浦镇2023年度法治政府建设工作报告\n今年以来，澧浦镇坚持依法行政。", "澧浦镇", 2023),
    ("2024年，县司法局坚持依法行政。\n……\n丰城县司法局\n2025年1月10日", "丰城县司法局", 2024),
]


@pytest.mark.parametrize(("text", "body", "year"), CASES)
def test_body_and_year(text: str, body: str, year: int) -> None:
    meta = extract_metadata(text)
    assert (meta.body, meta.report_year) == (body, year)


def test_a_body_named_only_by_level_stays_unknown_rather_than_guessed() -> None:
    meta = extract_metadata("2025年，区司法局党组坚持依法行政，深入学习习近平法治思想。")
    assert meta.body is None
    assert meta.report_year == 2025


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("绍兴市市场监管局", ("绍兴市", "市场监管局")),
        ("宁县乡村振兴局", ("宁县", "乡村振兴局")),
        ("丰城市司法局", ("丰城市", "司法局")),
        ("合肥市城市管理局", ("合肥市", "城市管理局")),
        ("盐城市住房和城乡建设局", ("盐城市", "住房和城乡建设局")),
        ("北京市东城区城市管理委员会", ("东城区", "城市管理委员会")),
        ("麻阳苗族自治县公安局", ("麻阳苗族自治县", "公安局")),
        ("开发区·铁山区教育局", ("开发区·铁山区", "教育局")),
    ],
)
def test_split_body(name: str, parts: tuple[str, str]) -> None:
    assert split_body(name) == parts


def test_published_date_from_header_in_chinese_format() -> None:
    meta = extract_metadata(
        "发布时间：2024年02月01日\n宁县教育局2023年度法治政府建设工作报告\n依法治教"
    )
    assert meta.published == "2024-02-01"
