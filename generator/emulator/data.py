"""The jobs the emulator serves: synthetic ones made up from the item schema by seed, or recorded bodies.

A job is a list of items (the operation's paged list) plus top-level fields. Synthetic jobs exist for
every job id asked for (each derived from the seed and the id); with --data only recorded jobs exist,
and an unknown id gets the spec's `unknown_job` error. A recorded body (*.json) is found by its file
name or by its echo of the job parameter, exactly as recorded (a leading space included), and answers
only requests whose other echoed parameters match what it recorded (the subtask code it was recorded
for). Filters and page-number pagination are applied per request; a scenario (scenarios.py) moves a
synthetic job's states over time. Recordings of whole exchanges (*.jsonl) are replayed by replay.py.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ir import Scenario
from .api import Api, EmulatorConfigError, OperationApi
from .scenarios import Timeline, choose_failures, stable_rng

if TYPE_CHECKING:
    from .replay import Replay

MAX_RECORDING_BYTES = 64 * 1024 * 1024  # one recorded answer; a larger file is refused, not read
_PLACEHOLDER = "\u0000items\u0000"
_PLACEHOLDER_JSON = json.dumps(_PLACEHOLDER)


def _fill(value: Any, json_type: str, n: int, job_id: str) -> Any:
    if isinstance(value, str) and "{" in value:
        value = value.replace("{n}", str(n)).replace("{job}", job_id)
    if isinstance(value, str):
        try:
            if json_type == "integer":
                return int(value)
            if json_type == "number":
                return float(value)
        except ValueError:
            return value
        if json_type == "boolean" and value.lower() in ("true", "false"):
            return value.lower() == "true"
    return value


def synth_items(api: OperationApi, seed: int, job_id: str, start: int, count: int,
                failed: frozenset[int]) -> list[dict[str, Any]]:
    """Items start+1 .. start+count of a synthetic job: every scalar and enum field of the item schema,
    from the spec's value pools where it has them, else made up from the field's type."""
    rng = stable_rng(seed, "items", job_id, start)
    values = api.cfg.synthetic_values
    lc = api.cfg.lifecycle
    out = []
    for index in range(start, start + count):
        n = index + 1
        is_failed = index in failed
        item: dict[str, Any] = {}
        for wire, (json_type, members) in api.item_fields.items():
            if lc is not None and wire == lc.item_field:
                item[wire] = lc.item_states["failed" if is_failed else "passed"]
            elif lc is not None and wire in lc.failed_item_fields:
                item[wire] = lc.failed_item_fields[wire] if is_failed else ""
            elif wire in values:
                item[wire] = _fill(rng.choice(values[wire]), json_type, n, job_id)
            elif members:
                item[wire] = rng.choice(members)
            elif json_type == "integer":
                item[wire] = rng.randint(0, 100)
            elif json_type == "number":
                item[wire] = round(rng.random() * 100, 2)
            elif json_type == "boolean":
                item[wire] = rng.random() < 0.5
            else:
                item[wire] = f"{wire}-{n}"
        out.append(item)
    return out


@dataclass
class Job:
    job_id: str
    items: list[dict[str, Any]]
    failed: frozenset[int]
    top: dict[str, Any] = field(default_factory=dict)  # recorded top-level fields
    recorded: bool = False
    timeline: Timeline | None = None
    started: float | None = None
    pages_served: int = 0
    shifted: bool = False
    error: tuple[int, dict[str, Any]] | None = None  # a recorded error body and its status
    echoed: dict[str, str] = field(default_factory=dict)  # recorded: request parameter -> the value it echoes
    json_cache: dict[tuple[int, str | None], str] = field(default_factory=dict)
    page_cache: dict[tuple[Any, ...], str] = field(default_factory=dict)  # static pages' item arrays
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Page:
    """One answer: the top-level document (items field at its place) and the page's items."""

    top: dict[str, Any]
    items_field: str
    refs: list[tuple[int, str | None]]
    job: Job
    store: JobStore
    cache_key: tuple[Any, ...] | None = None  # set when the page cannot change (no scenario running)

    def item(self, ref: tuple[int, str | None]) -> dict[str, Any]:
        return self.store.materialize(self.job, *ref)

    def to_dict(self) -> dict[str, Any]:
        doc = dict(self.top)
        doc[self.items_field] = [self.item(ref) for ref in self.refs]
        return doc

    def to_json(self) -> bytes:
        doc = dict(self.top)
        doc[self.items_field] = _PLACEHOLDER
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        pages = self.job.page_cache
        array = pages.get(self.cache_key) if self.cache_key is not None else None
        if array is None:
            cache = self.job.json_cache
            parts = []
            for ref in self.refs:
                fragment = cache.get(ref)
                if fragment is None:
                    fragment = json.dumps(self.item(ref), ensure_ascii=False, separators=(",", ":"))
                    cache[ref] = fragment
                parts.append(fragment)
            array = "[" + ",".join(parts) + "]"
            if self.cache_key is not None:
                if len(pages) > 4096:
                    pages.clear()
                pages[self.cache_key] = array
        return text.replace(_PLACEHOLDER_JSON, array, 1).encode("utf-8")


