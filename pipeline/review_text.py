"""`python -m pipeline review --report FILE`: one report's figures in the terminal, for quick
checks over ssh. Each figure: its offset, value, unit, approx flag, indicator (or none), whether
it is the panel's value, was reviewed or is flagged, and its sentence with the number marked
【176名】. Reads the published warehouse read-only."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import duckdb

from pipeline import warehouse
from pipeline.review_data import correction_line, figure_label, find_report, load, marked_sentence

WIDTH = 120  # sentence characters shown around the figure


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def print_report(db_path: Path, name: str, only_indicators: bool = False) -> int:
    try:
        return _print_report(db_path, name, only_indicators)
    except BrokenPipeError:  # `review ... | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout must stay open until exit)
        return 0


def _print_report(db_path: Path, name: str, only_indicators: bool) -> int:
    if warehouse.missing(db_path):
        return 2
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as exc:
        return _err(f"{db_path}: cannot open the warehouse ({str(exc).splitlines()[0]})")
    try:
        ids, problem = find_report(con, name)
        if not ids:
            return _err(problem)
        data = load(con, ids)
    except duckdb.Error as exc:
        return _err(f"{db_path}: cannot read it ({str(exc).splitlines()[0]})")
    finally:
        con.close()
    r = data.reports[0]
    figures = data.mentions
    with_ind = [m for m in figures if isinstance(m["indicator_id"], str)]
    year = r["report_year"] or "year unknown"
    body = r["body"] if isinstance(r["body"], str) else "body unknown"
    print(
        f"{r['source_file']} · {body} · {year} · status {r['status']} · report_id {r['report_id']}"
    )
    print(f"{len(figures)} figures, {len(with_ind)} with an indicator")
    for m in with_ind if only_indicators else figures:
        ind = m["indicator_id"] if isinstance(m["indicator_id"], str) else "none"
        name_zh = data.indicators.get(ind, ("",))[0]
        checks = ", ".join(f["check_id"] for f in data.flags.get(m["mention_id"], []))
        marks = [
            "in panel" if m["in_panel"] else "",
            "reviewed" if m["reviewed"] else "",
            f"flagged: {checks}" if checks else "",
        ]
        approx = "approx" if m["approx"] else "exact"
        unit = m["unit"] if isinstance(m["unit"], str) else "(no unit)"
        value = figure_label({**m, "unit": None, "approx": False})
        head = f"[{m['char_start']}] {value} {unit} {approx} · {ind} {name_zh}".rstrip()
        extra = ", ".join(x for x in marks if x)
        print(f"\n{head}" + (f" · {extra}" if extra else ""))
        print(f"    {marked_sentence(m, width=WIDTH)}")
    corrections = data.corrections
    if corrections:
        print("\ncorrections.csv lines for this report:")
        for c in corrections:
            message = f": {c['message']}" if isinstance(c["message"], str) else ""
            print(f"  {c['status']}: {correction_line(c)}{message}")
    return 0
