"""The spec itself: valid OpenAPI 3.1, extensions that pass their own schema, examples that fit their schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from conftest import ROOT
from openapi_spec_validator import validate

from generator.check import check_extensions, check_refs
from generator.load import bundle, load

EXAMPLES = ROOT / "spec" / "examples"


def test_the_spec_is_valid_openapi_3_1(main_spec: Path) -> None:
    validate(yaml.safe_load(main_spec.read_text(encoding="utf-8")))


def test_extensions_and_refs_check_clean(main_spec: Path) -> None:
    doc = load(main_spec)
    assert check_extensions(doc) == [] and check_refs(doc) == []


def test_all_ten_request_parameters(main_spec: Path) -> None:
    data: dict[str, Any] = yaml.safe_load(main_spec.read_text(encoding="utf-8"))
    op = data["paths"]["/"]["post"]
    names = [p["name"] for p in op["parameters"]]
    assert len(names) == 10 and len(set(names)) == 10
    assert {p["name"] for p in op["parameters"] if p.get("required")} == {"DtsJobId", "JobCode"}


def test_examples_fit_their_schemas(main_spec: Path) -> None:
    doc = load(main_spec)
    response = jsonschema.Draft202012Validator(bundle(doc, "DescribePreCheckStatusResponse"))
    error = jsonschema.Draft202012Validator(bundle(doc, "ErrorResponse"))
    sample = json.loads((EXAMPLES / "doc-sample.json").read_text(encoding="utf-8"))
    assert list(response.iter_errors(sample)) == []
    assert list(error.iter_errors(json.loads((EXAMPLES / "error-throttling.json").read_text()))) == []
    embedded = doc.data["paths"]["/"]["post"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert sample in [e.get("value") for e in embedded.values()], "the spec embeds the recorded sample as it is"


def test_value_sets_are_open_and_named(main_spec: Path) -> None:
    schemas = yaml.safe_load(main_spec.read_text(encoding="utf-8"))["components"]["schemas"]
    enums = {name: s for name, s in schemas.items() if "enum" in s}
    assert len(enums) >= 8
    assert all(s.get("x-open-enum") is True and s["type"] == "string" for s in enums.values())
    job_states = {"NotStarted", "Suspending", "Checking", "Migrating", "Failed", "Catched", "Finished"}
    assert set(enums["JobState"]["enum"]) == job_states
    # The doc page's lists for JobProgress[] items and for SubDistributedJobStatus[].JobProgress[] items (the
    # same ProgressInfo type): the items' value set holds both, so no documented state is rejected anywhere.
    assert set(enums["ProgressState"]["enum"]) == job_states | {"Warning", "Success"}
    log_level = schemas["JobLog"]["properties"]["LogLevel"]
    assert log_level["type"] == ["string", "null"] and "anyOf" not in log_level  # any level, no value set


def test_every_error_code_says_where_it_is_known_from(main_spec: Path) -> None:
    codes = yaml.safe_load(main_spec.read_text(encoding="utf-8"))["x-service"]["errors"]["codes"]
    by_source: dict[str, set[str]] = {}
    for c in codes:
        by_source.setdefault(c["source"], set()).add(c["code"])
    assert set(by_source) == {"doc", "observed", "gateway"}
    # The doc page's error table, and what public callers saw from DTS (FACTS.md); everything else is the
    # gateway's and marked so.
    assert by_source["doc"] == {"Throttling.User", "ServiceUnavailable", "InvalidSecurityToken.Expired"}
    assert by_source["observed"] == {"Forbidden.InstanceNotFound", "InvalidJobId", "Throttling", "Rejected.Throttling"}
    classes = {c["code"]: c["class"] for c in codes}
    assert classes["InvalidTimeStamp.Format"] == classes["InvalidTimeStamp.Expired"] == "InvalidTimestampError"
