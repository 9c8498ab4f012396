"""Every example in the documentation runs, as a reader would run it, and does what the text says.

For each page (README.md and docs/*.md), in the order the page gives them:

* ```python blocks run in one interpreter per page (so later blocks see earlier names), in a fresh folder
  holding a copy of spec/, with DTS_ENDPOINT and the emulator's key in the environment. A block defining
  `test_*` functions is a file of pytest tests: it is run with pytest.
* ```console blocks: every `$ command` line runs in bash in that folder (`dts-precheck` is the toolkit);
  its exit code must be 0, or the N of a trailing `# exits N`; the lines shown after it must appear in its
  output, in order (`…` stands for anything). A `mock-server` command is started, must print its URL, and
  is stopped.
* ```yaml blocks must say where they go (`<!-- spec: merge into a/b/c -->` just before): the page's fragments
  are merged into a copy of the spec, the package is regenerated from it, and the page's Python runs
  against that package.
* ```sh blocks hold setup steps this suite does itself (starting the emulator, exporting its address and key)
  or proves elsewhere (make targets run by CI, installing: tests/test_packaging.py); any other line fails.

The emulator each page runs against is `mock-server` with the options of its `<!-- emulator: ... -->`
comment (a scenario's step shortened to 0.2 s), started as a user starts it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from emulator_process import CREDENTIALS, mock_server

from generator.pipeline import generate

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\S*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MERGE = re.compile(r"<!--\s*spec:\s*merge into\s+(\S+)\s*-->\s*$")
EMULATOR = re.compile(r"<!--\s*emulator:\s*(.*?)\s*-->")
EXITS = re.compile(r"#\s*exits?\s+(\d+)\s*$")

# Setup lines a page may show in ```sh blocks, and why running them here is not needed.
SETUP = [
    (re.compile(r"^dts-precheck mock-server( .*)?$"), "each page's emulator is started by this suite"),
    (re.compile(r"^export (DTS_ENDPOINT|ALIBABA_CLOUD_ACCESS_KEY_ID|ALIBABA_CLOUD_ACCESS_KEY_SECRET)=\S+"
                r"( (ALIBABA_CLOUD_ACCESS_KEY_ID|ALIBABA_CLOUD_ACCESS_KEY_SECRET)=\S+)*$"),
     "this suite sets the emulator's address and key"),
    (re.compile(r"^make (generate|test|check|bench|venv)\b.*$"), "CI runs the make targets"),
    (re.compile(r"^(python3 -m venv \S+|\S*pip install .*|\.venv/bin/dts-precheck --help)$"),
     "tests/test_packaging.py installs the wheel into a fresh venv"),
    (re.compile(r"^\.venv/bin/openapi-spec-validator spec/\S+\.yaml$"), "tests/test_pipeline checks the spec"),
]

KERNEL = r"""
import contextlib, io, json, sys, traceback
namespace = {"__name__": "__doc_example__"}
for request in sys.stdin:
    request = json.loads(request)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile("\n" * request["line"] + request["code"], request["page"], "exec"), namespace)
        reply = {"ok": True, "out": out.getvalue()}
    except BaseException:
        reply = {"ok": False, "out": out.getvalue(), "error": traceback.format_exc()}
    sys.__stdout__.write(json.dumps(reply) + "\n")
    sys.__stdout__.flush()
"""


@dataclass
class Block:
    lang: str
    code: str
    line: int  # of the first line of code, 0-based
    merge: str | None


def blocks(text: str) -> list[Block]:
    found = []
    for m in FENCE.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        merge = MERGE.search(before)
        found.append(Block(m.group(1).lower(), m.group(2), text.count("\n", 0, m.start(2)),
                           merge.group(1) if merge else None))
    return found


def _page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def test_every_page_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        assert f"({_page_id(page)})" in readme, f"README.md does not link {_page_id(page)}"
    for page in PAGES:  # and every relative link of every page leads somewhere
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{_page_id(page)}: broken link {target}"


def test_the_pages_have_examples() -> None:
    counts = {_page_id(p): [b.lang for b in blocks(p.read_text(encoding="utf-8"))] for p in PAGES}
    for page in ("docs/client.md", "docs/status.md", "docs/validating.md", "docs/vendoring.md",
                 "docs/emulator.md", "docs/extending.md"):
        assert "python" in counts[page] or "console" in counts[page], page
    assert counts["docs/extending.md"].count("yaml") >= 3


# ---------------------------------------------------------------- running a page
class Kernel:
    """One Python interpreter for a page's examples, in the page's folder and environment."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", KERNEL], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, page: str, block: Block) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"page": page, "line": block.line, "code": block.code}) + "\n")
        self.proc.stdin.flush()
        reply: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return reply

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _normal(line: str) -> str:
    return " ".join(line.split())


def _shows(expected: list[str], output: str) -> list[str]:
    """The expected lines that do not appear in the output, in order."""
    actual = [_normal(line) for line in output.splitlines()]
    missing, at = [], 0
    for want in expected:
        pattern = re.compile(".*".join(re.escape(part) for part in _normal(want).split("…")))
        hit = next((i for i in range(at, len(actual)) if pattern.fullmatch(actual[i])), None)
        if hit is None:
            missing.append(want)
        else:
            at = hit + 1
    return missing


