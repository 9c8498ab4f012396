"""`validate`: check recorded traffic (files, folders, JSON Lines, recordings, XML, HAR, standard input) against
the generated validators, and recorded requests against the operations' parameters.

Modules: `reading` (inputs, bounds, parts, encodings), `checker` (documents, lines, exchanges, HAR entries),
`requests` (request parameters), `runner` (tasks, worker processes, progress), `output` (findings and the
summary), `aggregate` (--report), `suggest` (--suggest-spec). Importing this package imports no third-party
module, so validating is fast to start; HAR files need ijson and --suggest-spec ruamel.yaml, imported when used.
"""

from __future__ import annotations

from .checker import Checker
from .findings import HINTS, FileReport, Finding
from .output import report
from .package import Package, find_package
from .reading import MAX_BYTES, SUFFIXES, inputs, read_input
from .runner import Progress, run

__all__ = ["HINTS", "MAX_BYTES", "SUFFIXES", "Checker", "FileReport", "Finding", "Package", "Progress",
           "find_package", "inputs", "read_input", "report", "run"]
