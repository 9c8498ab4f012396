"""Running a check: the inputs split into tasks (a JSON Lines file over PART_BYTES into parts at line
boundaries, small inputs batched), checked in worker processes with a bounded number in flight, and put
back in order: each input's reports come together, its line numbers counted from its first line."""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TextIO

from ..terminal import Bar
from . import reading
from .checker import Checker
from .findings import FileReport, finding
from .package import Package

PARALLEL_MIN_BYTES = 16 * 1024 * 1024  # less than this (and few inputs) is checked faster in one process
BATCH_FILES = 64  # small inputs sent to a worker together


@dataclass(frozen=True)
class Task:
    index: int  # which input (the same file named twice is two inputs)
    file: str
    size: int
    start: int = 0
    end: int | None = None  # a JSON Lines part: the lines starting in [start, end); None: the whole input
    part: int = 0
    last: bool = True


def plan(files: list[str]) -> list[Task]:
    """One task an input, except a JSON Lines file over PART_BYTES: one task a part (UTF-16/32 aside,
    which is read whole)."""
    tasks: list[Task] = []
    for index, file in enumerate(files):
        size = reading.size_of(file) if file != "-" else 0
        ranges = reading.parts(size) if reading.suffix(file) in reading.LINE_SUFFIXES and file != "-" else []
        if len(ranges) > 1 and not _wide(file):
            tasks += [Task(index, file, end - start, start, end, i, i == len(ranges) - 1)
                      for i, (start, end) in enumerate(ranges)]
        else:
            tasks.append(Task(index, file, size))
    return tasks


def _wide(file: str) -> bool:
    try:
        with reading.open_regular(file) as fh:
            return reading.is_wide(fh.read(4))
    except (reading.Unreadable, OSError):
        return False


def check(checker: Checker, task: Task) -> FileReport:
    if task.end is None:
        return checker.file(task.file)
    return checker.part(task.file, task.start, task.end, task.part)


# ---------------------------------------------------------------- worker processes
_worker: Checker | None = None


def _init_worker(package: str, strict: bool, action: str | None) -> None:
    global _worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the pool
    _worker = Checker(Package(package), strict, action)


def _check_batch(batch: list[Task]) -> list[FileReport]:
    assert _worker is not None
    return [check(_worker, task) for task in batch]


def _batches(tasks: list[Task]) -> Iterator[list[Task]]:
    """A JSON Lines part alone; small inputs together, up to BATCH_FILES of them or PART_BYTES."""
    batch: list[Task] = []
    size = 0
    for task in tasks:
        if task.end is not None or task.size >= reading.PART_BYTES:
            if batch:
                yield batch
                batch, size = [], 0
            yield [task]
            continue
        batch.append(task)
        size += task.size
        if len(batch) >= BATCH_FILES or size >= reading.PART_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _checked(checker: Checker, tasks: list[Task], jobs: int | None) -> Iterator[FileReport]:
    """The report of every task, in order; in worker processes when the work is worth it, with at most two
    batches a worker in flight (so memory stays bounded however many inputs, and however large)."""
    batches = list(_batches(tasks))
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(batches)))  # never more workers than batches
    total = sum(t.size for t in tasks)
    if jobs == 1 or any(t.file == "-" for t in tasks) or (total < PARALLEL_MIN_BYTES and len(tasks) < BATCH_FILES):
        for task in tasks:
            yield check(checker, task)
        return
    import multiprocessing

    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(jobs, initializer=_init_worker,
                  initargs=(checker.pkg.name, checker.strict, checker.only)) as pool:
        waiting: deque[Any] = deque()
        pending = iter(batches)
        for batch in pending:
            waiting.append(pool.apply_async(_check_batch, (batch,)))
            if len(waiting) >= 2 * jobs:
                break
        while waiting:
            done = waiting.popleft().get()
            following = next(pending, None)
            if following is not None:
                waiting.append(pool.apply_async(_check_batch, (following,)))
            yield from done


