"""Text -> mentions: every measured quantity with its exact span, sentence and section.

The grammar is: [approx prefix] number [余/多] [千/万/亿] [余/多] [unit] [以上/左右]. What is *not*
a figure is decided in two layers:
  1. a mask over the text: book titles 《》, short quoted names “七进”, known slogans
     (slogans.txt), dates, times, index/document numbers, URLs and page-chrome lines;
  2. rules on each candidate's neighbours: ordinals (第N), track records (连续N), rankings (前N名),
     years/dates (N年, N月), list numbering (1. / 一、), ranges, hotline names (12345), and bare
     numbers that are not a value of the noun before them.
Pure functions, no I/O.
"""

from __future__ import annotations

import bisect
import math
import re
from functools import lru_cache

from pipeline.numbers import APPROX_PREFIXES, parse_number
from pipeline.paths import PACKAGE_DIR
from pipeline.records import Mention
from pipeline.wordtrie import compile_words

# Measure words, longest first so 人次 wins over 人 and 场次 over 场.
UNITS = (
    "个工作日", "个百分点", "工作日", "百分点", "平方米", "人次", "场次", "件次", "户次", "批次",
    "课时", "学时", "小时", "分钟", "公里", "部门", "万元", "亿元", "个月",
    "所", "名", "人", "位", "场", "次", "件", "起", "项", "个", "家", "份", "条", "篇", "册", "期",
    "本", "张", "块", "处", "户", "支", "轮", "堂", "节", "门", "套", "台", "辆", "吨", "天", "批",
    "种", "组", "队", "笔", "宗", "例", "元", "部", "间", "座", "幅", "封", "亩", "米", "根", "棵",
    "卷",
)  # fmt: skip
MONEY_SCALED = {"万元": 10_000, "亿元": 100_000_000}
# A unit followed by these characters is the start of a word, not a measure word (一次性, 个人).
UNIT_WORD_STARTS = {
    "次": "性数", "人": "民员大", "名": "单称义额", "期": "间限末中", "条": "例件款",
    "件": "事", "家": "庭长乡属", "所": "有长在属", "场": "所地景", "个": "人性体案别",
    "部": "署分门长", "位": "于置列", "起": "草来诉", "项": "目", "天": "然", "间": "隙",
    "门": "户槛", "元": "旦素", "处": "置理罚", "本": "地级部领", "台": "账", "支": "持部",
    "种": "类植", "组": "织长建成", "队": "伍", "轮": "流", "节": "日点约", "批": "准示评",
    "例": "如行", "套": "餐", "座": "谈", "块": "牌", "张": "贴", "米": "面", "笔": "录",
}  # fmt: skip
# After a bare number these characters mean year, date, time, grade, session or a name, not a value.
NOT_A_VALUE_AFTER = set("年月日号时点级届版岁代大中楼路线")
HOTLINES = {
    "110", "119", "120", "122", "12345", "12315", "12348", "12333", "12366", "12369", "12388",
    "12110", "12355", "12356", "12338", "12320", "12318", "12319", "12331", "12365", "12301",
    "12351", "12380", "12309", "12368", "8890", "96110",
}  # fmt: skip
PUNCT = set("，,。；;：:、！!？?）)】」』”’\"'》 \t\u3000\u00a0|…—")
RANGE_MARKS = "-—–~～至到"
CHROME_WORDS = (
    "索引号", "发布机构", "发布日期", "发布时间", "生成日期", "成文日期", "生效日期", "废止日期",
    "浏览次数", "访问次数", "阅读次数", "点击数", "点击量", "阅读量", "字体", "字号", "文号",
    "信息来源", "组配分类", "主题分类", "发文机关", "发文字号", "发文时间", "所属主题", "打印",
    "分享", "来源:", "来源：", "日期:", "日期：", "作者:", "作者：", "责任编辑", "扫一扫",
)  # fmt: skip

