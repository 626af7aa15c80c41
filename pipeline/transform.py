"""SQL transforms: seed tables from data files, the .sql models in dependency order, their tests.

Every `pipeline/sql/<name>.sql` is one model: a single select that becomes the table `<name>`
(`create or replace table <name> as ...`). A model depends on the tables it reads (`from x`,
`join x`); models run after the ones they read. A column may name its storage compression in
schema.yml (`compression: zstd`, for long text). `pipeline/sql/_macros.sql` (scalar macros used by
the models) runs first. Then every test declared in `pipeline/sql/schema.yml` runs; a failing test
prints the table, the test and the first offending rows, and fails the run so that a warehouse
whose derived tables contradict their own definition is never published.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import yaml

from pipeline.paths import PACKAGE_DIR, SQL_DIR

if TYPE_CHECKING:
    from pipeline.run import RunOptions

COVERAGE_RATES_FILE = PACKAGE_DIR / "coverage_rates.yml"
CHECKS_FILE = PACKAGE_DIR / "checks.yml"
SCHEMA_FILE = SQL_DIR / "schema.yml"
MACROS_FILE = SQL_DIR / "_macros.sql"
# Tables the models read that another step builds; a clear message if one is missing.
UPSTREAM_TABLES = ("reports", "mentions", "report_texts", "indicators", "observations",
                   "indicator_panel")  # fmt: skip
SHOW_ROWS = 5


class TransformFailed(Exception):
    """A model could not be built or a declared test failed; the warehouse is not published."""


@dataclass(frozen=True)
class Model:
    name: str
    sql: str
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class TestResult:
    table: str
    test: str
    severity: str  # error | warn
    n_failing: int
    first_rows: pd.DataFrame

    @property
    def passed(self) -> bool:
        return self.n_failing == 0

    def describe(self) -> str:
        head = f"{self.table}: test {self.test} found {self.n_failing} offending row(s)"
        with pd.option_context("display.width", 200, "display.max_columns", 20):
            return head + "\n" + self.first_rows.to_string(index=False, max_colwidth=60)


# --- seeds: data files -> tables ------------------------------------------------------------


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TransformFailed(f"{path}: cannot read: {exc}") from exc


def seed_frames() -> dict[str, pd.DataFrame]:
    """The data files as tables: rate definitions, claims, unit families, check settings."""
    rates = _read_yaml(COVERAGE_RATES_FILE)["rates"]
    checks = _read_yaml(CHECKS_FILE)
    rate_cols = ["rate_id", "numerator_id", "denominator_id", "scale", "unit", "name_zh", "name_en"]
    claims = [{"rate_id": r["rate_id"], **c} for r in rates for c in r.get("claims", []) or []]
    exclusions = [
        (c["rate_id"], c["claim_indicator_id"], ind)
        for c in claims
        for ind in c.get("denominator_may_exclude", []) or []
    ]
    settings = {k: v for k, v in checks.items() if not isinstance(v, list | dict)}
    return {
        "rate_definitions": pd.DataFrame([{c: r[c] for c in rate_cols} for r in rates]).astype(
            {"scale": "float64"}
        ),
        "rate_claims": pd.DataFrame(
            claims,
            columns=[
                "rate_id",
                "claim_indicator_id",
                "denominator_word",
                "if_short",
                "denominator_word_zh",
                "if_short_zh",
            ],  # fmt: skip
        ),
        "rate_claim_exclusions": pd.DataFrame(
            exclusions, columns=["rate_id", "claim_indicator_id", "indicator_id"]
        ),
        "unit_families": pd.DataFrame(
            [(u, fam) for fam, units in checks["unit_families"].items() for u in units],
            columns=["unit", "family"],
        ),
        "part_list_markers": pd.DataFrame({"marker": checks["part_list_markers"]}),
        "single_valued_indicators": pd.DataFrame(
            {"indicator_id": checks["single_valued_indicators"]}
        ),
        "restated_skip_words": pd.DataFrame({"word": checks["restated_skip_words"]}),
        "check_settings": pd.DataFrame(
            {"name": list(settings), "value": [float(v) for v in settings.values()]}
        ),
    }


def load_seeds(con: duckdb.DuckDBPyConnection) -> None:
    for name, frame in seed_frames().items():
        # text columns stay text even when a seed is empty (no claims, no exclusions)
        frame = frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object})
        con.register("_seed", frame)
        con.execute(f"create or replace table {name} as select * from _seed")
        con.unregister("_seed")


# --- models ----------------------------------------------------------------------------------

_REF_RE = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)


def discover_models(sql_dir: Path = SQL_DIR) -> list[Model]:
    """Every <name>.sql (not starting with _) in sql_dir, with the models it reads."""
    files = sorted(p for p in sql_dir.glob("*.sql") if not p.name.startswith("_"))
    names = {p.stem for p in files}
    models = []
    for path in files:
        sql = path.read_text(encoding="utf-8").strip().rstrip(";")
        refs = {m.lower() for m in _REF_RE.findall(_strip_comments(sql))}
        models.append(Model(path.stem, sql, tuple(sorted((refs & names) - {path.stem}))))
    return models


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def in_dependency_order(models: list[Model]) -> list[Model]:
    """Topological order, ties by name so every run is the same; a cycle is an error."""
    by_name = {m.name: m for m in models}
    done: list[Model] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(model: Model) -> None:
        if model.name in seen:
            return
        if model.name in visiting:
            raise TransformFailed(f"models read each other in a cycle through {model.name}")
        visiting.add(model.name)
        for dep in model.depends_on:
            visit(by_name[dep])
        visiting.discard(model.name)
        seen.add(model.name)
        done.append(model)

    for model in sorted(models, key=lambda m: m.name):
        visit(model)
    return done


def build_models(con: duckdb.DuckDBPyConnection, sql_dir: Path = SQL_DIR) -> list[str]:
    """Create every model table; returns their names in the order built."""
    existing = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    missing = [t for t in UPSTREAM_TABLES if t not in existing]
    if missing:
        raise TransformFailed(
            "the transforms read " + ", ".join(missing) + ", which no earlier step built "
            "(the indicators step must run before the transforms)"
        )
    macros = sql_dir / MACROS_FILE.name
    if macros.exists():
        con.execute(macros.read_text(encoding="utf-8"))
    models = in_dependency_order(discover_models(sql_dir))
    compression = column_compression(sql_dir / SCHEMA_FILE.name)
    stray = sorted(set(compression) - {m.name for m in models})
    if stray:  # the ingest tables are declared in Python (warehouse.DDL), not here
        raise TransformFailed(
            f"schema.yml: compression given for {', '.join(stray)}, not a SQL model in {sql_dir}"
        )
    built = []
    for model in models:
        try:
            _build_model(con, model, compression.get(model.name, {}))
        except duckdb.Error as exc:
            raise TransformFailed(
                f"model {model.name} ({sql_dir / model.name}.sql): {exc}"
            ) from exc
        built.append(model.name)
    return built


def column_compression(schema_file: Path) -> dict[str, dict[str, str]]:
    """{model: {column: compression}} for the columns of schema.yml that name one."""
    if not schema_file.exists():
        return {}
    out: dict[str, dict[str, str]] = {}
    for model in _read_yaml(schema_file).get("models", []) or []:
        named = {
            c["name"]: c["compression"]
            for c in model.get("columns", []) or []
            if "compression" in c
        }
        if named:
            out[model["name"]] = named
    return out


def _build_model(con: duckdb.DuckDBPyConnection, model: Model, compression: dict[str, str]) -> None:
    if not compression:
        con.execute(f"create or replace table {model.name} as\n{model.sql}")
        return
    # `create table ... as` cannot name a column's compression: the table is declared from the
    # model's own column types, then filled
    columns = con.execute(f"describe select * from (\n{model.sql}\n)").fetchall()
    unknown = sorted(set(compression) - {c[0] for c in columns})
    if unknown:
        raise TransformFailed(
            f"schema.yml: compression given for {', '.join(unknown)}, "
            f"not a column of model {model.name}"
        )
    declared = ", ".join(
        f'"{name}" {type_}'
        + (f" using compression {compression[name]}" if name in compression else "")
        for name, type_, *_ in columns
    )
    con.execute(f"create or replace table {model.name} ({declared})")
    con.execute(f"insert into {model.name}\n{model.sql}")


# --- tests -----------------------------------------------------------------------------------


def _quote_list(values: list[Any]) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def _column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe {table}").fetchall()}


def _test_query(table: str, column: str | None, kind: str, args: Any, types: dict) -> str:
    """SQL returning the rows that break one test (none = pass)."""
    if kind == "not_null":
        return f"select * from {table} where {column} is null"
    if kind == "unique":
        return (
            f"select {column}, count(*) as n_rows from {table} where {column} is not null "
            f"group by all having count(*) > 1"
        )
    if kind == "unique_combination":
        cols = ", ".join(args["columns"])
        return f"select {cols}, count(*) as n_rows from {table} group by all having count(*) > 1"
    if kind == "accepted_values":
        return (
            f"select * from {table} where {column} is not null "
            f"and {column} not in ({_quote_list(args['values'])})"
        )
    if kind == "relationships":
        target, field = args["to"], args["field"]
        if types.get(column, "").endswith("[]"):  # a list of ids: every element must exist
            # the lists are flattened once: a subquery over each row's own list is slower
            return (
                f"select * from {table} where rowid in (select rid from "
                f"(select rowid as rid, unnest({column}) as id from {table}) "
                f"where id not in (select {field} from {target} where {field} is not null))"
            )
        return (
            f"select * from {table} where {column} is not null "
            f"and {column} not in (select {field} from {target} where {field} is not null)"
        )
    if kind == "expression_is_true":
        return f"select * from {table} where not coalesce(({args['expression']}), false)"
    raise TransformFailed(f"schema.yml: unknown test '{kind}' on {table}")


def _iter_tests(model: dict) -> list[tuple[str | None, str, Any]]:
    """(column or None, test kind, arguments) for every test of one model in schema.yml."""
    out: list[tuple[str | None, str, Any]] = []

    def add(column: str | None, spec: Any) -> None:
        if isinstance(spec, str):
            out.append((column, spec, {}))
        else:
            ((kind, args),) = spec.items()
            out.append((column, kind, args or {}))

    for spec in model.get("tests", []) or []:
        add(None, spec)
    for col in model.get("columns", []) or []:
        for spec in col.get("tests", []) or []:
            add(col["name"], spec)
    return out


def run_tests(con: duckdb.DuckDBPyConnection, schema_file: Path | None = None) -> list[TestResult]:
    """Every test in schema.yml, plus: each declared column exists in its table."""
    schema = _read_yaml(schema_file or SCHEMA_FILE)
    results = []
    for model in schema["models"]:
        table = model["name"]
        types = _column_types(con, table)
        declared = [c["name"] for c in model.get("columns", []) or []]
        absent = [c for c in declared if c not in types]
        results.append(
            TestResult(
                table,
                "declared columns exist",
                "error",
                len(absent),
                pd.DataFrame({"missing_column": absent}),
            )  # fmt: skip
        )
        for column, kind, args in _iter_tests(model):
            if column in absent:
                continue
            query = _test_query(table, column, kind, args, types)
            n = con.execute(f"select count(*) from ({query})").fetchall()[0][0]
            first = con.execute(f"{query} limit {SHOW_ROWS}").df() if n else pd.DataFrame()
            label = (
                kind
                + (f"({column})" if column else "")
                + (f" {args}" if args and kind != "accepted_values" else "")
            )
            results.append(TestResult(table, label, args.get("severity", "error"), n, first))
    return results


def run_transforms(con: duckdb.DuckDBPyConnection, options: RunOptions | None = None) -> None:
    """The warehouse step: seeds, models, tests. Raises TransformFailed on an error-level test."""
    load_seeds(con)
    build_models(con)
    failed = []
    for result in run_tests(con):
        if result.passed:
            continue
        print(("warning: " if result.severity == "warn" else "error: ") + result.describe(),
              file=sys.stderr)  # fmt: skip
        if result.severity != "warn":
            failed.append(f"{result.table}: {result.test}")
    if failed:
        raise TransformFailed(
            "transform tests failed, the previous warehouse is kept: " + "; ".join(failed)
        )
