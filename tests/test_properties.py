"""Properties that hold for every input, checked by hypothesis on generated and mutated input:
the number grammar never raises and reads back what was written; extraction never raises, its
spans slice back to the text (in Python and in DuckDB SQL) and its values are finite; ingest of
arbitrary bytes under any suffix ends in a status, never an exception."""

from __future__ import annotations

import math
from functools import lru_cache

import duckdb
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_files import docx_file, html_page, pdf_file

from pipeline.extract import extract_mentions
from pipeline.ingest import process_bytes
from pipeline.numbers import parse_chinese, parse_number
from pipeline.readers import ReadError, read_bytes

STATUSES = {
    "ok", "empty", "binary", "undecodable", "too_large", "unsupported_format", "read_error",
    "not_rule_of_law_report", "corrupt", "scanned_pdf", "encrypted",
}  # fmt: skip
# Characters the genre's figures are made of, so generated text often looks like a report.
GENRE = (
    "0123456789０１２３４５６７８９一二三四五六七八九十百千万亿两零〇壹贰"
    '所名人次件项个场余多近约超逾以上左右达第连续年月日号%％.,，。；：、（）()《》“”"-—~ \n\u3000'
    "法治依法普法执法学校幼儿园开展培训审核万元亿元人次场次百分之"
)
genre_text = st.text(alphabet=st.sampled_from(GENRE), max_size=300)
any_text = st.one_of(genre_text, st.text(max_size=300))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """The standard written form: 10 -> 十, 105 -> 一百零五, 62000 -> 六万二千, 100005 -> 十万零五."""
    if n == 0:
        return "零"

    def below_10000(k: int, leading: bool) -> str:
        out, zero = "", False
        for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = k // size % 10
            if d:
                if zero and out:
                    out += "零"
                word = "" if (unit == "十" and d == 1 and leading and not out) else _DIGITS[d]
                out += word + unit
                zero = False
            elif out:
                zero = True
        return out

    parts = []
    for big, size in (("亿", 10**8), ("万", 10**4), ("", 1)):
        k = n // size % 10000 if size < 10**8 else n // size
        if k:
            if parts and k < 1000:
                parts.append("零")
            parts.append(below_10000(k, leading=not parts) + big)
        elif parts and parts[-1] != "零" and n % size:
            parts.append("零")
    return "".join(parts).replace("零零", "零")


@SETTINGS
@given(any_text)
def test_parse_number_never_raises_and_is_finite(text: str) -> None:
    parsed = parse_number(text)
    if parsed is not None:
        value, approx = parsed
        assert math.isfinite(value) and value >= 0
        assert isinstance(approx, bool)


@SETTINGS
@given(st.integers(min_value=0, max_value=99_999_999))
def test_chinese_numerals_read_back(n: int) -> None:
    assert parse_chinese(to_chinese(n)) == n


@SETTINGS
@given(
    st.integers(min_value=0, max_value=10**12),
    st.sampled_from(["", "余", "多"]),
    st.sampled_from([("", 1), ("万", 10_000), ("亿", 10**8)]),
    st.sampled_from(["", "近", "约", "超过"]),
)
def test_arabic_figures_read_back(n: int, infix: str, scale: tuple[str, int], prefix: str) -> None:
    word, factor = scale
    written = f"{prefix}{n:,}{infix}{word}" if n % 7 else f"{prefix}{n}{infix}{word}"
    value, approx = parse_number(written)
    assert math.isclose(value, n * factor, rel_tol=1e-15)  # floats hold 15-16 digits
    assert approx == bool(infix or prefix)


@SETTINGS
@given(any_text)
def test_extraction_spans_slice_back_and_values_are_finite(text: str) -> None:
    for m in extract_mentions(text):
        assert text[m.char_start : m.char_end] == m.raw_text
        assert math.isfinite(m.value)
        assert m.sentence_start <= m.char_start
        assert text[m.sentence_start : m.sentence_start + len(m.context)] == m.context


@settings(max_examples=60, deadline=None)
@given(genre_text.map(lambda t: "法治依法。" + t))
def test_spans_slice_back_in_duckdb_sql_too(text: str) -> None:
    # analysts check a figure in SQL: substring(text, char_start + 1, char_end - char_start)
    result = process_bytes("data/raw/x.txt", text.encode("utf-8"))
    if result.text is None or not result.mentions:
        return
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"text": [result.text]}))
    con.register("m", pd.DataFrame(result.mentions))
    bad = con.execute(
        "select count(*) from m, t "
        "where substring(t.text, m.char_start + 1, m.char_end - m.char_start) <> m.raw_text"
    ).fetchone()[0]
    con.close()
    assert bad == 0


SUFFIXES = ["", ".txt", ".html", ".htm", ".pdf", ".docx", ".doc", ".mht", ".md"]


def _check_ingest(name: str, data: bytes) -> None:
    result = process_bytes(name, data)
    report = result.report
    assert report["status"] in STATUSES, report
    assert report["message"] is None or "\n" not in report["message"]
    if result.text is None:
        assert not result.mentions
        return
    assert report["n_chars"] == len(result.text)
    for m in result.mentions:
        assert result.text[m.char_start : m.char_end] == m.raw_text
        assert math.isfinite(m.value)


@SETTINGS
@given(st.binary(max_size=2000), st.sampled_from(SUFFIXES))
def test_ingest_of_arbitrary_bytes_ends_in_a_status(data: bytes, suffix: str) -> None:
    _check_ingest(f"data/raw/x{suffix}", data)


@SETTINGS
@given(any_text, st.sampled_from(["utf-8", "gb18030", "utf-16"]), st.sampled_from(SUFFIXES))
def test_ingest_of_arbitrary_text_in_any_encoding(text: str, encoding: str, suffix: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # lone surrogates have no encoding: not a file anyone can have
        return
    _check_ingest(f"data/raw/x{suffix}", data)


@lru_cache(maxsize=1)
def _real_files() -> dict[str, bytes]:
    return {".pdf": pdf_file("002"), ".docx": docx_file("002"), ".html": html_page("002")}


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([".pdf", ".docx", ".html"]),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
    st.floats(0.05, 1.0),
)
def test_damaged_real_files_raise_only_read_errors(
    suffix: str, flips: list[tuple[float, int]], keep: float
) -> None:
    data = bytearray(_real_files()[suffix])
    for where, byte in flips:
        data[int(where * (len(data) - 1))] = byte
    data = bytes(data[: max(1, int(keep * len(data)))])
    try:
        doc = read_bytes(data, suffix)
    except ReadError as exc:
        assert exc.status in STATUSES and exc.message
        return
    assert isinstance(doc.text, str) and doc.text.strip()
    _check_ingest(f"data/raw/x{suffix}", data)
