"""A synthetic corpus for benchmarks, built from the real reports in data/raw.

Each synthetic report is a real report's title line with a new body and year, followed by
paragraphs drawn from the real reports until it reaches a realistic length (5-30 thousand
characters), with every Arabic figure perturbed. No two outputs are byte-identical, so nothing
collapses into a duplicate, and the text keeps the genre's phrasing the extractor must handle.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.readers.text import ReadError, decode_bytes

PLACES = "安平宁和丰泰兴华昌盛临江河山清源德永新长春阳城云溪东西南北中"
LEVELS = ("县", "区", "市")
DEPARTMENTS = (
    "教育局",
    "司法局",
    "公安局",
    "市场监管局",
    "人民政府",
    "卫生健康委员会",
    "应急管理局",
)
_ARABIC_RE = re.compile(r"(?<![0-9.])([1-9][0-9]{0,4})(?![0-9年月日号])")


def load_paragraphs(raw_dir: Path) -> list[str]:
    """Paragraphs of every readable .txt report in raw_dir (lines of 30+ characters)."""
    paragraphs: list[str] = []
    for path in sorted(raw_dir.glob("*.txt")):
        try:
            text, _ = decode_bytes(path.read_bytes())
        except (OSError, ReadError):
            continue
        paragraphs.extend(line.strip() for line in text.splitlines() if len(line.strip()) >= 30)
    return paragraphs


def _perturb(paragraph: str, rng: random.Random) -> str:
    def repl(m: re.Match[str]) -> str:
        value = int(m.group(1))
        return str(max(1, int(value * rng.uniform(0.6, 1.6))))

    return _ARABIC_RE.sub(repl, paragraph)


def synthetic_reports(raw_dir: Path, n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """Yield (file name, text) for n synthetic reports."""
    paragraphs = load_paragraphs(raw_dir)
    if not paragraphs:
        raise ValueError(f"no readable .txt reports in {raw_dir} to build a synthetic corpus from")
    rng = random.Random(seed)
    for i in range(n):
        place = "".join(rng.choice(PLACES) for _ in range(2)) + rng.choice(LEVELS)
        body = place + rng.choice(DEPARTMENTS)
        year = rng.randint(2019, 2025)
        target = rng.randint(5_000, 30_000)
        parts = [
            f"{body}{year}年度法治政府建设工作报告",
            f"{year}年，{body}坚持以习近平法治思想为指导。",
        ]
        size = sum(len(p) for p in parts)
        while size < target:
            para = _perturb(rng.choice(paragraphs), rng)
            parts.append(para)
            size += len(para) + 1
        parts.append(f"编号{i}")  # guarantees distinct bytes even for identical draws
        yield f"synthetic_{i:06d}.txt", "\n".join(parts)


def write_corpus(raw_dir: Path, out_dir: Path, n: int, seed: int = 0) -> int:
    """Write n synthetic reports into out_dir; return the total number of characters."""
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, text in synthetic_reports(raw_dir, n, seed):
        (out_dir / name).write_text(text, encoding="utf-8")
        total += len(text)
    return total
