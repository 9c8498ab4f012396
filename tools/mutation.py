"""`make mutation`: plant deliberate bugs in a copy of the generated package, the runtime and the
validator compiler, run the suite against each copy, and show which test caught each mutant.

Every mutant must be caught. A mutant whose text no longer matches the code fails loudly too (the
list must follow the code, or it would test nothing).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "generated/dts_precheck"
# The tests a mutant runs against: everything that runs in-process and fast.
SUITE = [
    "tests/test_contract.py",
    "tests/test_request_contract.py",
    "tests/test_models.py",
    "tests/test_properties.py",
    "tests/test_client.py",
    "tests/test_client_answers.py",
    "tests/test_client_arguments.py",
    "tests/test_client_methods.py",
    "tests/test_client_async.py",
    "tests/test_generic.py",
    "tests/test_validator_compiler.py",
    "tests/test_core_signing.py",
    "tests/test_core_xml.py",
]


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    find: str  # a regular expression that must match exactly once... or `count` times
    replace: str
    count: int = 1


MUTANTS = [
    Mutant("open enum rejects unknown values", f"{PKG}/_base.py",
           r"    member = cls\._unknown\(value\)\n", "    raise ValueError(value)\n"),
    Mutant("paginator off by one (skips a page)", f"{PKG}/_paging.py", r"            self\.page \+= 1\n",
           "            self.page += 2\n"),
    Mutant("paginator trusts the total (ignores a moving total)", f"{PKG}/_paging.py",
           r"elif total is not None and total != first_total:", "elif False:"),
    Mutant("paginator misses repeated pages", f"{PKG}/_paging.py", r"if mark in self\._seen:", "if False:"),
    Mutant("paginator stops only at the total (ignores short pages)", f"{PKG}/_paging.py",
           r"        if short or \(first_total is not None and count >= first_total\):",
           "        if first_total is not None and count >= first_total:"),
    Mutant("validator skips required (compiler)", "generator/render/validator_compiler/emitters.py",
           r'out\.append\(_If\(_atom\(f"\{literal\(name\)\} not in \{ctx\.var\}"\)', "out.append(_If(_atom('False')"),
    Mutant("validator lets unknown enum values pass in strict mode", f"{PKG}/_validation.py",
           r"if is_open and lax and type\(x\) is str:", "if type(x) is str:"),
    Mutant("to_dict loses nulls", f"{PKG}/models.py", r"    if v is not UNSET:\n", "    if v is not UNSET and v is not None:\n",
           count=0),
    Mutant("absent read as null", f"{PKG}/models.py", r'g\(("\w+"), UNSET\)', r"g(\1)", count=0),
    Mutant("signature ignores one parameter", f"{PKG}/_signing.py",
           r"def canonical_query\(params: Mapping\[str, str\]\) -> str:\n",
           "def canonical_query(params: Mapping[str, str]) -> str:\n"
           "    params = dict(list(sorted(params.items()))[1:])\n"),
    Mutant("lenient parse raises on type drift", f"{PKG}/_base.py",
           r"            co\.append\(Note\(path \+ \"/\" \+ key, \"coerced\", value, became,",
           "            raise ValueError(value)\n            co.append(Note(path + \"/\" + key, \"coerced\", value, became,"),
    Mutant("strict parse ignores unknown fields", f"{PKG}/_base.py", r"    if closed:\n", "    if False:\n"),
    Mutant("retries ignore the server's retry-after", f"{PKG}/_client.py",
           r"RetryDecision\.retry\(self\.retry\.retry_after_s\(getattr\(exc, \"headers\", \{\}\) or \{\}\)\)",
           "RetryDecision.retry()"),
    Mutant("waiter polls faster than the minimum", f"{PKG}/_paging.py",
           r"self\.interval = max\(interval, min_interval\)", "self.interval = interval"),
    Mutant("Success: false passes as success", f"{PKG}/_client.py",
           r"failed = cfg\.success_field is not None and", "failed = False and"),
    Mutant("error table ignored (every error is the base class)", f"{PKG}/errors.py",
           r"kind = ERROR_CLASSES\.get\(code, cls\)", "kind = cls"),
    Mutant("expired token never refreshes credentials", f"{PKG}/_client.py",
           r"            if refresh:\n                return RetryDecision\.refresh\(\)\n", ""),
    Mutant("a stale connection's resend reuses the first signature", f"{PKG}/_client.py",
           r"            request = yield from self\._request\(op, action, params, budget_s - .*\n", ""),
    Mutant("a captive portal's page reads as an empty success", f"{PKG}/_client.py",
           r"        body: Any = None\n", "        body: Any = {}\n"),
    Mutant("a JSON redirect is read as an answer", f"{PKG}/_client.py",
           r"        if 300 <= status < 400:\n            pass", "        if False:\n            pass"),
    Mutant("non-API 4xx answers are retried", f"{PKG}/_client.py",
           r"\(exc\.http_status >= 500 or exc\.http_status == 429\)", "True"),
    Mutant("a body over the bound is fetched again", f"{PKG}/_client.py",
           r"        if isinstance\(exc, ResponseTooLargeError\):\n            return RetryDecision\.give_up\(\).*\n", ""),
    Mutant("a server's bytes reach the message unescaped", f"{PKG}/_errors.py",
           r"    shown = repr\(text\)", "    shown = text"),
    Mutant("the final error does not say how many attempts were made", f"{PKG}/_retry.py",
           r"            _note_attempts\(exc, attempts, retryable\)\n", ""),
    Mutant("lone surrogates reach the encoder", f"{PKG}/_client.py",
           r"    if not text\.isascii\(\):\n        try:", "    if False:\n        try:"),
    Mutant("an empty required string is sent", f"{PKG}/_client.py",
           r"    if not text and required:", "    if False:"),
    Mutant("a waiter takes a timeout of None", f"{PKG}/_paging.py",
           r"self\.timeout = seconds\(\"timeout\", timeout, infinite=True\)", "self.timeout = timeout"),
    Mutant("a GET-only operation is sent as POST", "generator/runtime/_client.py",  # test_client_methods generates
           r"_Operation\(\"POST\" if \"POST\" in op\[\"http_methods\"\] else op\[\"http_methods\"\]\[0\],",
           "_Operation(\"POST\","),
    Mutant("the emulator accepts a timestamp from the future", "generator/emulator/signatures.py",
           r"    if ahead > max_skew_s:", "    if False:"),
    # Models and validators disagreeing, one side at a time (the contract of tests/test_contract.py).
    Mutant("models let an int32 overflow pass, validators do not", f"{PKG}/models.py",
           r"v > 2147483647", "v > 4294967295", count=0),
    Mutant("validators let an int32 overflow pass, models do not", f"{PKG}/validators.py",
           r'_v\.INT_FORMATS\["int32"\]', '_v.INT_FORMATS["int64"]'),
    Mutant("models forget a missing required property, validators do not", "generator/runtime/_base.py",
           r'    co\.append\(Note\(path, "wrong_type", UNSET, None, f"required property', '    return None  # ('),
    Mutant("validators read no lenient drift, models do", f"{PKG}/_validation.py",
           r"value = self\.policy\.read\(x, mask\)", "value = _v.NOT_DRIFT", count=2),
    # The async client diverging from the blocking one, one way at a time: each only in its own driver.
    Mutant("async: no pause between attempts", f"{PKG}/_aclient.py",
           r"                        await self\._pause\(effect\.seconds\)\n", "                        pass\n"),
    Mutant("async: an expired token is not refreshed", f"{PKG}/_aclient.py",
           r"result = await asyncio\.to_thread\(self\._credentials\.refresh\)", "result = self._credentials.cached"),
    Mutant("async: the deadline is left to the transport", f"{PKG}/_aclient.py",
           r"        if request\.budget_s == math\.inf:\n", "        if True:\n"),
    Mutant("async: leaving `async with` keeps the client open", f"{PKG}/_aclient.py",
           r"    async def __aexit__\(self, \*exc_info: object\) -> None:\n        await self\.close\(\)\n",
           "    async def __aexit__(self, *exc_info: object) -> None:\n        pass\n"),
    Mutant("async: items() stops after the first page", f"{PKG}/_paging.py",
           r"            for item in self\._items\(response\):\n                yield item\n",
           "            for item in self._items(response):\n                yield item\n            return\n"),
    Mutant("async: the waiter polls without pausing", f"{PKG}/_paging.py",
           r"        await sleep\(waiting\.pause_s\(\)\)\n", "        waiting.pause_s()\n"),
    Mutant("async: an async on_progress is never awaited", f"{PKG}/_paging.py",
           r"                if hasattr\(shown_progress, \"__await__\"\):\n                    await shown_progress\n", ""),
    Mutant("async: a cancelled exchange runs on in its thread", f"{PKG}/_transport.py",
           r"            cancellation\.cancel\(\)\n            raise\n", "            raise\n"),
    Mutant("async: a call cancelled while queued is still sent", f"{PKG}/_transport.py",
           r"        if cancellation\.cancelled:\n            raise TransportError\(\"cancelled before it was sent\"\)\n", ""),
    Mutant("async: one outcome delivered per wake-up, the rest left waiting", f"{PKG}/_transport.py",
           r"        while pending:\n", "        for _ in range(1 if pending else 0):\n"),
    Mutant("client lets a parameter past its format's range (validate does not)", f"{PKG}/_values.py",
           r"    if isinstance\(span, tuple \| list\) and not span\[0\] <= value <= span\[1\]:\n",
           "    if False:\n"),
    Mutant("validate ignores a parameter's rules (the client does not)", "generator/commands/validate/requests.py",
           r"broken = broken_rule\(value, p\)", "broken = broken_rule(value, {})"),
]


def apply(tree: Path, mutant: Mutant) -> None:
    path = tree / mutant.file
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(mutant.find, mutant.replace, text)
    if n == 0 or (mutant.count and n != mutant.count):
        raise SystemExit(f"mutant {mutant.name!r} does not apply to {mutant.file} ({n} matches): update tools/mutation.py")
    path.write_text(new, encoding="utf-8")


def copy_tree(dest: Path) -> None:
    for name in ("generator", "generated", "tests", "spec"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")


def run(mutant: Mutant, timeout: float) -> tuple[Mutant, str | None, float]:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        tree = Path(tmp)
        copy_tree(tree)
        apply(tree, mutant)
        tests = [t for t in SUITE if (tree / t).exists()]
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE", "--tb=no", *tests]
        try:
            out = subprocess.run(cmd, cwd=tree, capture_output=True, text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired:
            return mutant, "(timed out: counted as caught, the suite never hangs on the real code)", \
                time.monotonic() - started
    failed = re.search(r"^FAILED (\S+)", out, re.M) or re.search(r"^ERROR (\S+)", out, re.M)
    return mutant, failed.group(1) if failed else None, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per mutant")
    parser.add_argument("-k", metavar="TEXT", help="only mutants whose name contains TEXT")
    args = parser.parse_args()
    chosen = [m for m in MUTANTS if not args.k or args.k in m.name]
    with tempfile.TemporaryDirectory() as tmp:  # every mutant must apply before any runs
        copy_tree(Path(tmp))
        for m in chosen:
            apply(Path(tmp), m)
    print(f"{len(chosen)} mutants, {args.jobs} at a time\n")
    width = max(len(m.name) for m in chosen)
    survivors = 0
    with ThreadPoolExecutor(args.jobs) as pool:
        for mutant, caught, seconds in pool.map(lambda m: run(m, args.timeout), chosen):
            survivors += caught is None
            verdict = caught or "SURVIVED"
            print(f"  {mutant.name:<{width}}  {seconds:5.0f} s  {verdict}", flush=True)
    print(f"\n{len(chosen) - survivors} of {len(chosen)} mutants caught")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
