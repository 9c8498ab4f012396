"""The emulator's recorded data (--data) and its job parameter: ids matched exactly as recorded, the other
echoed parameters (the subtask code) respected, nothing read outside the data folder, and an optional job
parameter answered from the spec (its default, or the missing-parameter error), tried on a small spec
written here."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DOC_SAMPLE as SAMPLE

from generator.emulator import Emulator, EmulatorConfigError
from generator.emulator.client import Answer, Caller

ACTION, VERSION = "DescribePreCheckStatus", "2020-01-01"


def call(server: Emulator, params: dict[str, Any], action: str = ACTION, version: str = VERSION) -> Answer:
    with Caller(server.url, action, version, server.access_key_id, server.access_key_secret) as c:
        return c.request(params)


def sample(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


# ---------------------------------------------------------------- job ids and codes
def test_a_recorded_job_id_matches_exactly_as_recorded(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "capture.json")
    recorded = sample()["JobId"]
    assert recorded.startswith(" ")  # the documentation's sample carries a leading space
    with Emulator(data=tmp_path) as server:
        exact = call(server, {"DtsJobId": recorded, "JobCode": "01"})
        assert exact.status == 200 and exact.json()["JobId"] == recorded
        for near in (recorded.strip(), recorded + " ", recorded.upper()):
            answer = call(server, {"DtsJobId": near, "JobCode": "01"})
            assert answer.status == 400 and answer.json()["Code"] == "InvalidJobId", near
        assert call(server, {"DtsJobId": "capture", "JobCode": "01"}).status == 200  # and by its file name


def test_the_recorded_job_code_is_respected(tmp_path: Path) -> None:
    (tmp_path / "precheck.json").write_text(json.dumps(sample(JobId="job-7", Code="01")))
    full = sample(JobId="job-7", Code="03", State="Migrating")
    full["JobProgress"] = [dict(full["JobProgress"][0], Item="FULL_DATA")]
    (tmp_path / "full-data.json").write_text(json.dumps(full))
    with Emulator(data=tmp_path) as server:
        precheck = call(server, {"DtsJobId": "job-7", "JobCode": "01"}).json()
        assert precheck["Code"] == "01" and precheck["State"] == "Finished"
        migrating = call(server, {"DtsJobId": "job-7", "JobCode": "03"}).json()
        assert migrating["Code"] == "03" and migrating["JobProgress"][0]["Item"] == "FULL_DATA"
        other = call(server, {"DtsJobId": "job-7", "JobCode": "02"})
        assert other.status == 400 and other.json()["Code"] == "InvalidJobId"
        logged = server.records[-1]
        assert logged["verdict"] == "InvalidJobId"
        # by file name, a recording still answers only the code it was recorded for
        assert call(server, {"DtsJobId": "precheck", "JobCode": "01"}).status == 200
        assert call(server, {"DtsJobId": "precheck", "JobCode": "04"}).status == 400


def test_why_a_recording_does_not_answer(tmp_path: Path) -> None:
    (tmp_path / "j.json").write_text(json.dumps(sample(JobId="job-7", Code="01")))
    with Emulator(data=tmp_path) as server:
        store = server.engine.store()
        assert store.why_missing("job-7", {"JobCode": "02"}) == "job 'job-7' is recorded only for JobCode '01'"
        assert store.why_missing("job-8", {"JobCode": "01"}) == "no job 'job-8'"


# ---------------------------------------------------------------- nothing outside the folder
def test_links_out_of_the_data_folder_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text(json.dumps(sample(JobId="secret")))
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE, data / "ok.json")
    (data / "leak.json").symlink_to(outside / "secret.json")
    with pytest.raises(EmulatorConfigError, match=r"leak\.json: links out of the data folder"):
        Emulator(data=data)
    (data / "leak.json").unlink()
    (data / "more").symlink_to(outside, target_is_directory=True)
    with pytest.raises(EmulatorConfigError, match=r"more: links out of the data folder"):
        Emulator(data=data)
    (data / "more").unlink()
    (data / "alias.json").symlink_to(data / "ok.json")  # a link that stays inside is fine
    with Emulator(data=data) as server:
        assert call(server, {"DtsJobId": "alias", "JobCode": "01"}).status == 200
        assert call(server, {"DtsJobId": "secret", "JobCode": "01"}).status == 400


def test_a_fifo_or_dangling_link_among_recordings_is_refused_without_blocking(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "ok.json")
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "gone.json").symlink_to(tmp_path / "nowhere.json")
    started = time.monotonic()
    with pytest.raises(EmulatorConfigError) as info:
        Emulator(data=tmp_path)
    assert time.monotonic() - started < 10
    assert "pipe.json: not a regular file" in str(info.value) and "gone.json: cannot be read" in str(info.value)


# ---------------------------------------------------------------- an optional job parameter
SMALL_SPEC = """
openapi: 3.1.0
info: {title: Shelf Service GetShelf, version: "2040-01-01"}
servers: [{url: "https://shelves.example.test"}]
x-service:
  product: Shelves
  api_version: "2040-01-01"
  package: shelf_service
  client_class: ShelfClient
  style: rpc
  endpoints: {regions: {moon-1: shelves.example.test}, fallback: "shelves.{region_id}.example.test"}
  signing: {default: v3, supported: [v3, v2]}
  credentials_env: {access_key_id: SHELF_KEY, access_key_secret: SHELF_SECRET}
  retry: {max_attempts: 1, base_delay_ms: 10, max_delay_ms: 10, deadline_s: 5}
  errors:
    schema: {$ref: "#/components/schemas/Failure"}
    base_class: ShelfError
    code_field: Code
    message_field: Message
    request_id_field: RequestId
    codes:
      - {code: Missing, http_status: [400], retryable: false, class: MissingError, message: "{name} is missing."}
      - {code: Invalid, http_status: [400], retryable: false, class: InvalidError}
      - {code: Denied, http_status: [403], retryable: false, class: DeniedError}
      - {code: Busy, http_status: [503], retryable: true, class: BusyError}
  emulator:
    errors:
      missing_parameter: {code: Missing, message: 'Parameter "{name}" is missing.'}
      invalid_parameter: {code: Invalid, message: 'Parameter "{name}" is not valid: {reason}.'}
      bad_request: {code: Invalid, message: "Unreadable: {reason}."}
      too_large: {code: Invalid, message: "Too large: {reason}."}
      unknown_action: {code: Invalid}
      unknown_api: {code: Invalid}
      invalid_version: {code: Invalid}
      signature_missing: {code: Denied}
      signature_malformed: {code: Denied}
      signature_mismatch: {code: Denied}
      timestamp_malformed: {code: Denied}
      timestamp_expired: {code: Denied}
      nonce_used: {code: Denied}
      unknown_key: {code: Denied}
      token_expired: {code: Denied}
      token_invalid: {code: Denied}
      throttled: {code: Busy}
      unavailable: {code: Busy}
