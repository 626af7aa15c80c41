"""`pipeline evaluate --gold DIR`: score the pipeline against hand-labelled reports.

Scoring follows the labelling guide (tests/gold/LABELING.md, "How a pipeline is scored"):
- mentions: per report the multiset of (value, unit), ％ folded to %, 万元/亿元 to 元; P/R/F1
  summed over all reports;
- indicators: per report the set of distinct (indicator id, value) pairs;
- metadata: body and report_year, each scored only where the gold value is written in the text;
  a body matches when equal or differing only by a leading province/city prefix.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.run import RunOptions, build_warehouse


def fold(value: float, unit: str | None) -> tuple[float, str | None]:
    if unit == "％":
        unit = "%"
    if unit == "万元":
        value, unit = value * 10_000, "元"
    elif unit == "亿元":
        value, unit = value * 100_000_000, "元"
    return round(float(value), 4), unit


def _has_place(name: str) -> bool:
    return any(
        ch in "省市区县旗州盟镇乡" and name[i + 1 : i + 2] != "场" for i, ch in enumerate(name)
    )


def _strip_prefix_variants(body: str) -> list[str]:
    """重庆市南川区X委员会 -> [itself, 南川区X委员会]: drop leading province/city levels while a
    place name remains (so 益阳市教育局 never reduces to a bare 教育局)."""
    variants, rest = [body], body
    while True:
        cut = next(
            (i + 1 for i, ch in enumerate(rest) if ch in "省市" and rest[i + 1 : i + 2] != "场"),
            None,
        )
        if cut is None or not _has_place(rest[cut:]):
            break
        rest = rest[cut:]
        variants.append(rest)
    return variants


def body_matches(pred: str | None, gold: str) -> bool:
    if not pred:
        return False
    return pred in _strip_prefix_variants(gold) or gold in _strip_prefix_variants(pred)


def body_is_stated(gold: str, text: str) -> bool:
    return any(v in text for v in _strip_prefix_variants(gold) if len(v) >= 3)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: Counter, pred: Counter) -> tuple[Counter, Counter]:
        hit = gold & pred
        self.tp += sum(hit.values())
        self.fp += sum((pred - gold).values())
        self.fn += sum((gold - pred).values())
        return gold - pred, pred - gold

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, name: str) -> str:
        return f"{name} P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f}"


def _fmt(counter: Counter) -> str:
    items = []
    for key, n in sorted(counter.items(), key=str):
        items.append(f"{key}" + (f" x{n}" if n > 1 else ""))
    return ", ".join(items)


def evaluate(gold_dir: Path, verbose: bool = False) -> int:
    golds = {
        p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))
    }
    golds = {k: v for k, v in golds.items() if (gold_dir / f"{k}.txt").is_file()}
    if not golds:
        print(f"error: no NNN.txt + NNN.json pairs in {gold_dir}")
        return 2
    with tempfile.TemporaryDirectory(prefix="pipeline-eval-") as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        for stem in golds:
            shutil.copyfile(gold_dir / f"{stem}.txt", raw / f"{stem}.txt")
        db = Path(tmp) / "eval.duckdb"
        build_warehouse(RunOptions(raw_dir=raw, db_path=db, notebooks=False, quiet=True))
        con = duckdb.connect(str(db), read_only=True)
        reports = con.execute(
            "select report_id, source_file, body, report_year from reports"
        ).fetchall()
        by_stem = {Path(src).stem: (rid, body, year) for rid, src, body, year in reports}
        mentions = con.execute("select report_id, value, unit from mentions").fetchall()
        tables = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        observations = (
            con.execute("select report_id, indicator_id, value from observations").fetchall()
            if "observations" in tables
            else None
        )
        con.close()

    ment, ind = Score(), Score()
    body_ok = body_n = year_ok = year_n = 0
    for stem, gold in golds.items():
        text = (gold_dir / f"{stem}.txt").read_text(encoding="utf-8")
        rid, body, year = by_stem.get(stem, (None, None, None))
        pred_m = Counter(fold(v, u) for r, v, u in mentions if r == rid)
        gold_m = Counter(fold(m["value"], m["unit"]) for m in gold["mentions"])
        missed, extra = ment.add(gold_m, pred_m)
        lines = []
        if missed or extra:
            lines.append(f"  mentions missed: {_fmt(missed)}" if missed else "")
            lines.append(f"  mentions extra:  {_fmt(extra)}" if extra else "")
        if observations is not None:
            pred_i = Counter({(i, round(v, 4)): 1 for r, i, v in observations if r == rid})
            gold_i = Counter(
                {(i["id"], round(float(i["value"]), 4)): 1 for i in gold["indicators"]}
            )
            missed_i, extra_i = ind.add(gold_i, pred_i)
            if missed_i:
                lines.append(f"  indicators missed: {_fmt(missed_i)}")
            if extra_i:
                lines.append(f"  indicators extra:  {_fmt(extra_i)}")
        if gold.get("body") and body_is_stated(gold["body"], text):
            body_n += 1
            if body_matches(body, gold["body"]):
                body_ok += 1
            else:
                lines.append(f"  body: got {body!r}, gold {gold['body']!r}")
        if gold.get("report_year") and str(gold["report_year"]) in text:
            year_n += 1
            if year == gold["report_year"]:
                year_ok += 1
            else:
                lines.append(f"  report_year: got {year}, gold {gold['report_year']}")
        lines = [line for line in lines if line]
        if verbose and lines:
            print(f"{stem}:")
            print("\n".join(lines))
    meta_ok, meta_n = body_ok + year_ok, body_n + year_n
    parts = [
        f"{len(golds)} reports",
        ment.line("mentions"),
        ind.line("indicators") if observations is not None else "indicators n/a",
        f"metadata {meta_ok}/{meta_n} ({100 * meta_ok / max(meta_n, 1):.1f}%: "
        f"body {body_ok}/{body_n}, year {year_ok}/{year_n})",
    ]
    print(" | ".join(parts))
    return 0