_ARABIC_FIRST = "0-9０-９"  # an Arabic number's first character; a Chinese one's is never one
_ARABIC_FIRST_CHARS = frozenset("0123456789０１２３４５６７８９")  # the same, as a set
_ANY_DIGIT = f"[{_ARABIC_FIRST}]"  # one digit, ASCII or fullwidth
_ARABIC_REST = r"[0-9０-９]*(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?"
_ARABIC = _ANY_DIGIT + _ARABIC_REST
# a Chinese numeral; a bare 百/千/万 counts only before 余/多 (百余人, 千余人次), elsewhere it is
# a word (百强, 千家万户, 万校)
_CN_LEAD, _CN_MORE, _CN_BARE = (
    "一二三四五六七八九十两",
    "零〇一二三四五六七八九十两百千万亿",
    "百千万",
)
_CHINESE = rf"(?:[{_CN_LEAD}][{_CN_MORE}]*|[{_CN_BARE}](?=[余多]))"
_PREFIX = "|".join(APPROX_PREFIXES)
_UNIT = "|".join(re.escape(u) for u in UNITS)
_AFTER_NUMBER = (
    r"(?P<tail>[余多]?(?:(?<=[0-9０-９余多])[千万亿])?[余多]?)"
    rf"(?:[ \u00a0]?(?P<unit>{_UNIT}|[%％]))?"
    r"(?P<post>以上|以下|以内|左右)?"
)
# One written figure, as a user types it in corrections.csv (read with fullmatch). `num` is the
# number, Arabic or Chinese, which its first character tells (`_arabic_or_chinese`).
FIGURE_RE = re.compile(
    rf"(?P<pre>{_PREFIX})?"
    rf"(?<![0-9０-９A-Za-z.．])(?P<num>{_ARABIC}|{_CHINESE})" + _AFTER_NUMBER
)
# The same grammar for scanning a whole text, shaped for speed:
# - it starts with a plain character class, the first character of the number: the regex engine
#   then skips ahead to candidate characters instead of trying the pattern at every position
#   (a pattern starting with a lookahead or lookbehind gets no such skip). What stands before
#   the number is tested after that character is read, by a lookbehind two characters wide, and
#   which kind of number it is by a lookbehind on the character itself;
# - the approximation prefix is looked up behind the number afterwards (`_prefix_before`);
# - a Chinese numeral must be followed by 余/多 or a measure word, since without one it is a
#   word (统一, 一体) that `_accept` would reject anyway.
_NUMBER_FIRST = _ARABIC_FIRST + _CN_LEAD + _CN_BARE
_SCAN_RE = re.compile(
    rf"(?P<num>[{_NUMBER_FIRST}](?<![0-9０-９A-Za-z.．][{_NUMBER_FIRST}])"
    rf"(?:(?<=[{_ARABIC_FIRST}]){_ARABIC_REST}"
    rf"|(?:(?<=[{_CN_LEAD}])[{_CN_MORE}]*|(?<=[{_CN_BARE}])(?=[余多]))"
    rf"(?=[余多]|[ \u00a0]?(?:{_UNIT}|[%％]))))" + _AFTER_NUMBER
)
_PREFIXES_LONGEST_FIRST = sorted(APPROX_PREFIXES, key=len, reverse=True)
_PREFIX_LAST_CHARS = frozenset(p[-1] for p in APPROX_PREFIXES)
_PLAIN_NUMBER_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")  # ASCII digits: float() reads it as is
PERCENT_WORD_RE = re.compile(rf"百分之(?P<num>{_ARABIC}|{_CHINESE})")

