"""Shared fixtures: real dev reports copied into a temporary raw folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "gold"


def copy_reports(dest: Path, stems: list[str]) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        shutil.copyfile(GOLD / f"{stem}.txt", dest / f"{stem}.txt")
    return dest


@pytest.fixture
def gold_dir() -> Path:
    return GOLD