def commands(code: str) -> Iterator[tuple[str, list[str]]]:
    command: str | None = None
    shown: list[str] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, shown
            command, shown = line[2:], []
        elif command is not None and line.strip():
            shown.append(line)
    if command is not None:
        yield command, shown


def run_server_command(command: str, cwd: Path, env: dict[str, str]) -> None:
    args = shlex.split(command)
    args = [a if not (i and args[i - 1] == "--port") else "0" for i, a in enumerate(args)]  # any free port
    proc = subprocess.Popen(["bash", "-c", shlex.join([*args, "-q"])], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", first), f"{command}: printed {first!r}, not its URL"
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def run_console(page: str, block: Block, cwd: Path, env: dict[str, str]) -> None:
    for command, shown in commands(block.code):
        if " mock-server" in command and "--help" not in command:
            run_server_command(command, cwd, env)
            continue
        m = EXITS.search(command)
        want = int(m.group(1)) if m else 0
        done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=120)
        where = f"{page}:{block.line + 1}: $ {command}"
        assert done.returncode == want, f"{where}\nexit {done.returncode}, expected {want}:\n{done.stdout}"
        missing = _shows(shown, done.stdout)
        assert not missing, f"{where}\nnot in the output: {missing}\noutput:\n{done.stdout}"


def check_setup(page: str, block: Block) -> None:
    for line in block.code.splitlines():
        text = line.split("  #")[0].strip()
        if text and not text.startswith("#"):
            assert any(p.match(text) for p, _ in SETUP), (
                f"{page}:{block.line + 1}: `{text}` in a ```sh block is neither run nor a known setup step: "
                "make it a ```console example ($ ...), or teach tests/test_docs.py SETUP why it need not run")


def merged_spec(blocks_: list[Block], out: Path) -> Path:
    spec = yaml.safe_load((ROOT / "spec" / "dts-precheck.yaml").read_text(encoding="utf-8"))
    for block in blocks_:
        assert block.merge, f"line {block.line}: a yaml block needs <!-- spec: merge into PATH --> before it"
        node = spec
        for key in block.merge.strip("/").split("/"):
            node = node.setdefault(key, {})
        fragment = yaml.safe_load(block.code)
        assert isinstance(fragment, dict) and not (fragment.keys() & node.keys()), "fragments add, never replace"
        node.update(fragment)
    path = out / "spec-with-fragments.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _emulator_options(text: str) -> list[str]:
    m = EMULATOR.search(text)
    options = shlex.split(m.group(1)) if m else []
    return [f"{o}:step=0.2" if i and options[i - 1] == "--scenario" and ":" not in o else o
            for i, o in enumerate(options)]


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_example_of_the_page_runs(page: Path, tmp_path: Path) -> None:
    text = page.read_text(encoding="utf-8")
    name = _page_id(page)
    found = blocks(text)
    work = tmp_path / "work"
    shutil.copytree(ROOT / "spec", work / "spec")
    tools = tmp_path / "bin"
    tools.mkdir()
    shim = tools / "dts-precheck"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m generator "$@"\n')
    shim.chmod(0o755)
    path = [str(ROOT), str(ROOT / "generated")]
    fragments = [b for b in found if b.lang == "yaml"]
    if fragments and name != "docs/design.md":
        generate(merged_spec(fragments, tmp_path), tmp_path / "regenerated")
        path.insert(0, str(tmp_path / "regenerated"))
    runs = 0
    with mock_server(*_emulator_options(text)) as url:
        env = {**os.environ, **CREDENTIALS, "DTS_ENDPOINT": url, "PYTHONPATH": os.pathsep.join([str(work), *path]),
               "PATH": os.pathsep.join([str(tools), str(Path(sys.executable).parent), "/usr/bin", "/bin"])}
        env.pop("NO_COLOR", None)
        kernel = Kernel(work, env)
        try:
            for n, block in enumerate(found):
                if block.lang == "python" and re.search(r"^def test_", block.code, re.MULTILINE):
                    tests = work / f"test_doc_example_{n}.py"
                    tests.write_text("\n" * block.line + block.code, encoding="utf-8")
                    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                                           "generator.emulator.pytest_plugin", str(tests)], cwd=work, env=env,
                                          capture_output=True, text=True, timeout=120)
                    assert done.returncode == 0, f"{name}:{block.line + 1}: the tests failed:\n{done.stdout}"
                    assert re.search(r"\b\d+ passed\b", done.stdout) and "skipped" not in done.stdout
                elif block.lang == "python":
                    reply = kernel.run(name, block)
                    assert reply["ok"], f"{name}:{block.line + 1}: the example failed:\n{reply['error']}"
                elif block.lang == "console":
                    run_console(name, block, work, env)
                elif block.lang == "sh":
                    if name.startswith("docs/"):  # the README's shell blocks are the checkout's make targets
                        check_setup(name, block)
                    continue
                else:
                    continue  # yaml fragments (applied above), synopses and layouts
                runs += 1
        finally:
            kernel.close()
    if name not in ("docs/design.md",):
        assert runs, f"{name} has no example that runs"