# Spans that hide any number inside them, scanned over the whole text. Each pattern starts with
# a literal or a character class so the regex engine can skip ahead to where it may match.
_MASK_PATTERNS = [
    re.compile(r"《[^《》\n]{0,80}》"),  # titles of laws, plans, documents
    re.compile(r"[“「『‘][^“”「」『』‘’\n]{1,15}[”」』’]"),  # short quoted names: “七进”
    re.compile(r'"[^"\n]{1,15}"'),
    re.compile(
        r"[一二三四五六七八九十](?:"
        # sessions (六届, 三中全会); tried only where a run of numerals starts (linear on long runs)
        r"(?<![一二三四五六七八九十]{2})"
        r"(?:[一二三四五六七八九十]*[中次][、和及]?(?:[一二三四五六七八九十]+[中次][、和及]?)*全会"
        r"|[一二三四五六七八九十]*届)"
        r"|[是要则来方])"  # 一是 / 二要 list markers
    ),
]
# URLs, scanned only in a text that holds one. ASCII-only classes: \S+ would rescan every run of
# Chinese text (no spaces) quadratically.
_URL_RE = re.compile(r"https?://[!-~]+|www\.[!-~]+")
# e-mail addresses, scanned only in a text holding an @. The match starts only where a run of
# address characters starts: tried at every position of a long ASCII run it would rescan the run
# each time (quadratic on hostile input).
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9._%+-](?<![A-Za-z0-9._%+-]{2})[A-Za-z0-9._%+-]*@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)
# Patterns that start at a digit, written as (first digit, rest) so that a scan can consume
# the first digit and test the rest in a lookahead: dates, times, index/document numbers, codes.
_DIGIT_LED_PARTS = [
    (_ANY_DIGIT, r"[0-9０-９]{3}\s*[-/.年]\s*[0-9]{1,2}\s*[-/.月]\s*[0-9]{1,2}\s*日?"),  # dates
    (r"[0-9]", r"[0-9]?\s*月\s*[0-9]{1,2}\s*日"),
    (r"[0-9]", r"[0-9]?\s*[:：]\s*[0-9]{2}(?:\s*[:：]\s*[0-9]{2})?"),  # times
    # bounded repeats: tried at each digit run of "1a1a1a..." an open-ended one rescans the rest
    # of the text every time; real index numbers and codes are far shorter than the bounds
    (r"[0-9]", r"[0-9A-Za-z]{0,40}(?:[/\-_][0-9A-Za-z]{1,40}){1,12}"),  # 621026jyj000/2024-1
    (r"[0-9]", r"[0-9]{0,39}[A-Za-z][0-9A-Za-z]{0,40}"),  # codes such as 11370100004188661G
    (r"[0-9]", r"[0-9]*号"),  # document numbers: 〔2020〕36号
    (r"[0-9]", r"[0-9]*[·•][0-9]+"),  # 3·15, 12·4 (named days)
    (r"[0-9]", r"[0-9]{0,19}(?:\+[0-9A-Za-z]{1,20}){1,12}"),  # 1+6+N
]
_DIGIT_LED_PATTERNS = [re.compile(first + rest) for first, rest in _DIGIT_LED_PARTS]
# Where a run of digits starts and one of those patterns matches: the scan starts with a plain
# character class, so the engine skips ahead to digits; a run start is one not preceded by an
# ASCII digit; the first lookahead passes only runs followed by a character some pattern needs
# after its digits (a separator, 年/月/号, a letter or a space), the second tries the patterns'
# rests (an ASCII-only first digit checked behind). Most runs (359所, 98.5%) fail inside the
# scan, in C, and only the others are tried one pattern at a time to find how far they mask.
_DIGIT_RUN_RE = re.compile(
    r"[0-9０-９](?<![0-9][0-9０-９])(?=[0-9０-９]*(?:[-/.年月号:：·•+_A-Za-z]|\s))(?="
    + "|".join(
        f"(?:{rest})" if first == _ANY_DIGIT else f"(?<=[0-9])(?:{rest})"
        for first, rest in _DIGIT_LED_PARTS
    )
    + ")"
)
_CHROME_WORD_RE = compile_words(CHROME_WORDS)  # no word is the start of another: order is moot
_RANKING_AFTER_RE = re.compile(r"[^，,。；;]{0,12}中(?:排名|位居|位列|名列|排)")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")
_SENTENCE_END_RE = re.compile(r"[。！？!?；;\n]")
_HEADING_RE = re.compile(
    r"^[ \t\u3000]*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]"
    r"|第[一二三四五六七八九十]+(?:部分|章|节)|[0-9]{1,2}[.．、](?![0-9]))[^\n。]{1,60}",
    re.M,
)
# the line starts where a heading may begin (a numeral, bracket, 第 or digit after the indent):
# a plain newline leads this pattern, so the engine skips ahead to newlines instead of trying
# the heading pattern at every position of the text
_HEADING_LINE_RE = re.compile(r"\n(?=[ \t\u3000]*[一二三四五六七八九十（(第0-9])")


@lru_cache(maxsize=1)
def _slogan_re() -> re.Pattern[str] | None:
    lines = (PACKAGE_DIR / "slogans.txt").read_text(encoding="utf-8").splitlines()
    slogans = {s.strip() for s in lines if s.strip() and not s.startswith("#")}
    return compile_words(slogans) if slogans else None  # the longest slogan at a position wins


def _mask_span(mask: bytearray, start: int, end: int) -> None:
    mask[start:end] = b"\x01" * (end - start)


