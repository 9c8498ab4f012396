"""What the commands show on a terminal: one progress bar and one table renderer.

Standard library only, measured against rich (`python -X importtime`): importing rich.progress and rich.table
costs 35-47 ms, a fifth of `validate`'s whole start-up, for a bar and a plain table; see docs/design.md.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

BOLD, RESET = "\033[1m", "\033[0m"
COLOURS = {"red": "\033[31m", "yellow": "\033[33m", "green": "\033[32m", "": ""}
_WIDTH = 30


class Bar:
    """A progress bar on a terminal (the stream must be a TTY): drawn after `delay_s` (a quick run shows none),
    at most ten times a second unless forced, on one line that is wiped at the end."""

    def __init__(self, stream: TextIO = sys.stderr, *, delay_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.clock = clock
        self.started = clock()
        self.delay_s = delay_s
        self.last = 0.0
        self.shown = False

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def draw(self, fraction: float | None, text: str, *, force: bool = False) -> None:
        """The bar `fraction` full (None: unknown, empty) followed by `text`."""
        now = self.clock()
        if not self.enabled or now - self.started < self.delay_s or (now - self.last < 0.1 and not force):
            return
        self.last, self.shown = now, True
        filled = 0 if fraction is None else max(0, min(_WIDTH, int(_WIDTH * fraction)))
        self.stream.write(f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {text}\033[K")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def clip(text: str, width: int | None) -> str:
    """`text` cut to `width` characters with an ellipsis, or whole."""
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def table(titles: Sequence[str], rows: Sequence[Sequence[str]], *, tones: Sequence[str] = (),
          max_widths: Sequence[int | None] = (), colour: bool = False) -> list[str]:
    """Aligned columns under bold titles; each row in its tone ("red", "yellow", "green" or "") when `colour`,
    cells cut to their column's max width when one is given."""
    widths_cap = list(max_widths) or [None] * len(titles)
    cells = [[clip(cell, cap) for cell, cap in zip(row, widths_cap, strict=True)] for row in rows]
    widths = [max([len(t)] + [len(r[i]) for r in cells]) for i, t in enumerate(titles)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [(BOLD if colour else "") + line(titles) + (RESET if colour else "")]
    for n, row in enumerate(cells):
        tone = COLOURS[tones[n]] if colour and n < len(tones) else ""
        out.append(tone + line(row) + (RESET if tone else ""))
    return out
