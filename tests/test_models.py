"""The generated models on the real spec: the doc sample, absent/null/present, open enums, type drift."""

from __future__ import annotations

import copy
import json
from typing import Any

import dts_precheck as d
import pytest
from conftest import DOC_SAMPLE as SAMPLE
from dts_precheck import strategies as gen
from dts_precheck import validators
from hypothesis import given
from hypothesis import strategies as st


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_doc_sample_parses_strictly_and_round_trips() -> None:
    raw = SAMPLE.read_bytes()
    response = d.parse_response(raw, strict=True)
    assert response.to_dict() == json.loads(raw)
    assert response.notes == ()
    assert response.state is d.JobState.FINISHED
    assert response.job_id == " b4my3zg929a****"  # the leading space is data, kept
    item = response.job_progress[0]
    assert isinstance(item, d.ProgressInfo) and item.state is d.ProgressState.SUCCESS
    assert item.sub == "[]" and item.id == "5632" and item.current == "0"
    assert response.sub_distributed_job_status[0].job_progress[0].repair_method.endswith("\t\n")
    assert response.network_diagnosis_result.diagnosis[0].endpoint_type is d.DiagnosisEndpointType.SOURCE


@pytest.mark.parametrize("raw", [SAMPLE.read_bytes(), SAMPLE.read_text(encoding="utf-8"), sample()])
def test_parse_response_takes_bytes_text_and_dicts(raw: Any) -> None:
    assert d.parse_response(raw).to_dict() == sample()


def test_absent_null_and_present_are_three_states() -> None:
    doc = {"ErrorItem": None, "JobProgress": [], "Total": 3}
    response = d.parse_response(doc)
    assert response.error_item is None
    assert response.job_progress == []
    assert response.total == 3
    assert response.state is d.UNSET and response.job_name is d.UNSET
    assert response.to_dict() == doc
    assert set(response.to_dict()) == {"ErrorItem", "JobProgress", "Total"}


def test_unknown_enum_value_is_kept_flagged_and_equal_to_its_text() -> None:
    doc = sample()
    doc["State"] = "Rebalancing"
    doc["JobProgress"][0]["State"] = "Paused"
    response = d.parse_response(doc)
    assert response.state == "Rebalancing" and isinstance(response.state, d.JobState)
    assert not response.state.is_known and d.JobState.FINISHED.is_known
    assert repr(response.state) == "JobState('Rebalancing')"
    assert response.to_dict() == doc
    assert [(n.path, n.kind) for n in response.notes] == [("/State", "unknown_enum"),
                                                         ("/JobProgress/0/State", "unknown_enum")]
    with pytest.raises(d.ParseError) as info:
        d.parse_response(doc, strict=True)
    assert [n.path for n in info.value.notes] == ["/State", "/JobProgress/0/State"]
    assert "/State" in str(info.value)


def test_known_values_are_members_and_compare_equal_to_strings() -> None:
    assert d.JobState("Finished") is d.JobState.FINISHED
    assert d.JobState.FINISHED == "Finished" and hash(d.JobState.FINISHED) == hash("Finished")
    assert d.TaskCode("01") == "01"
    # x-enum-names: the task codes read as what they are, not as their digits
    assert [m.name for m in d.TaskCode] == ["PRECHECK", "SCHEMA", "FULL_DATA", "INCREMENTAL"]
    assert d.TaskCode("04") is d.TaskCode.INCREMENTAL


def test_type_drift_is_coerced_leniently_and_rejected_strictly() -> None:
    doc = sample()
    doc["Success"] = "True"
    doc["ErrorItem"] = "0"
    doc["JobProgress"][0]["DiffRow"] = "None"
    doc["JobProgress"][0]["CanSkip"] = "false"
    response = d.parse_response(doc)
    assert response.success is True and response.error_item == 0
    assert response.job_progress[0].diff_row is None and response.job_progress[0].can_skip is False
    assert sorted(n.path for n in response.coercions) == ["/ErrorItem", "/JobProgress/0/CanSkip",
                                                          "/JobProgress/0/DiffRow", "/Success"]
    with pytest.raises(d.ParseError) as info:
        d.parse_response(doc, strict=True)
    assert sorted(n.path for n in info.value.notes) == sorted(n.path for n in response.coercions)


def test_wrong_types_are_kept_leniently_with_a_note() -> None:
    doc = {"JobProgress": [{"BootTime": [1647417691000], "Item": 42}], "Total": {"x": 1}}
    response = d.parse_response(doc)
    assert response.to_dict() == doc  # nothing lost: whatever the service sends survives
    assert {(n.path, n.kind) for n in response.notes} == {("/JobProgress/0/BootTime", "wrong_type"),
                                                          ("/JobProgress/0/Item", "wrong_type"),
                                                          ("/Total", "wrong_type")}


