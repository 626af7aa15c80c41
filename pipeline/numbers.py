"""Number grammar: the written forms a figure takes in the genre, as pure functions.

Arabic digits (half- or full-width, with thousands separators and decimals), Chinese numerals
(二十三, 一百二十, 两), the scale words 千/万/亿 and the approximation markers (余, 多, 近, 约, 超,
逾, 以上, 左右). Nothing here knows about sentences; `extract.py` decides what is a figure.
"""

from __future__ import annotations

import math
import unicodedata

CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9,
}  # fmt: skip
CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
SCALE_WORDS = {"千": 1_000, "万": 10_000, "亿": 100_000_000}

# Markers that make a figure approximate or a bound (LABELING.md). 达 is deliberately absent.
APPROX_PREFIXES = (
    "将近",
    "接近",
    "超过",
    "大约",
    "不少于",
    "不低于",
    "至少",
    "近",
    "约",
    "超",
    "逾",
)
APPROX_INFIXES = ("余", "多")
APPROX_SUFFIXES = ("以上", "以下", "以内", "左右")  # 以下/以内 are bounds, like 以上


def parse_arabic(text: str) -> float | None:
    """'1,234' -> 1234.0, '６.２' -> 6.2; None if it is not a plain decimal number."""
    s = unicodedata.normalize("NFKC", text).replace(",", "").replace("，", "")
    s = s.replace("．", ".")
    if not s or s.count(".") > 1 or s.startswith(".") or s.endswith("."):
        return None
    if not all(c.isdigit() or c == "." for c in s):
        return None
    try:
        value = float(s)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_cn_section(text: str) -> int | None:
    """A numeral below 万: 三百五十九, 二十三, 十五, 一千零八."""
    total = 0
    digit: int | None = None
    for ch in text:
        if ch in CN_DIGITS:
            if digit is not None and CN_DIGITS[ch] != 0:
                return None  # two digits in a row ("二三") is a sequence, not a number
            digit = CN_DIGITS[ch] if CN_DIGITS[ch] != 0 else None
        elif ch in CN_SMALL_UNITS:
            total += (digit if digit is not None else 1) * CN_SMALL_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def parse_chinese(text: str) -> int | None:
    """'二十三' -> 23, '三百五十九' -> 359, '六万二千' -> 62000, '两' -> 2; None if malformed."""
    if not text or (text[0] not in CN_DIGITS and text[0] not in "十拾"):
        return None  # a bare 万 or 百 is a word (万校, 百强), not a number
    total = 0
    rest = text
    for big in ("亿", "万"):
        if big in rest:
            head, _, rest = rest.partition(big)
            part = _parse_cn_section(head) if head else 1
            if part is None:
                return None
            total += part * CN_BIG_UNITS[big]
    if rest:
        part = _parse_cn_section(rest)
        if part is None:
            return None
        total += part
    return total


def parse_number(text: str) -> tuple[float, bool] | None:
    """Parse one written figure without its unit: (value, approx), or None.

    Examples: '359' -> (359, False); '850余' -> (850, True); '6.2万' -> (62000, False);
    '30余万' -> (300000, True); '二十三' -> (23, False); '近6000' -> (6000, True).
    """
    s = text.strip()
    approx = False
    for prefix in APPROX_PREFIXES:
        if s.startswith(prefix):
            s, approx = s[len(prefix) :], True
            break
    for suffix in APPROX_SUFFIXES:
        if s.endswith(suffix):
            s, approx = s[: -len(suffix)], True
    scale = 1
    # peel trailing scale words and approximation infixes in any order: 30余万, 2.5万多
    changed = True
    while changed and s:
        changed = False
        if s[-1] in APPROX_INFIXES:
            s, approx, changed = s[:-1], True, True
        elif s[-1] in SCALE_WORDS and len(s) > 1 and (s[-2].isdigit() or s[-2] in "余多"):
            scale *= SCALE_WORDS[s[-1]]
            s, changed = s[:-1], True
    if not s:
        return None
    value = parse_arabic(s)
    if value is None and approx and s in ("百", "千", "万"):
        value = float(CN_SMALL_UNITS.get(s) or CN_BIG_UNITS[s])  # 百余人, 千余人次: about 100, 1000
    if value is None:
        cn = parse_chinese(s)
        if cn is None:
            return None
        value = float(cn)
    value = round(value * scale, 6)  # 2.3亿 is 230000000, not 229999999.99999997
    if not math.isfinite(value):
        return None
    return value, approx
