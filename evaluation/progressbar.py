"""A text progress bar with an estimate of the time left, for long commands (on stderr)."""

import sys
import time
from typing import TextIO

WIDTH = 30


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class ProgressBar:
    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total = max(total, 1)
        self.stream = stream
        self.started = time.monotonic()
        # On a terminal the bar redraws in place; in a log, a line per step.
        self.interactive = stream.isatty()

    def update(self, done: int, note: str = "") -> None:
        filled = WIDTH * done // self.total
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (self.total - done) if done else None
        eta = f" ETA {format_seconds(left)}" if left is not None and done < self.total else ""
        line = (
            f"[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{self.total} "
            f"{100 * done // self.total:3d}%{eta} {note}"
        ).rstrip()
        if self.interactive:
            self.stream.write(f"\r{line}\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()