def _numbered(checker: Checker, tasks: list[Task], reports: Iterator[FileReport]) -> Iterator[FileReport]:
    """Each part's line numbers counted from its input's first line; an input of JSON Lines that held no
    document says so after its last part."""
    lines = documents = findings = skipped = 0
    for task, report in zip(tasks, reports, strict=True):
        if task.part == 0:
            lines = documents = findings = skipped = 0
        if lines:
            report.findings = [replace(f, line=f.line + lines) if f.line is not None else f for f in report.findings]
        lines += report.lines
        documents += report.documents + report.requests
        findings += len(report.findings)
        skipped += report.skipped
        if task.last and task.file != "-" and reading.suffix(task.file) in reading.LINE_SUFFIXES \
                and not documents and not findings:
            if skipped:
                called = " or ".join(sorted(checker.wanted))
                report.empty_reason = (f"its only exchange does not call {called}" if skipped == 1 else
                                       f"none of its {skipped} exchanges calls {called}")
            else:
                report.findings.append(finding(task.file, "input", "the file is empty: no document in it"))
        yield report


class Progress:
    """validate's progress in bytes and files, on the commands' one bar (a terminal only, after a second)."""

    def __init__(self, total: int, files: int, stream: TextIO = sys.stderr,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.files = max(total, 1), files
        self.done = self.files_done = 0
        self.bar = Bar(stream, clock=clock)
        self.bar.enabled = self.bar.enabled and (total > 1 or files > 1)

    @property
    def shown(self) -> bool:
        return self.bar.shown

    def step(self, size: int, files: int = 0) -> None:
        self.done += size
        self.files_done += files
        elapsed = max(self.bar.elapsed, 1e-9)
        self.bar.draw(self.done / self.total, f"{_mb(self.done)}/{_mb(self.total)} MB, {self.files_done}/{self.files} "
                      f"files, {_mb(self.done / elapsed)} MB/s", force=self.files_done >= self.files)

    def close(self) -> None:
        self.bar.close()


def _mb(size: float) -> str:
    return f"{size / 1e6:,.1f}"


def run(paths: list[str], *, package: str, strict: bool = False, jobs: int | None = None,
        progress: bool = True, action: str | None = None, allow_empty: bool = False) -> Iterator[FileReport]:
    """Check every file the PATHs stand for: its reports (one, or one a part), in order; LookupError at once
    for an action the package does not have. A PATH in which nothing was checked (an empty folder, a HAR
    file with no entry of the API) gets an error report of its own, unless `allow_empty`."""
    checker = Checker(Package(package), strict, action)
    groups = [list(reading.inputs(raw)) for raw in paths]
    files = [x for group in groups for x in group if isinstance(x, str)]
    tasks = plan(files)
    return _by_path(paths, groups, tasks, _progress(tasks, _numbered(checker, tasks, _checked(checker, tasks, jobs)),
                                                    progress), allow_empty)


def _progress(tasks: list[Task], reports: Iterator[FileReport], show: bool) -> Iterator[FileReport]:
    bar = Progress(sum(t.size for t in tasks), len({t.index for t in tasks})) if show else None
    try:
        for task, report in zip(tasks, reports, strict=True):
            yield report
            if bar:
                bar.step(task.size, int(task.last))
    finally:
        if bar:
            bar.close()


def _take(reports: Iterator[FileReport], count: int) -> Iterator[FileReport]:
    for _ in range(count):
        yield next(reports)


def _by_path(paths: list[str], groups: list[list[str | FileReport]], tasks: list[Task],
             reports: Iterator[FileReport], allow_empty: bool) -> Iterator[FileReport]:
    parts = [0] * len({t.index for t in tasks})
    for t in tasks:
        parts[t.index] += 1
    index = 0
    for raw, group in zip(paths, groups, strict=True):
        documents = errors = 0
        reasons: list[str] = []
        for item in group:
            if isinstance(item, FileReport):
                mine: Iterable[FileReport] = [item]
            else:
                mine = _take(reports, parts[index])
                index += 1
            for report in mine:
                documents += report.documents + report.requests
                errors += any(f.severity == "error" for f in report.findings)
                reasons += [report.empty_reason] if report.empty_reason else []
                yield report
        if documents or errors or allow_empty:
            continue
        if os.path.isdir(raw):
            files = sum(isinstance(item, str) for item in group)
            why = (f"none of the {files} files under it held a document to check" if files else
                   f"no {', '.join('*' + s for s in reading.SUFFIXES)} file under it")
        else:
            why = reasons[0] if reasons else "no document in it"
        yield FileReport(raw, 0, [finding(raw, "empty", f"nothing checked: {why}")], counted=False)
