"""The user's optional data/raw/sources.csv: fill or override body, report_year, source_url.

Columns: file, body, report_year, source_url (any may be blank). `file` names a file inside the
raw folder; a path that points outside it (absolute, or with ..) is refused, never followed.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SOURCES_FILE = "sources.csv"


@dataclass(frozen=True)
class SourceRow:
    body: str | None
    report_year: int | None
    source_url: str | None


def _safe_name(name: str) -> str | None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name):
        return None
    return str(p)


def load_sources(raw_dir: Path) -> dict[str, SourceRow]:
    """Rows keyed by the file's path relative to raw_dir. Problems are reported on stderr."""
    path = raw_dir / SOURCES_FILE
    if not path.is_file():
        return {}
    rows: dict[str, SourceRow] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for n, rec in enumerate(csv.DictReader(fh), start=2):
                name = (rec.get("file") or "").strip()
                if not name:
                    continue
                safe = _safe_name(name)
                if safe is None:
                    print(
                        f"warning: {path}:{n}: file '{name}' points outside {raw_dir}; ignored",
                        file=sys.stderr,
                    )
                    continue
                year_text = (rec.get("report_year") or "").strip()
                year = int(year_text) if year_text.isdigit() else None
                if year_text and year is None:
                    print(
                        f"warning: {path}:{n}: report_year '{year_text}' is not a year; ignored",
                        file=sys.stderr,
                    )
                rows[safe] = SourceRow(
                    body=(rec.get("body") or "").strip() or None,
                    report_year=year,
                    source_url=(rec.get("source_url") or "").strip() or None,
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"warning: {path}: cannot read ({exc}); ignored", file=sys.stderr)
        return {}
    return rows
