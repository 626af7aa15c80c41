"""A one-line progress bar on stderr: files done / total and rate. Silent when not a terminal."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, what: str, enabled: bool = True, delay: float = 2.0) -> None:
        self.total, self.what, self.done_n = total, what, 0
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.monotonic()
        self.delay = delay  # runs shorter than this never show a bar
        self.last = 0.0
        self.shown = False

    def step(self, n: int = 1) -> None:
        self.done_n += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last < 0.2:
            return
        self.last = now
        rate = self.done_n / max(now - self.start, 1e-9)
        pct = 100 * self.done_n / max(self.total, 1)
        width = 30
        filled = int(width * self.done_n / max(self.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(
            f"\r[{bar}] {self.done_n}/{self.total} {self.what} ({pct:.0f}%) {rate:.0f}/s"
        )
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            self.clear()
            elapsed = time.monotonic() - self.start
            sys.stderr.write(f"{self.done_n} {self.what} in {elapsed:.1f}s\n")