def test_epoch_millisecond_times_of_the_first_sdk_generation_are_the_spec() -> None:
    doc = {"JobProgress": [{"BootTime": 1647417691000, "FinishTime": "2022-03-16T08:01:34.000+00:00"}]}
    item = d.parse_response(doc, strict=True).job_progress[0]
    assert item.boot_time == 1647417691000 and item.finish_time == "2022-03-16T08:01:34.000+00:00"
    with pytest.raises(d.ParseError, match="BootTime"):  # int64 still bounds the integer form
        d.parse_response({"JobProgress": [{"BootTime": 2**63}]}, strict=True)


def test_unknown_fields_survive_a_round_trip() -> None:
    doc = sample()
    doc["NewField2030"] = {"a": [1]}
    doc["JobProgress"][0]["Hint"] = "x"
    response = d.parse_response(doc)
    assert response.to_dict() == doc
    with pytest.raises(d.ParseError):
        d.parse_response(doc, strict=True)


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", "\"text\"", b"\xff"])
def test_not_an_object_is_a_parse_error(raw: Any) -> None:
    with pytest.raises(d.ParseError):
        d.parse_response(raw)


@given(gen.response_documents(unknown_enums=True))
def test_round_trip_property(doc: dict[str, Any]) -> None:
    """to_dict(from_dict(x)) == x for every document the schema admits, absent keys, nulls and
    unknown enum values included."""
    before = copy.deepcopy(doc)
    assert d.DescribePreCheckStatusResponse.from_dict(doc).to_dict() == doc
    assert doc == before  # parsing never mutates its input


@given(gen.response_documents(drift=True, unknown_enums=True))
def test_lenient_parse_never_raises_and_strict_flags_exactly_the_notes(doc: dict[str, Any]) -> None:
    response = d.parse_response(doc)
    if response.notes:
        with pytest.raises(d.ParseError) as info:
            d.parse_response(doc, strict=True)
        assert info.value.notes == response.notes
    else:
        assert d.parse_response(doc, strict=True).to_dict() == doc


@given(st.sampled_from(sorted(d.JobState, key=str)) | st.text())
def test_any_string_in_an_enum_position_parses(value: str) -> None:
    response = d.parse_response({"State": value})
    assert response.state == value
    assert response.state.is_known == (value in d.JobState._value2member_map_)
    assert response.to_dict() == {"State": value}


# ---------------------------------------------------------------- what the sources say the service sends
# The doc page's State lists for JobProgress[] items and for SubDistributedJobStatus[].JobProgress[] items.
DOCUMENTED_ITEM_STATES = ["NotStarted", "Checking", "Migrating", "Failed", "Warning", "Success",
                          "NotStarted", "Suspending", "Checking", "Migrating", "Failed", "Catched", "Finished"]


@given(st.sampled_from(DOCUMENTED_ITEM_STATES), st.sampled_from(["JobProgress", "AnalysisJobProgress"]))
def test_every_documented_item_state_passes_strictly_in_every_item_list(state: str, where: str) -> None:
    # The lists differ, but the items share one type, so strict reading takes every documented state anywhere.
    doc = {where: [{"State": state}], "SubDistributedJobStatus": [{"JobProgress": [{"State": state}]}],
           "FullNetCheckJobStatus": [{"JobProgress": [{"State": state}]}]}
    assert d.parse_response(doc, strict=True).to_dict() == doc
    assert validators.validate(doc, strict=True) == []


@given(st.text() | st.none())
def test_any_log_level_passes_strictly(level: str | None) -> None:
    doc = {"JobProgress": [{"Logs": [{"LogLevel": level, "ErrMsg": "x"}]}]}  # no source gives a value set
    assert d.parse_response(doc, strict=True).job_progress[0].logs[0].log_level == level
    assert validators.validate(doc, strict=True) == []


@given(st.text() | st.integers(-(2**63), 2**63 - 1) | st.integers(2**63, 2**70) | st.integers(max_value=-(2**63) - 1))
def test_item_times_are_text_or_int64_epoch_milliseconds(value: str | int) -> None:
    doc = {"SubDistributedJobStatus": [{"JobProgress": [{"BootTime": value, "FinishTime": value}]}]}
    fits = isinstance(value, str) or -(2**63) <= value < 2**63
    assert (validators.validate(doc, strict=True) == []) is fits
    if fits:
        item = d.parse_response(doc, strict=True).sub_distributed_job_status[0].job_progress[0]
        assert item.boot_time == value and item.finish_time == value
    else:
        with pytest.raises(d.ParseError):
            d.parse_response(doc, strict=True)
