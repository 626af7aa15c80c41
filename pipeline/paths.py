"""Every path the project uses, defined once. Imports nothing from the package."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
RAW_DIR = ROOT / "data" / "raw"
PROCESSED_DIR = ROOT / "data" / "processed"
WAREHOUSE = PROCESSED_DIR / "warehouse.duckdb"
FIGURES_DIR = PROCESSED_DIR / "figures"
NOTEBOOKS_OUT_DIR = PROCESSED_DIR / "notebooks"
NOTEBOOKS_DIR = ROOT / "notebooks"
SQL_DIR = PACKAGE_DIR / "sql"
GOLD_DIR = ROOT / "tests" / "gold"
