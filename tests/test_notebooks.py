"""Notebooks executed by a real pipeline run: they run to the end and talk about the input's bodies.

One pipeline run (with notebooks) is shared by the module: kernel start-up is slow.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import notebooks
from pipeline.run import RunOptions, run_exports
from tests.conftest import ROOT, copy_reports

SERIES = ["001", "002", "003", "004", "005"]
BODIES = ["宁县教育局", "白云区人民政府"]
NOTEBOOKS = ["01-overview", "02-year-on-year", "03-coverage-and-consistency"]


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("notebooks")
    raw = copy_reports(tmp / "raw", SERIES)
    out = tmp / "processed"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--raw", str(raw),
         "--db", str(out / "warehouse.duckdb"), "--figures", str(out / "figures")],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return out


def outputs_text(ipynb: Path) -> str:
    """Everything a reader sees in the executed notebook's outputs (text and HTML tables)."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    parts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for mime in ("text/plain", "text/html", "text/markdown"):
                parts.append("".join(output.get("data", {}).get(mime, "")))
    return "\n".join(parts)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_to_the_end_and_names_the_bodies(processed: Path, name: str) -> None:
    ipynb = processed / "notebooks" / f"{name}.ipynb"
    html = processed / "notebooks" / f"{name}.html"
    assert ipynb.exists() and html.exists()
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code_cells), "a cell did not run"
    text = outputs_text(ipynb)
    for body in BODIES:
        assert body in text, f"{body} not in the output of {name}"
    page = html.read_text(encoding="utf-8")
    assert "<html" in page and "宁县教育局" in page


def test_notebooks_show_charts_and_evidence_sentences(processed: Path) -> None:
    nb = json.loads((processed / "notebooks" / "02-year-on-year.ipynb").read_text("utf-8"))
    images = [
        o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    ]
    assert images, "no chart in 02-year-on-year"
    # the evidence table carries the source sentence of a figure (宁县教育局 2023: 法治副校长176名)
    assert "法治副校长" in outputs_text(processed / "notebooks" / "02-year-on-year.ipynb")
    html = (processed / "notebooks" / "02-year-on-year.html").read_text("utf-8")
    assert "data:image/png;base64" in html  # charts embedded: the page opens on its own


def test_a_failing_notebook_says_which_notebook_and_cell(processed: Path, tmp_path: Path) -> None:
    source = tmp_path / "99-broken.py"
    source.write_text(
        "# %% tags=['parameters']\nWAREHOUSE = None\n\n"
        "# %%\nimport sys\nprint(sys.executable)\n\n"
        "# %%\nshare = 1 / 0\n",
        encoding="utf-8",
    )
    outcome = notebooks.run_notebook(source, processed / "warehouse.duckdb", tmp_path / "out")
    assert outcome.error is not None
    assert "99-broken.py" in outcome.error
    assert "cell 3" in outcome.error and "line 9" in outcome.error
    assert "ZeroDivisionError" in outcome.error
    assert "Traceback" not in outcome.error and "\n" not in outcome.error
    # the partial notebook is written, and it ran on this very interpreter (the project's venv)
    assert outcome.html.exists()
    assert sys.executable in outputs_text(outcome.ipynb)


def test_a_failing_export_step_makes_the_run_fail_in_one_line(
    processed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(db_path: Path, options: RunOptions) -> None:
        raise notebooks.NotebookFailed("1 of 3 notebook(s) failed: 02-year-on-year.py")

    options = RunOptions(raw_dir=processed, db_path=processed / "warehouse.duckdb")
    assert run_exports(options, [("notebooks", broken)]) is False
    err = capsys.readouterr().err
    assert "02-year-on-year.py" in err and "Traceback" not in err