paths:
  /:
    get:
      operationId: GetShelf
      summary: One shelf's books, paged.
      x-rpc: {action: GetShelf, methods: [GET, POST]}
      x-pagination: {style: page-number, page_param: Page, size_param: Size, items_field: Books,
                     total_field: Count}
      x-emulator:
        job_param: Shelf
        echo: {Shelf: Shelf}
        synthetic: {items: {min: 2, max: 4}}
      parameters:
        - {name: Shelf, in: query, schema: {type: string}}
        - {name: Page, in: query, schema: {type: integer, minimum: 1, default: 1}}
        - {name: Size, in: query, schema: {type: integer, minimum: 1, maximum: 50, default: 10}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/ShelfPage"}}}
        default:
          description: failure
          content: {application/json: {schema: {$ref: "#/components/schemas/Failure"}}}
components:
  schemas:
    Book:
      type: object
      properties:
        Title: {type: [string, "null"]}
    ShelfPage:
      type: object
      properties:
        Shelf: {type: [string, "null"]}
        Count: {type: [integer, "null"]}
        Books: {type: [array, "null"], items: {$ref: "#/components/schemas/Book"}}
    Failure:
      type: object
      properties:
        Code: {type: string}
        Message: {type: string}
        RequestId: {type: string}
"""


def _small_spec(tmp_path: Path, default: str | None) -> Path:
    data = yaml.safe_load(SMALL_SPEC)
    if default is not None:
        data["paths"]["/"]["get"]["parameters"][0]["schema"]["default"] = default
    path = tmp_path / f"shelves-{default}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_an_optional_job_parameter_left_out_is_the_missing_parameter_error(tmp_path: Path) -> None:
    with Emulator(spec=_small_spec(tmp_path, None)) as server:
        answer = call(server, {}, "GetShelf", "2040-01-01")
        assert answer.status == 400
        assert answer.json()["Code"] == "Missing" and answer.json()["Message"] == 'Parameter "Shelf" is missing.'
        assert call(server, {"Shelf": ""}, "GetShelf", "2040-01-01").json()["Code"] == "Missing"
        named = call(server, {"Shelf": "north"}, "GetShelf", "2040-01-01")
        assert named.status == 200 and named.json()["Shelf"] == "north" and named.json()["Books"]
        assert server.records[0]["verdict"] == "Missing" and "internal_error" not in server.records[0]


def test_an_optional_job_parameter_left_out_selects_its_default_job(tmp_path: Path) -> None:
    with Emulator(spec=_small_spec(tmp_path, "main")) as server:
        left_out = call(server, {}, "GetShelf", "2040-01-01")
        named = call(server, {"Shelf": "main"}, "GetShelf", "2040-01-01")
        assert left_out.status == 200 and left_out.json()["Books"] == named.json()["Books"]
        assert call(server, {"Shelf": "other"}, "GetShelf", "2040-01-01").json()["Shelf"] == "other"
