"""Progress of a long command: one line that updates itself in a terminal, plain lines elsewhere.

On a TTY the line is redrawn in place (carriage return, then erase to the end of the line) at most
`TTY_EVERY_S` apart, clipped to the terminal's width; a stage change is always drawn. Anywhere else
(CI logs, a file, a pipe) each stage change is a line of its own, and within a stage a line at
most every `PLAIN_EVERY_S`, so a log gets a few hundred lines for a long run, never one per item.
Progress goes to stderr: stdout keeps the command's result (a table, JSON) clean for a pipe.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

TTY_EVERY_S = 0.1
PLAIN_EVERY_S = 10.0
BAR_WIDTH = 20


def bar(done: int, total: int | None) -> str:
    """`[#####...............]  25% 1,000/4,000`, or the count alone when the total is unknown."""
    if not total:
        return f"{done:,}"
    share = min(done / total, 1.0)
    filled = round(share * BAR_WIDTH)
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} {done:,}/{total:,}"


def counts_text(counts: Mapping[str, int | str]) -> str:
    return " · ".join(
        f"{name} {value:,}" if isinstance(value, int) else f"{name} {value}" for name, value in counts.items()
    )


class Progress:
    """`update(stage, text)` as work goes on; `close()` at the end (a finished TTY line stays)."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.stage = ""
        self.lines = 0  # written so far (plain lines, or TTY redraws)
        self._last = float("-inf")
        self._drawn = ""

    def update(self, stage: str, text: str = "", *, force: bool = False) -> None:
        now = self.clock()
        changed = stage != self.stage
        every = TTY_EVERY_S if self.tty else PLAIN_EVERY_S
        if not (changed or force or now - self._last >= every):
            return
        self.stage, self._last = stage, now
        line = f"{self.label}: {stage}" + (f" · {text}" if text else "")
        self._write(line)

    def _write(self, line: str) -> None:
        if self.tty:
            width = shutil.get_terminal_size((100, 24)).columns - 1
            self.stream.write("\r" + line[:width] + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self._drawn = line
        self.lines += 1

    def close(self, text: str = "") -> None:
        """A last line (`text`, or the last drawn one kept), then the terminal gets its newline."""
        if text:
            self._write(f"{self.label}: {text}")
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
