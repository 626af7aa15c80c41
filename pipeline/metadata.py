"""What a report says about itself: title, issuing body, the year it is about, publication date.

Read from the page header (发布机构 / 发文机关 / 发布日期), the title line ("宁县教育局2023年度法治
政府建设工作报告"), the opening sentence ("2025年,大冶市教育局坚持..."), and the closing signature.
A body the text only names by level ("区司法局", "我局") is completed from a place name of that level
found elsewhere in the text (《荣昌区法治政府建设实施方案》); if none is found the body stays unknown
rather than guessed, so that two different 区司法局 never merge.
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.records import ReportMeta

LEVELS = "省市区县旗州盟镇乡"
_CJK = r"\u4e00-\u9fff"
# Department heads a body name ends with, longest first.
DEPT_RE = r"(?:街道办事处|办事处|人民政府|政府|委员会|教委|卫健委|发改委|管理局|局|厅|办公室|中心)"
ABBREVIATIONS = {"教委": "教育委员会", "卫健委": "卫生健康委员会", "发改委": "发展和改革委员会"}
_YEAR_IN_TITLE_RE = re.compile(r"(20[0-9]{2})\s*年")
_TITLE_LINE_RE = re.compile(r"法治政府|法治建设|依法行政|法制建设")
_HEADER_BODY_RE = re.compile(
    r"(?:发布机构|发文机关|发文单位)\s*[:：]?\s*\|?\s*([" + _CJK + r"·]{2,30})"
)
_DATE_RE = re.compile(r"(20[0-9]{2})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})")
_HEADER_DATE_RE = re.compile(
    r"(?:发布日期|发布时间|发文时间|成文日期|生效日期|日期)\s*[:：]?\s*\|?\s*"
    r"(20[0-9]{2}\s*[-/.年]\s*[0-9]{1,2}\s*[-/.月]\s*[0-9]{1,2})"
)
_BODY_NAME_RE = re.compile(rf"(?:中共)?[{_CJK}·]{{1,24}}?{DEPT_RE}")
_OPENING_SUBJECT_RE = re.compile(
    rf"(?:^|[,，。:：\n])\s*([{_CJK}·]{{2,28}}?(?:{DEPT_RE}|[{LEVELS}]|街道))"
    r"(?:党组|党委|党工委)?"
    r"(?:坚持|始终|以|在|深入|认真|全面|紧紧|高度|立足|围绕|聚焦|着力|扎实|紧扣)"
)
_SHORT_DEPT = rf"[{_CJK}]{{0,6}}?{DEPT_RE}"
# 区司法局, 县教委: a level, not after another CJK character (the lookbehind looks two characters
# back, so that the pattern starts with the level: the regex engine then skips ahead to one)
_LEVEL_DEPT_RE = re.compile(
    rf"[区县市](?<![{_CJK}][区县市])(?![委政])[{_CJK}]{{0,6}}?(?:局|委员会|教委|卫健委)"
)


def _clean_title(line: str) -> str:
    line = line.strip().strip("|•·").strip()
    line = re.sub(r"^(?:标题|题目)\s*[:：]\s*", "", line)
    if ">" in line:
        line = line.rsplit(">", 1)[-1]
    line = re.split(r"\s*\|\s*", line)[0]
    return re.sub(r"\s+", "", line)


def find_title(text: str) -> str | None:
    """The report's title line: near the top, names the rule-of-law report; one with a year wins
    over a breadcrumb or category label ("法治政府建设年度报告")."""
    found: list[str] = []
    for line in text[:2000].splitlines()[:40]:
        stripped = line.strip()
        if not stripped or len(stripped) > 60 or "。" in stripped or stripped.endswith((":", "：")):
            continue
        if _TITLE_LINE_RE.search(stripped) and re.search(r"报告|情况|总结", stripped):
            title = _clean_title(stripped)
            if re.search(r"分类|栏目|专题", title):
                continue
            found.append(title)
    with_year = [t for t in found if _YEAR_IN_TITLE_RE.search(t)]
    return (with_year or found or [None])[0]


def find_report_year(text: str, title: str | None) -> int | None:
    """The year the report is ABOUT: the title's year, else the opening's "2024年,"."""
    if title:
        m = _YEAR_IN_TITLE_RE.search(title)
        if m:
            return int(m.group(1))
    head = text[:3000]
    for pattern in (
        r"(?:^|\n)\s*(20[0-9]{2})\s*年(?:度)?\s*[,，是以来]",
        r"现将(?:我[局委厅办]|本[局委单位]+)?\s*(20[0-9]{2})\s*年",
        r"(20[0-9]{2})\s*年(?:度)?(?:法治政府|法治建设|依法行政)",
        r"[,，。]\s*(20[0-9]{2})\s*年\s*[,，]",
    ):
        m = re.search(pattern, head)
        if m:
            return int(m.group(1))
    years = Counter(re.findall(r"(20[0-9]{2})\s*年(?![0-9]{1,2}月)", head))
    return int(years.most_common(1)[0][0]) if years else None


def find_published(text: str) -> str | None:
    m = _HEADER_DATE_RE.search(text[:3000])
    if m is None:
        # a date standing alone on a line of the header, or the signature date at the end
        m = re.search(r"(?m)^[\s•·]*(20[0-9]{2}-[0-9]{1,2}-[0-9]{1,2})\s*$", text[:1500])
    if m is None:
        m = re.search(r"(?m)^\s*(20[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}日)\s*$", text[-2000:])
    if m is None:
        return None
    d = _DATE_RE.search(m.group(1))
    if d is None:
        return None
    year, month, day = (int(g) for g in d.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _expand(name: str) -> str:
    for short, full in ABBREVIATIONS.items():
        if name.endswith(short):
            name = name[: -len(short)] + full
    if re.search(rf"[{LEVELS}]政府$", name):
        name = name[:-2] + "人民政府"
    return name


# Level characters that are part of an ordinary word, not a place: 市场监管局, 乡村振兴局,
# 城乡建设局, and 城市管理局 (but 丰城市, 盐城市 are places: 城市 is a word only before 管理...).
_WORDS_AFTER = ("市场", "市政", "市容", "乡村", "区域", "县域", "镇街")
_WORDS_AROUND = ("城乡", "城市管理", "城市建设", "城市综合", "城市执法", "城市规划", "城市更新")
_AROUND_FIRST = frozenset(w[0] for w in _WORDS_AROUND)  # each starts one character before the level


def _in_word(name: str, i: int) -> bool:
    if name[i : i + 2] in _WORDS_AFTER:
        return True
    if i == 0 or name[i - 1] not in _AROUND_FIRST:
        return False  # (the common case, tested before the words one by one)
    return any(name[i - 1 : i - 1 + len(w)] == w for w in _WORDS_AROUND)


def split_body(name: str) -> tuple[str | None, str | None]:
    """'重庆市南川区卫生健康委员会' -> ('南川区', '卫生健康委员会'); '澧浦镇' -> ('澧浦镇', '人民政府')."""
    cuts = [i + 1 for i, ch in enumerate(name) if ch in LEVELS and not _in_word(name, i)]
    cuts += [m.end() for m in re.finditer("街道", name)]
    if not cuts:
        return None, name or None
    end = max(c for c in cuts if c <= len(name))
    jurisdiction, department = name[:end], name[end:]
    if department in ("", "办事处") and jurisdiction.endswith(("镇", "乡", "街道")):
        department = "人民政府" if not jurisdiction.endswith("街道") else "街道办事处"
    inner = [c for c in cuts if c < end and name[c : c + 1] != "·"]
    if inner and end - max(inner) >= 2:
        jurisdiction = name[max(inner) : end]
    return jurisdiction, department or None


def _is_complete(name: str) -> bool:
    """A body name that carries its own place name: 宁县教育局, not 区司法局 or 我局."""
    jurisdiction, department = split_body(name)
    return bool(jurisdiction and len(jurisdiction) >= 2 and department is not None) or bool(
        jurisdiction and len(jurisdiction) >= 2 and jurisdiction.endswith(("镇", "乡", "街道"))
    )


def _normalise(name: str) -> str:
    """Expand abbreviations, give a bare county-level place its 人民政府, and drop outer levels
    (重庆市南川区X -> 南川区X) so one body lines up across years however it titles itself."""
    name = _expand(re.sub(r"\s+", "", name))
    if re.fullmatch(rf"[{_CJK}·]{{2,12}}[区县市旗]", name):
        name += "人民政府"  # "重庆市铜梁区2023年..." is the district government's report
    jurisdiction, _ = split_body(name)
    if jurisdiction and (k := name.find(jurisdiction)) > 0:
        name = name[k:]
    return name


def _body_from_title(title: str) -> str | None:
    prefix = re.split(r"关于|20[0-9]{2}\s*年|法治政府|法治建设", title)[0]
    prefix = re.sub(r"^中共[" + _CJK + r"]+?委员会", "", prefix)
    if not prefix:
        return None
    names = [m.group(0) for m in _BODY_NAME_RE.finditer(prefix)]
    if names and prefix.endswith(names[-1]):
        return names[-1]
    if re.fullmatch(rf"[{_CJK}·]{{2,12}}[区县市旗镇乡]", prefix):
        return prefix
    return None


def _signature(text: str) -> str | None:
    tail = text[-1500:]
    m = re.search(
        rf"(?m)^\s*([{_CJK}·]{{2,30}}{DEPT_RE})\s*\n\s*20[0-9]{{2}}\s*年[0-9]{{1,2}}月", tail
    )
    return m.group(1) if m else None


def _place_of_level(text: str, level: str, department: str) -> str | None:
    """The place name (X区) a short reference (区司法局) stands for, from elsewhere in the text."""
    # Only trust a place name whose left edge is certain: after 《, “, a higher level (重庆市)
    # or a line start. Chinese has no spaces, so "公布突泉县" has no knowable left edge.
    same_dept = Counter(
        m.group(1)
        for m in re.finditer(
            rf"(?:^|[《“省市州])([{_CJK}]{{2,4}}?){level}{re.escape(department)}", text, re.M
        )
    )
    places = Counter(
        m.group(1) for m in re.finditer(rf"(?:^|[《“省市州])([{_CJK}]{{2,4}}?){level}", text, re.M)
    )
    stop = set("全我本各该对在为的和与及等了是其这城辖社园景片示范新老")
    for counter in (same_dept, places):
        for name, _ in counter.most_common():
            if not (set(name) & stop):
                return name + level
    return None


def extract_metadata(text: str, header: dict[str, str] | None = None) -> ReportMeta:
    """Title, body, jurisdiction, department, report_year and published date of one report."""
    header = header or {}
    title = header.get("title") or find_title(text)
    candidates: list[str] = []
    if title and (b := _body_from_title(title)):
        candidates.append(b)
    header_body = header.get("body")
    if header_body is None and (m := _HEADER_BODY_RE.search(text[:2000])):
        header_body = m.group(1)
    if header_body:
        candidates.append(header_body)
    opening = text[text.find(title) + len(title) if title and title in text else 0 :][:600]
    if m := _OPENING_SUBJECT_RE.search(opening):
        candidates.append(m.group(1))
    if sig := _signature(text):
        candidates.append(sig)
    # a department named by level only (区司法局党委书记...), when nothing better is found
    if m := _LEVEL_DEPT_RE.search(text[:3000]):
        candidates.append(m.group(0))

    body = None
    normalised = [_normalise(c) for c in candidates]
    complete = [c for c in normalised if _is_complete(c) and not c.startswith(("我", "本"))]
    if complete:
        body = complete[0]
    else:
        for c in normalised:
            m = re.fullmatch(rf"([区县市])({_SHORT_DEPT})", c)
            if m and (place := _place_of_level(text, m.group(1), m.group(2))):
                body = _normalise(place + m.group(2))
                break
    jurisdiction, department = split_body(body) if body else (None, None)
    return ReportMeta(
        title=title,
        body=body,
        jurisdiction=jurisdiction,
        department=department,
        report_year=find_report_year(text, title),
        published=header.get("published") or find_published(text),
    )


_RULE_OF_LAW_WORD_RE = re.compile(r"法治|依法|法制|普法|执法")


def is_rule_of_law_report(text: str) -> bool:
    """The genre's vocabulary: a page that never says 法治/依法/法制/普法 is some other document."""
    words = _RULE_OF_LAW_WORD_RE.finditer(text)
    return next(words, None) is not None and next(words, None) is not None  # two are enough
