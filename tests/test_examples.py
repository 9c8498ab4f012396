"""The examples corpus (spec/examples/): every documented shape of an answer gets the verdicts its index states.

spec/examples/index.yaml lists each example with why it exists and the findings the generated validators must
give it leniently and strictly; these tests hold the files, the index, the spec's `examples` and `xml` objects
and the generated package to each other, and run the incremental example through the emulator, the client and
the status command.
"""

from __future__ import annotations

import copy
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import dts_precheck as d
import pytest
import yaml
from conftest import ROOT
from dts_precheck import _spec, _xml, validators
from dts_precheck.client import DtsClient
from emulator_process import CREDENTIALS, mock_server

from generator.cli import main
from generator.emulator.xml_writer import dict_to_xml

EXAMPLES = ROOT / "spec" / "examples"
INDEX: dict[str, dict[str, Any]] = yaml.safe_load((EXAMPLES / "index.yaml").read_text(encoding="utf-8"))
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "spec" / "dts-precheck.yaml").read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
OPERATION = SPEC["paths"]["/"]["post"]
# Which component each kind of body is, and what reads it in the generated package.
COMPONENT = {"response": "DescribePreCheckStatusResponse", "error": "ErrorResponse"}
VALIDATE = {"response": validators.validate_response, "error": validators.validate_error}
MODEL = {"response": d.DescribePreCheckStatusResponse, "error": d.ErrorResponse}
SHAPE = {"response": _spec.RESPONSE_SHAPE, "error": _spec.ERROR_SHAPE}


def xml_root(body: str) -> str:
    """The root element the spec's `xml` object names for this kind of body."""
    return str(SCHEMAS[COMPONENT[body]]["xml"]["name"])


def read(name: str) -> Any:
    raw = (EXAMPLES / name).read_bytes()
    body = INDEX[name]["body"]
    if name.endswith(".xml"):
        return _xml.xml_to_dict(raw, SHAPE[body], root=xml_root(body))
    return json.loads(raw)


def findings(name: str, strict: bool) -> list[str]:
    return [f"{i.severity} {i.keyword} {i.path}" for i in VALIDATE[INDEX[name]["body"]](read(name), strict=strict)]


def test_every_file_has_an_entry_and_every_entry_a_file() -> None:
    files = {p.name for p in EXAMPLES.iterdir()} - {"index.yaml"}
    assert files == set(INDEX)
    for name, entry in INDEX.items():
        assert entry["body"] in COMPONENT and entry["shows"] and entry["source"], name
        assert isinstance(entry["lenient"], list) and isinstance(entry["strict"], list), name


@pytest.mark.parametrize("name", sorted(INDEX))
def test_the_validators_give_the_stated_verdicts(name: str) -> None:
    assert findings(name, strict=False) == INDEX[name]["lenient"]
    assert findings(name, strict=True) == INDEX[name]["strict"]


@pytest.mark.parametrize("name", sorted(INDEX))
def test_the_models_agree_with_the_validators(name: str) -> None:
    model = MODEL[INDEX[name]["body"]]
    document = read(name)
    lenient = model.from_dict(document)
    assert [n.path for n in lenient.notes] == [f.split(" ")[-1] for f in INDEX[name]["lenient"]]
    read_as = copy.deepcopy(document)  # nothing lost: the document, with what lenient mode converted converted
    for note in lenient.notes:
        if note.kind == "coerced":
            *parents, last = [int(p) if p.isdigit() else p for p in note.path.split("/")[1:]]
            node = read_as
            for part in parents:
                node = node[part]
            assert node[last] == note.found
            node[last] = note.became
    assert lenient.to_dict() == read_as
    if INDEX[name]["strict"]:
        with pytest.raises(d.ParseError) as info:
            model.from_dict(document, strict=True)
        assert [n.path for n in info.value.notes] == [f.split(" ")[-1] for f in INDEX[name]["strict"]]
    else:
        assert model.from_dict(document, strict=True).to_dict() == document


@pytest.mark.parametrize("name", sorted(n for n, e in INDEX.items() if "same_as" in e))
def test_xml_examples_read_as_their_json_twins(name: str) -> None:
    twin = INDEX[name]["same_as"]
    assert INDEX[twin]["body"] == INDEX[name]["body"]
    assert read(name) == json.loads((EXAMPLES / twin).read_bytes())


def _spec_examples() -> list[tuple[str, str, dict[str, Any]]]:
    """(status, media type, example object) for every example the operation's responses give."""
    return [(status, media, example) for status, response in OPERATION["responses"].items()
            for media, content in response["content"].items() for example in content.get("examples", {}).values()]