def build_mask(text: str) -> bytearray:
    """1 where a number may not start a figure (titles, quotes, slogans, dates, chrome)."""
    mask = bytearray(len(text))
    patterns = [*_MASK_PATTERNS, _slogan_re()]
    if "@" in text:
        patterns.append(_EMAIL_RE)
    if "http" in text or "www." in text:
        patterns.append(_URL_RE)
    for pattern in patterns:
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            _mask_span(mask, m.start(), m.end())
    for run in _DIGIT_RUN_RE.finditer(text):
        start = run.start()
        for pattern in _DIGIT_LED_PATTERNS:
            m = pattern.match(text, start)
            if m:
                _mask_span(mask, start, m.end())
    done_to = -1  # end of the last line decided
    for m in _CHROME_WORD_RE.finditer(text):
        if m.start() < done_to:
            continue
        # a short line carrying page furniture (索引号, 浏览次数, 字体...) holds no figures
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end < 0 else line_end
        if line_end - line_start > 120:
            done_to = line_end
        elif m.start() - line_start <= 100 and line_end - m.end() <= 100:
            _mask_span(mask, line_start, line_end)
            done_to = line_end
    return mask


def _next_visible(text: str, pos: int) -> str:
    while pos < len(text) and text[pos] in " \u00a0\u3000":
        pos += 1
    return text[pos] if pos < len(text) else ""


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _is_table_cell(text: str, start: int, end: int) -> bool:
    """The number is the whole content of a table cell: "行政复议案件 | 12 | 15"."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if "|" not in text[line_start:line_end]:
        return False
    left = text[line_start:start]
    right = text[end:line_end]
    cell_left = left[left.rfind("|") + 1 :] if "|" in left else left
    cell_right = right[: right.find("|")] if "|" in right else right
    # not the first cell: a number there is a row number (序号), the label comes first
    return "|" in left and not cell_left.strip() and not cell_right.strip()


def _arabic_or_chinese(num: str) -> tuple[str | None, str | None]:
    """(ar, cn): the number of a FIGURE_RE or _SCAN_RE match, as Arabic or as Chinese numerals."""
    return (num, None) if num[0] in _ARABIC_FIRST_CHARS else (None, num)


def _accept(text: str, m: re.Match[str], mask: bytearray) -> bool:
    """Decide whether a grammatical number is a figure, from its neighbours in the text."""
    unit, num, tail = m.group("unit", "num", "tail")
    ar, cn = _arabic_or_chinese(num)
    if cn is not None and unit is None and not tail:
        return False  # the common case: 一 in a word (统一, 一体); numerals count only with a unit
    num_start = m.start("num")
    if mask[num_start]:
        return False
    # (cheap tests first: this runs for every number in the text)
    if num_start == 0:
        return False  # a number cut off at the very start of the excerpt
    prev = text[num_start - 1]
    if prev in "第届" or (prev == "续" and text[num_start - 2 : num_start] == "连续"):
        return False  # ordinal / track record
    if prev == "前" and unit in (None, "名", "位"):
        return False  # ranking: 前两名, 前十
    num_end = m.end("tail")
    if (
        num_end < len(text)
        and text[num_end] in RANGE_MARKS
        and text[num_end + 1 : num_end + 2].isdigit()
    ):
        return False  # first number of a range (1-4年级, 2021-2025年)
    end = m.end()
    if end >= len(text):
        return False  # a number cut off at the very end of the excerpt
    after_fig = text[end]
    if unit is not None and len(unit) == 1 and after_fig in UNIT_WORD_STARTS.get(unit, ""):
        return False  # 一次性, 个人: the unit begins a word
    # (the pattern needs 中 within its first 13 characters: a plain search rules most out)
    if text.find("中", end, end + 13) >= 0 and _RANKING_AFTER_RE.match(text, end, end + 16):
        return False  # a count that only frames a ranking
    if unit is None:
        nxt = _next_visible(text, num_end)
        if tail and ("万" in tail or "亿" in tail):
            return not _is_cjk(nxt) or nxt in "元"
        if cn is not None or ar is None:
            return False  # Chinese numerals count only with a measure word
        digits = _NOT_DIGIT_RE.sub("", ar)
        if nxt in NOT_A_VALUE_AFTER or nxt in "、.．)）" or _is_cjk(nxt) or not nxt:
            if not (nxt == "" and _is_table_cell(text, num_start, end)):
                return False  # year, date, list number, or a name like 8890诉求
        if nxt.isascii() and nxt.isalnum():
            return False
        if len(digits) == 4 and "." not in ar and 1900 <= int(digits) <= 2099:
            return False  # a year written without 年
        if digits in HOTLINES or len(digits) >= 7:
            return False  # hotline names and phone numbers
        if _is_table_cell(text, num_start, end):
            return True  # a number alone in a table cell (readers join cells with " | ")
        if not _is_cjk(prev):
            return False  # bare number after punctuation or at line start: numbering, chrome
        return True
    if cn is not None and cn in ("一", "壹"):
        # 一 + measure word is usually an article (一项工作); a count of one is postposed
        # after its noun (聘请法律顾问一名，), so require punctuation after it.
        return after_fig in PUNCT
    if unit in ("%", "％", "元") and cn is not None:
        return False  # rates and money are written in digits; 三元里 is a place
    return True


def _prefix_before(text: str, start: int) -> str:
    """The approximation prefix written just before a number (约, 近, 超过...), or ""."""
    if start == 0 or text[start - 1] not in _PREFIX_LAST_CHARS:
        return ""
    before = text[max(0, start - 3) : start]
    for prefix in _PREFIXES_LONGEST_FIRST:
        if before.endswith(prefix):
            return prefix
    return ""


def _value_unit(m: re.Match[str], pre: str | None = None) -> tuple[float, str | None, bool] | None:
    """value, unit, approx of a figure match; `pre` is its prefix when the pattern has no group."""
    if pre is None:
        pre = m.group("pre") or ""
    num, tail, post, unit = m.group("num", "tail", "post", "unit")
    ar, cn = _arabic_or_chinese(num)
    if unit == "％":
        unit = "%"
    if (
        not pre
        and not tail
        and not post
        and ar
        and ((ar.isascii() and ar.isdigit()) or _PLAIN_NUMBER_RE.fullmatch(ar))
    ):
        # the common case, a plain number such as 359 or 98.5: no grammar to apply
        value, approx = round(float(ar), 6), False
        if not math.isfinite(value):
            return None
    else:
        parsed = parse_number(pre + (ar or cn) + tail + (post or ""))
        if parsed is None:
            return None
        value, approx = parsed
    if unit in MONEY_SCALED:
        value, unit = round(value * MONEY_SCALED[unit], 6), "元"
    return value, unit, approx


def _sentence_bounds(text: str) -> list[int]:
    return [m.end() for m in _SENTENCE_END_RE.finditer(text)]


def _headings(text: str) -> tuple[list[int], list[str]]:
    """Start and title of every heading line (a heading match never spans a newline, so trying
    the pattern at each line start finds what scanning the whole text would)."""
    starts, titles = [], []
    line_starts = [0, *(m.end() for m in _HEADING_LINE_RE.finditer(text))]
    for line_start in line_starts:
        m = _HEADING_RE.match(text, line_start)
        if m:
            starts.append(m.start())
            titles.append(m.group(0).strip()[:60])
    return starts, titles


def extract_mentions(text: str) -> list[Mention]:
    """Every figure in `text`, in reading order, each with its exact span."""
    mask = build_mask(text)
    bounds = _sentence_bounds(text)
    heading_starts, heading_titles = _headings(text)
    found: list[tuple[int, int, float, str | None, bool]] = []
    for m in _SCAN_RE.finditer(text):
        if mask[m.start()] or not _accept(text, m, mask):
            continue
        pre = _prefix_before(text, m.start())
        parsed = _value_unit(m, pre)
        if parsed is None:
            continue
        value, unit, approx = parsed
        found.append((m.start() - len(pre), m.end(), value, unit, approx))
    for m in PERCENT_WORD_RE.finditer(text):
        if mask[m.start()]:
            continue
        parsed = parse_number(m.group("num"))
        if parsed is not None:
            found.append((m.start(), m.end(), parsed[0], "%", parsed[1]))
    found.sort()

    mentions: list[Mention] = []
    last_i, sentence, s_start = -1, "", 0
    for start, end, value, unit, approx in found:
        i = bisect.bisect_right(bounds, start)
        if i != last_i:  # figures of one sentence share its text
            last_i = i
            s_start = bounds[i - 1] if i > 0 else 0
            s_end = bounds[i] if i < len(bounds) else len(text)
            sentence = text[s_start:s_end]
            s_start += len(sentence) - len(sentence.lstrip())
            sentence = sentence.strip()
        h = bisect.bisect_right(heading_starts, start)
        mentions.append(
            # positional, in field order (value, unit, approx, raw_text, char_start, char_end,
            # context, section, sentence_start): three times cheaper than keywords
            Mention(
                value, unit, approx, text[start:end], start, end, sentence,
                heading_titles[h - 1] if h > 0 else None, s_start,
            )
        )  # fmt: skip
    return mentions