class JobStore:
    """Every job of one operation, created on first sight (synthetic) or loaded from recordings."""

    def __init__(self, api: Api, op: OperationApi, *, seed: int = 0, scenario: Scenario | None = None,
                 step_s: float | None = None, data: DataFiles | None = None, replay: Replay | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        import time

        self.api = api
        self.op = op
        self.seed = seed
        self.scenario = scenario
        self.step_s = step_s if step_s is not None else (scenario.step_s if scenario else 1.0)
        self.clock = clock or time.monotonic
        self.jobs: dict[str, Job] = {}
        self.recordings: dict[str, list[Job]] = {}  # job id, exactly as recorded -> its recordings
        self.replay = replay  # recorded exchanges of this operation (replay.py)
        self.recorded_only = data is not None
        self._lock = threading.Lock()
        if data is not None:
            for job in load_bodies(api, op, data):
                self.recordings.setdefault(job.job_id, []).append(job)

    # ------------------------------------------------------------------ jobs
    def add(self, job_id: str, items: int | None = None, failures: int = 0, scenario: Scenario | None = None,
            step_s: float | None = None) -> Job:
        """A synthetic job with `items` items (default: drawn from the spec's bounds by seed), `failures`
        of them failed, optionally walking `scenario`. Replaces any job with that id."""
        job = self._synthetic(job_id, items, failures, scenario, step_s)
        with self._lock:
            self.jobs[job_id] = job
        return job

    def get(self, job_id: str, params: Mapping[str, str] | None = None) -> Job | None:
        """The job a request asks for: a job added by add(), else a recording of exactly this id whose
        echoed parameters match `params` (the request's texts), else (no data folder) a synthetic one."""
        job = self.jobs.get(job_id)
        if job is not None:
            return job
        if self.recorded_only:
            return next((j for j in self.recordings.get(job_id, ()) if self._matches(j, params or {})), None)
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                job = self._synthetic(job_id, None, 0, self.scenario, None)
                self.jobs[job_id] = job
            return job

    def _matches(self, job: Job, params: Mapping[str, str]) -> bool:
        for param, recorded in job.echoed.items():
            sent = params.get(param)
            if sent is None or sent == "":
                default = self.op.params[param].default if param in self.op.params else None
                sent = None if default is None else str(default)
            if sent is not None and sent != recorded:
                return False
        return True

    def why_missing(self, job_id: str, params: Mapping[str, str]) -> str:
        """Why get() found nothing: no recording of the id, or none recorded for these parameters."""
        recorded = self.recordings.get(job_id, [])
        if not recorded:
            return f"no job {job_id!r}"
        other = sorted({f"{p} {v!r}" for job in recorded for p, v in job.echoed.items()
                        if params.get(p) not in (None, "") and params.get(p) != v})
        return f"job {job_id!r} is recorded only for " + ", ".join(other) if other else f"no job {job_id!r}"

    def _synthetic(self, job_id: str, items: int | None, failures: int, scenario: Scenario | None,
                   step_s: float | None) -> Job:
        if scenario is not None:
            count = scenario.items if items is None else items
            failed = choose_failures(self.seed, job_id, count, scenario.failures if failures == 0 else failures)
            step = step_s if step_s is not None else (self.step_s if scenario is self.scenario else scenario.step_s)
            timeline: Timeline | None = Timeline(step, failed, scenario.abort)
        else:
            low, high = self.op.cfg.synthetic_items
            count = stable_rng(self.seed, "count", job_id).randint(low, high) if items is None else items
            failed = choose_failures(self.seed, job_id, count, failures)
            timeline = None
        if timeline is not None and self.op.cfg.lifecycle is None:
            raise EmulatorConfigError("scenarios need x-emulator.lifecycle in the spec")
        return Job(job_id, synth_items(self.op, self.seed, job_id, 0, count, failed), failed, timeline=timeline)

    # ------------------------------------------------------------------ items
    def materialize(self, job: Job, index: int, phase: str | None) -> dict[str, Any]:
        base = job.items[index]
        lc = self.op.cfg.lifecycle
        if phase is None or lc is None:
            return base
        item = dict(base)
        item[lc.item_field] = lc.item_states[phase]
        for name, value in lc.failed_item_fields.items():
            item[name] = value if phase == "failed" else ""
        return item

    def _shift(self, job: Job, after: int, delta: int) -> None:
        with job.lock:
            job.pages_served += 1
            if job.shifted or job.pages_served <= after:
                return
            job.shifted = True
            if delta >= 0:
                more = synth_items(self.op, self.seed, job.job_id, len(job.items), delta, frozenset())
                job.items = job.items + more
            else:
                job.items = job.items[: max(0, len(job.items) + delta)]
                job.json_cache = {}
            job.page_cache = {}

    def page(self, job: Job, values: Mapping[str, Any], raw: Mapping[str, str], request_id: str, *,
             clamp: bool = False, shift: tuple[int, int] | None = None) -> Page:
        """The answer for one request: `values` are the validated parameters, `raw` the texts sent."""
        op, cfg, pg = self.op, self.op.cfg, self.op.pagination
        if shift is not None:
            self._shift(job, *shift)
        items = job.items
        lc = cfg.lifecycle
        job_phase: str | None = None
        phases: list[str] | None = None
        if job.timeline is not None and lc is not None:
            now = self.clock()
            with job.lock:
                if job.started is None:
                    job.started = now
            job_phase, phases = job.timeline.at(now - job.started, len(items))
        active = [(f, raw[f.param].lower()) for f in cfg.filters if raw.get(f.param)]
        indices: range | list[int] = range(len(items))
        if active:
            managed = _managed(self)
            kept = []
            for i in indices:
                item = items[i]
                for f, needle in active:
                    value = (self.materialize(job, i, phases[i] if phases else None) if f.field in managed
                             else item).get(f.field)
                    text = "" if value is None else str(value).lower()
                    if not ((f.match == "contains" and needle in text)
                            or (f.match == "prefix" and text.startswith(needle))
                            or (f.match == "equals" and text == needle)):
                        break
                else:
                    kept.append(i)
            indices = kept
        first = pg.first_page
        page_no = int(values.get(pg.page_param, first))
        size = int(values.get(pg.size_param) or pg.default_size or 20)
        total = len(indices)
        start = (page_no - first) * size
        if clamp and total and start >= total:
            page_no = first + (total - 1) // size
            start = (page_no - first) * size
        chosen = [(i, phases[i] if phases else None) for i in indices[start:start + size]] if start < total else []
        top: dict[str, Any] = {}
        fields = self.api.ir.model(op.op.response_model).fields
        if job.recorded:
            top.update(job.top)
        else:
            for name, value in cfg.constants.items():
                top[name] = value
            for name, param in cfg.echo.items():
                if raw.get(param) is not None:
                    top[name] = raw[param]
            success = self.api.ir.service.success_field
            if success:
                top[success] = True
            if lc is not None:
                final = "aborted" if job.timeline and job.timeline.abort and job.failed else "done"
                top[lc.field] = lc.job_states[job_phase or final]
                if lc.failure_count_field:
                    top[lc.failure_count_field] = (
                        sum(1 for p in phases if p == "failed") if phases is not None
                        else len([i for i in job.failed if i < len(items)]))
        request_id_field = self.api.ir.service.error_request_id_field
        if request_id_field:
            top[request_id_field] = request_id
        if pg.page_field:
            top[pg.page_field] = page_no
        if pg.size_field:
            top[pg.size_field] = size
        if pg.total_field:
            top[pg.total_field] = total
        top[pg.items_field] = None
        order = {f.wire: i for i, f in enumerate(fields)}
        ordered = dict(sorted(top.items(), key=lambda kv: order.get(kv[0], len(order))))
        key = None if phases is not None else (
            len(items), start, size, tuple((f.param, needle) for f, needle in active))
        return Page(ordered, pg.items_field, chosen, job, self, key)


def _managed(store: JobStore) -> frozenset[str]:
    lc = store.op.cfg.lifecycle
    return frozenset() if lc is None else frozenset({lc.item_field, *lc.failed_item_fields})


BODY_SUFFIX = ".json"
RECORDING_SUFFIXES = (".jsonl", ".ndjson")  # JSON Lines of exchanges (docs/validating.md, "Recordings")


@dataclass(frozen=True)
class DataFiles:
    """What --data names: recorded bodies (*.json) and recordings of exchanges (*.jsonl, *.ndjson), all of
    them inside `root` (nothing outside it is read), in a stable order."""

    given: Path
    root: Path
    bodies: tuple[Path, ...]
    recordings: tuple[Path, ...]


def find_data(path: str | Path) -> DataFiles:
    """The files of --data PATH: a folder (walked, links to folders not entered) or one file, a recording
    (*.jsonl, *.ndjson) or a body (*.json). A link leading out of the folder, a FIFO or a dangling link is
    refused with its name, before anything is served."""
    given = Path(path)
    if given.is_file() or (given.exists() and not given.is_dir()):
        suffix = given.suffix.lower()
        if suffix != BODY_SUFFIX and suffix not in RECORDING_SUFFIXES:
            raise EmulatorConfigError(f"--data {given}: not a folder, a recording (*.jsonl, *.ndjson) or a "
                                      f"recorded body (*.json)")
        root = given.resolve().parent
        return DataFiles(given, root, (given,) if suffix == BODY_SUFFIX else (),
                         (given,) if suffix in RECORDING_SUFFIXES else ())
    if not given.is_dir():
        raise EmulatorConfigError(f"--data {given}: not a folder or a file: it does not exist")
    root = given.resolve()
    problems: list[str] = []
    bodies: list[Path] = []
    recordings: list[Path] = []
    for where, dirs, names in os.walk(given, onerror=lambda exc: problems.append(f"{exc.filename}: "
                                                                                  f"{exc.strerror}")):
        dirs.sort()  # links to folders are listed here but never entered (followlinks is off)
        for name in dirs:
            link = Path(where, name)
            if link.is_symlink() and not link.resolve().is_relative_to(root):
                problems.append(f"{link}: links out of the data folder (to {link.resolve()}): not read")
        for name in sorted(names):
            suffix = Path(name).suffix.lower()
            if suffix == BODY_SUFFIX:
                bodies.append(Path(where, name))
            elif suffix in RECORDING_SUFFIXES:
                recordings.append(Path(where, name))
    if problems:
        raise EmulatorConfigError("unreadable recordings:\n  " + "\n  ".join(problems))
    if not bodies and not recordings:
        raise EmulatorConfigError(f"--data {given}: no recordings in it (*.json bodies, *.jsonl or *.ndjson "
                                  "recordings of exchanges)")
    return DataFiles(given, root, tuple(sorted(bodies)), tuple(sorted(recordings)))


def load_bodies(api: Api, op: OperationApi, files: DataFiles) -> list[Job]:
    """Every recorded body: a 200 body (its items are served paged) or an error body (served as recorded,
    with the status the error table gives its code). Each is found by its file name and, for a 200 body,
    by the response field that echoes the job parameter, exactly as recorded. A file that is not a regular
    one, or leads out of the data folder, is refused."""
    service = api.ir.service
    pg = op.pagination
    echoes = {param: name for name, param in op.cfg.echo.items()}  # request parameter -> response field
    echo_field = echoes.get(op.cfg.job_param)
    paging = {pg.items_field, pg.page_field, pg.size_field, pg.total_field}
    problems: list[str] = []
    jobs: list[Job] = []
    for path in files.bodies:
        try:
            body = json.loads(read_inside(path, files.root))
        except Refused as exc:
            problems.append(f"{path}: {exc}")
            continue
        except ValueError as exc:
            problems.append(f"{path}: not JSON: {exc}")
            continue
        if not isinstance(body, dict):
            problems.append(f"{path}: not a JSON object")
            continue
        looks_error = (service.error_code_field in body and service.error_message_field in body
                       and pg.items_field not in body)
        if looks_error:
            code = str(body.get(service.error_code_field))
            jobs.append(Job(path.stem, [], frozenset(), recorded=True, error=(api.status_of(code), body)))
            continue
        items = body.get(pg.items_field) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append(f"{path}: {pg.items_field} is not a list of objects")
            continue
        top = {k: v for k, v in body.items() if k not in paging}
        echoed = {param: text for param, name in echoes.items()
                  if param != op.cfg.job_param and (text := _text(body.get(name))) is not None}
        keys = [path.stem]
        recorded_id = body.get(echo_field) if echo_field else None
        if isinstance(recorded_id, str) and recorded_id.strip():
            keys.append(recorded_id)  # as recorded: " b4my..." is not "b4my..."
        for key in dict.fromkeys(keys):
            jobs.append(Job(key, items, frozenset(), top=top, recorded=True, echoed=echoed))
    if problems:
        raise EmulatorConfigError("unreadable recordings:\n  " + "\n  ".join(problems))
    return jobs


def _text(value: Any) -> str | None:
    """A recorded scalar as the request parameter that echoes it would be sent: "01", "5", "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


class Refused(Exception):
    """A data file that is not read; the message says why."""


def open_inside(path: Path, root: Path) -> tuple[int, os.stat_result, Path]:
    """An open descriptor of a data file that lies inside `root` once every link is followed and is a regular
    file, with its status and real path; Refused otherwise (nothing is opened outside the folder, no FIFO
    blocks the start)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # a dangling link, a loop of links
        raise Refused(f"cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if not real.is_relative_to(root):
        raise Refused(f"links out of the data folder (to {real}): not read")
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise Refused("not a regular file: not read")
    return fd, info, real


def read_inside(path: Path, root: Path) -> bytes:
    """The bytes of a recorded body inside `root` (see open_inside), of sane size; Refused otherwise."""
    fd, info, _ = open_inside(path, root)
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > MAX_RECORDING_BYTES:
            raise Refused(f"{info.st_size:,} bytes, over the {MAX_RECORDING_BYTES:,}-byte limit: not read")
        return fh.read(MAX_RECORDING_BYTES + 1)
