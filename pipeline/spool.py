"""Hand-over of a batch's rows from a worker process to the loader, as Arrow files on disk.

A worker turns its batch's mentions, indicator matches and texts into Arrow tables itself and
writes them as uncompressed Arrow IPC files into a spool folder beside the warehouse being built.
The main process only memory-maps them and appends them to DuckDB: no figure or text is pickled
between processes or turned into Python objects twice. It is also the shape the work takes past
one machine (README, "Scale and speed"): a task per batch writing columnar files that DuckDB reads.

Every row carries `_slot`, the file's position in its batch, so that the loader can leave out the
rows of a file it decides not to load (a byte-identical copy of a file already loaded).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

SLOT = "_slot"
# Column types that are not text. Fixed types: a batch where a column holds only nulls must still
# have the type of the other batches.
_TYPES = {
    "value": pa.float64(),
    "approx": pa.bool_(),
    "char_start": pa.int64(),
    "char_end": pa.int64(),
    "sentence_start": pa.int64(),
    SLOT: pa.int32(),
}


def schema_for(columns: list[str]) -> pa.Schema:
    # text as large_string: pyarrow converts a long Python str to it several times faster than
    # to string (a report's text is 5-30 thousand characters); DuckDB reads both as VARCHAR
    return pa.schema([(c, _TYPES.get(c, pa.large_string())) for c in [*columns, SLOT]])


def write_batch(
    spool_dir: Path, batch_no: int, tables: dict[str, dict[str, list]]
) -> dict[str, Path]:
    """Write each table (columns as lists, with a `_slot` column) of one batch; returns the paths
    of the tables that have rows."""
    paths = {}
    for name, columns in tables.items():
        if not columns[SLOT]:
            continue
        table = pa.table(columns, schema=schema_for([c for c in columns if c != SLOT]))
        path = spool_dir / f"{batch_no:07d}.{name}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        paths[name] = path
    return paths


def read_table(path: Path, dropped_slots: list[int]) -> pa.Table:
    """One spooled table without its `_slot` column and without the rows of dropped files."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    if dropped_slots:
        dropped = pa.array(dropped_slots, table[SLOT].type)
        keep = pc.invert(pc.is_in(table[SLOT], value_set=dropped))
        table = table.filter(keep)
    return table.drop_columns([SLOT])