def test_the_spec_names_every_example_under_a_response_of_its_kind() -> None:
    kind = {"response": "#/components/schemas/DescribePreCheckStatusResponse",
            "error": "#/components/schemas/ErrorResponse"}
    named: dict[str, list[str]] = {}
    for status, media, example in _spec_examples():
        schema = OPERATION["responses"][status]["content"][media]["schema"]["$ref"]
        if "externalValue" in example:
            name = example["externalValue"].removeprefix("examples/")
            assert (EXAMPLES / name).is_file(), f"{status} {media}: {example['externalValue']} is not a file"
            assert media == ("application/xml" if name.endswith(".xml") else "application/json"), name
            assert schema == kind[INDEX[name]["body"]], f"{name} is not a {INDEX[name]['body']} body"
            named.setdefault(name, []).append(status)
        else:  # embedded: must be one of the files, exactly
            same = [n for n in INDEX if n.endswith(".json") and json.loads((EXAMPLES / n).read_bytes()) ==
                    example["value"]]
            if same:
                named.setdefault(same[0], []).append(status)
    assert set(named) == set(INDEX), f"examples the spec does not name: {sorted(set(INDEX) - set(named))}"


def test_the_spec_xml_objects_are_what_the_generated_package_reads_and_writes() -> None:
    # The generator does not read the `xml` objects yet (it derives the same roots and shape by convention);
    # this keeps the two from drifting apart.
    assert xml_root("response") == _spec.RESPONSE_ROOT and xml_root("error") == _spec.ERROR_ROOT
    arrays = [(name, prop) for name, schema in SCHEMAS.items() for prop, sub in schema.get("properties", {}).items()
              if "array" in sub.get("type", ())]
    assert arrays
    for component, prop in arrays:
        xml = SCHEMAS[component]["properties"][prop].get("xml")
        assert xml is not None and xml["wrapped"] is False and xml["x-wrapped-item"], f"{component}.{prop}"
    doc = json.loads((EXAMPLES / "doc-sample.json").read_bytes())
    written = ET.fromstring(dict_to_xml(_spec.RESPONSE_ROOT, doc, _spec.RESPONSE_SHAPE))
    assert _tree(ET.parse(EXAMPLES / "doc-sample.xml").getroot()) == _tree(written)


def _tree(element: ET.Element) -> Any:
    """An element as (tag, text, children), whitespace between elements dropped."""
    text = element.text if len(element) == 0 else None
    return element.tag, text or "", [_tree(child) for child in element]


def test_the_wrapped_example_uses_the_item_names_the_spec_gives() -> None:
    seen: set[str] = set()

    def walk(element: ET.Element, component: str) -> None:
        for child in element:
            sub = SCHEMAS[component]["properties"][child.tag]
            if "array" in sub.get("type", ()):
                item = sub["xml"]["x-wrapped-item"]
                assert [c.tag for c in child] == [item] * len(child), f"<{child.tag}> wraps items named <{item}>"
                seen.add(f"{component}.{child.tag}")
                for entry in child:
                    walk(entry, sub["items"]["$ref"].rsplit("/", 1)[-1])
            elif "anyOf" in sub and "$ref" in sub["anyOf"][0] and "enum" not in SCHEMAS[
                    sub["anyOf"][0]["$ref"].rsplit("/", 1)[-1]]:
                walk(child, sub["anyOf"][0]["$ref"].rsplit("/", 1)[-1])

    root = ET.parse(EXAMPLES / "doc-sample-wrapped.xml").getroot()
    assert root.tag == xml_root("response")
    walk(root, COMPONENT["response"])
    assert len(seen) >= 6  # every array the doc sample fills


# ---------------------------------------------------------------- through the emulator, the client, status
@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("recordings")
    for name in ("incremental-running.json", "quirks.json"):
        shutil.copy(EXAMPLES / name, folder / name)
    with mock_server("--data", str(folder)) as url:
        yield url


@pytest.mark.parametrize("response_format", ["JSON", "XML"])
@pytest.mark.parametrize(("name", "job_code"), [("incremental-running.json", "04"), ("quirks.json", "01")])
def test_the_client_reads_a_served_example_strictly_in_both_formats(
        recorded: str, name: str, job_code: str, response_format: str) -> None:
    example = json.loads((EXAMPLES / name).read_bytes())
    with DtsClient(endpoint=recorded, access_key_id=CREDENTIALS["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                   access_key_secret=CREDENTIALS["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                   response_format=response_format, signature_version="v2") as client:
        response = client.describe_pre_check_status(dts_job_id=example["JobId"], job_code=job_code)
    assert response.notes == ()
    assert d.parse_response(response.to_dict(), strict=True).to_dict() == response.to_dict()
    assert response.to_dict()["JobProgress"] == example["JobProgress"]
    assert response.job_name == example["JobName"] and response.code == job_code


def test_status_counts_a_running_incremental_job_as_running(
        recorded: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    example = json.loads((EXAMPLES / "incremental-running.json").read_bytes())
    code = main(["status", "--job-id", example["JobId"], "--job-code", "04", "--endpoint", recorded,
                 "--format", "json"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 0 and shown["outcome"] == "running" and shown["state"] == "Catched"
    assert shown["counts"] == {"failed": 0, "warning": 0, "passed": 0, "pending": 1}  # Catched: not ended
    assert [item["State"] for item in shown["items"]] == ["Catched"]
