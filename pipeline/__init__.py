"""Figures from Chinese rule-of-law government annual reports into a DuckDB warehouse."""

__version__ = "0.1.0"
