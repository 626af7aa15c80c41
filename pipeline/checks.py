"""The consistency findings for people: `python -m pipeline checks` and consistency_checks.csv.

Both read the published warehouse (read-only); the findings themselves are built by the SQL
models in pipeline/sql/ (see consistency_checks.sql).
"""

from __future__ import annotations

import shutil
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from pipeline import warehouse

if TYPE_CHECKING:
    from pipeline.run import RunOptions

CSV_NAME = "consistency_checks.csv"
COLUMNS = ["body", "report_year", "check_id", "severity", "message", "message_zh", "figures",
           "mention_ids", "report_id", "source_file", "finding_id"]  # fmt: skip


class NoFindings(Exception):
    """The warehouse cannot be read or has no consistency_checks table."""


# the order findings are listed and exported in
ORDER_BY = "body nulls last, report_year, severity, check_id, finding_id"


def _findings_columns(db_path: Path) -> list[str]:
    """The COLUMNS that the warehouse's consistency_checks has; NoFindings says why none."""
    if not db_path.exists():
        raise NoFindings(f"no warehouse at {db_path}; build it with `python -m pipeline run`")
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        raise NoFindings(f"{db_path}: cannot open the warehouse: {exc}") from exc
    try:
        found = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_name = 'consistency_checks'"
            ).fetchall()
        }
    finally:
        con.close()
    if not found:
        raise NoFindings(
            f"{db_path} has no consistency_checks table (built by an older version); "
            "rebuild it with `python -m pipeline run`"
        )
    return [c for c in COLUMNS if c in found]


def _findings_sql(columns: list[str]) -> str:
    """The findings with the mention ids joined by "; " (one cell in a table or a CSV file)."""
    cells = [
        "array_to_string(mention_ids, '; ') as mention_ids" if c == "mention_ids" else c
        for c in columns
    ]
    return f"select {', '.join(cells)} from consistency_checks"


def load_findings(db_path: Path) -> pd.DataFrame:
    sql = _findings_sql(_findings_columns(db_path))
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(f"{sql} order by {ORDER_BY}").df()
    finally:
        con.close()


def export_csv(db_path: Path, options: RunOptions | None = None) -> Path:
    """The export step: consistency_checks.csv next to the warehouse, UTF-8 with BOM for Excel."""
    sql = _findings_sql(_findings_columns(db_path))
    order = ", ".join(f"q.{part}" for part in ORDER_BY.split(", "))
    return warehouse.write_csv(db_path, sql, order, db_path.parent / CSV_NAME)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _wrap(text: str, width: int) -> list[str]:
    """Cut text into lines of at most `width` columns, at spaces where possible."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if _width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while _width(word) > width:  # a long run of CJK text: cut by columns
            cut, used = 0, 0
            while cut < len(word) and used + _width(word[cut]) <= width:
                used += _width(word[cut])
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


def format_table(findings: pd.DataFrame, width: int = 120, lang: str = "zh") -> str:
    """body | year | check | message, the message wrapped under its own column."""
    column = "message_zh" if lang == "zh" and "message_zh" in findings.columns else "message"
    rows = [
        (
            str(r.body) if pd.notna(r.body) else "(body unknown)",
            str(int(r.report_year)) if pd.notna(r.report_year) else "",
            f"{r.check_id} ({r.severity})",
            str(getattr(r, column)),
        )
        for r in findings.itertuples()
    ]
    header = ("body", "year", "check", "message")
    widths = [max(_width(x[i]) for x in [header, *rows]) for i in range(3)]
    indent = sum(widths) + 6
    message_width = max(40, width - indent)
    out = []
    for row in [header, *rows]:
        lead = "  ".join(_pad(row[i], widths[i]) for i in range(3)) + "  "
        lines = _wrap(row[3], message_width)
        out.append(lead + lines[0])
        out.extend(" " * indent + line for line in lines[1:])
    return "\n".join(out)


def checks_command(
    db_path: Path, check: str | None = None, severity: str | None = None, lang: str = "zh"
) -> int:
    """Print the findings as a table; exit code 0 whether or not there are findings."""
    try:
        findings = load_findings(db_path)
    except NoFindings as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if check:
        findings = findings[findings["check_id"] == check]
    if severity:
        findings = findings[findings["severity"] == severity]
    if findings.empty:
        print("no findings: every check passed on the reports in the warehouse")
        return 0
    print(format_table(findings, width=shutil.get_terminal_size((120, 24)).columns, lang=lang))
    counts = findings["severity"].value_counts()
    print(
        f"\n{len(findings)} finding(s): "
        + ", ".join(f"{n} {sev}" for sev, n in counts.items())
        + f". Evidence spans: mention_ids in table consistency_checks of {db_path}"
    )
    return 0
