"""Export step: execute notebooks/NN-*.py into data/processed/notebooks/ as .ipynb and .html.

The notebooks are jupytext "percent" .py files (reviewable in git, no stored outputs). Each is
run top to bottom in a fresh kernel of the Python running the pipeline, with the warehouse path
injected after its `parameters` cell, then saved with its outputs as .ipynb and as a
self-contained .html (charts embedded) that opens in any browser.

A notebook that fails is still written (its outputs up to the failing cell, with the error) and
the run is told which notebook and which cell failed, in one line, without a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pipeline import paths

NOTEBOOK_PATTERN = "[0-9][0-9]-*.py"
CELL_TIMEOUT_S = 600


class NotebookFailed(Exception):
    """One or more notebooks did not run to the end; the message says which and where."""


@dataclass
class Outcome:
    source: Path
    ipynb: Path
    html: Path
    error: str | None = None  # one line: which cell, which line, what error


def export_notebooks(db_path: Path, options) -> None:
    """Registered in run.EXPORT_STEPS after the figures; skipped with --no-notebooks."""
    if not options.notebooks:
        return
    out_dir = db_path.parent / "notebooks"
    outcomes = run_all(db_path, out_dir, quiet=options.quiet)
    failed = [o.source.name for o in outcomes if o.error]
    if failed:
        raise NotebookFailed(
            f"{len(failed)} of {len(outcomes)} notebook(s) failed: {', '.join(failed)}"
        )


def notebooks_command(db_path: Path, figures_dir: Path | None = None) -> int:
    """`python -m pipeline notebooks`: charts and notebooks again, without rebuilding the
    warehouse (e.g. after editing a notebook). Exit code 4 if a notebook failed."""
    from pipeline import warehouse
    from pipeline.figures import log_stderr, write_figures

    if warehouse.missing(db_path):
        return 2
    try:
        with warehouse.run_lock(db_path):  # a run in progress would replace the file under us
            if figures_dir is not None:
                drawn = write_figures(db_path, figures_dir, os.cpu_count() or 1, log_stderr)
                print(f"{len(drawn)} chart(s) -> {figures_dir}", file=sys.stderr)
            outcomes = run_all(db_path, db_path.parent / "notebooks")
    except warehouse.WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 4 if any(o.error for o in outcomes) else 0


def notebook_sources(folder: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    return sorted(folder.glob(NOTEBOOK_PATTERN))


def run_all(db_path: Path, out_dir: Path, quiet: bool = False) -> list[Outcome]:
    """Execute every notebook, all at once (each in its own kernel: most of a notebook's time is
    kernel start-up and imports, which overlap well)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = notebook_sources()
    outcomes = asyncio.run(_run_together(sources, db_path, out_dir))
    for outcome in outcomes:
        if outcome.error:
            print(f"error: {outcome.error} (partial output: {outcome.html})", file=sys.stderr)
        elif not quiet:
            print(f"notebook {outcome.source.name} -> {outcome.html}", file=sys.stderr)
    return outcomes


async def _run_together(sources: list[Path], db_path: Path, out_dir: Path) -> list[Outcome]:
    return list(await asyncio.gather(*(_run(s, db_path, out_dir) for s in sources)))


def run_notebook(source: Path, db_path: Path, out_dir: Path) -> Outcome:
    """Execute one notebook; write .ipynb and .html whether or not it succeeded."""
    return asyncio.run(_run(source, db_path, out_dir))


async def _run(source: Path, db_path: Path, out_dir: Path) -> Outcome:
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = jupytext.read(source)
    inject_parameters(nb, {"WAREHOUSE": str(Path(db_path).resolve())})
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    sockets = tempfile.TemporaryDirectory(prefix="fazhi-kernel-")
    client = NotebookClient(
        nb,
        km=this_python_kernel(Path(sockets.name)),
        timeout=CELL_TIMEOUT_S,
        record_timing=False,  # no timestamps in the output: same data, same notebook
        resources={"metadata": {"path": str(paths.ROOT)}},  # the kernel's working directory
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = Outcome(source, out_dir / f"{source.stem}.ipynb", out_dir / f"{source.stem}.html")
    try:
        # the kernel manager is ours (see this_python_kernel), so nbclient would leave the kernel
        # running unless told to shut it down
        await client.async_execute(cleanup_kc=True)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        outcome.error = describe_failure(source, nb, exc)
    except Exception as exc:  # kernel could not start, etc.: still one clear line
        outcome.error = f"notebook {_shown(source)} could not run: {type(exc).__name__}: {exc}"
    finally:
        sockets.cleanup()
    nbformat.write(nb, outcome.ipynb)
    outcome.html.write_text(to_html(nb), encoding="utf-8")
    return outcome


def this_python_kernel(socket_dir: Path):
    """A kernel manager that starts `sys.executable -m ipykernel_launcher`.

    Looking a kernel up by name ("python3") would take whatever kernelspec the user's machine has
    first in its Jupyter path (often ~/.local/share/jupyter, possibly another Python without
    this project's packages). The notebooks must run with the interpreter of this venv.
    """
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                display_name="Python 3",
                language="python",
                resource_dir="",
            )

    # local IPC sockets in a private folder where available: no open TCP port, and no
    # "running over TCP without encryption" warning in the run's output
    if os.name == "posix":
        options = {"transport": "ipc", "ip": str(socket_dir / "kernel")}
    else:
        options = {"transport": "tcp"}
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=ThisPython(), **options)


def inject_parameters(nb, values: dict[str, str]) -> None:
    """Put `NAME = value` lines in a cell right after the cell tagged `parameters` (papermill's
    convention), so the executed notebook records which warehouse it read."""
    import nbformat

    source = "# injected by the pipeline run\n" + "\n".join(
        f"{k} = {v!r}" for k, v in values.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    cell["id"] = "injected-parameters"  # fixed, not random: same inputs give the same notebook
    at = next(
        (
            i + 1
            for i, c in enumerate(nb.cells)
            if "parameters" in c.get("metadata", {}).get("tags", [])
        ),
        0,
    )
    nb.cells.insert(at, cell)
    nbformat.validator.normalize(nb)


def describe_failure(source: Path, nb, exc: Exception) -> str:
    """'notebook X failed in cell N (line L of X): KeyError: ...' from the executed notebook."""
    failing = next(
        (
            (i, cell)
            for i, cell in enumerate(nb.cells)
            if any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        ),
        None,
    )
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = str(getattr(exc, "evalue", "") or exc).strip()
    first = evalue.splitlines()[0] if evalue else ""  # e.g. DuckDB errors run over many lines
    what = f"{ename}: {first[:200]}"
    if failing is None:  # timeout or dead kernel: the cell being run is the first without outputs
        return f"notebook {_shown(source)} failed: {what}"
    index, cell = failing
    code_cells = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    position = code_cells.index(cell) + 1 if cell in code_cells else index + 1
    line = source_line_of(source, cell.source)
    where = f"cell {position}" + (f" (from line {line} of {_shown(source)})" if line else "")
    return f"notebook {_shown(source)} failed in {where}: {what}"


def source_line_of(source: Path, cell_source: str) -> int | None:
    """Line in the .py where this cell's code starts (first line of the cell found verbatim)."""
    first = next((ln for ln in cell_source.splitlines() if ln.strip()), None)
    if first is None:
        return None
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if line == first:
            return number
    return None


def to_html(nb) -> str:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return body


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)
