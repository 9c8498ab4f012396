"""Emulator scenarios: jobs that move over time, so waiters and pollers are tested for real."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fakes import FakeClock

from generator.emulator import Emulator, EmulatorConfigError
from generator.emulator.client import Caller
from generator.emulator.scenarios import Timeline

ACTION = "DescribePreCheckStatus"
VERSION = "2020-01-01"


def poll(server: Emulator, job: str, **params: Any) -> dict[str, Any]:
    with Caller(server.url, ACTION, VERSION, server.access_key_id, server.access_key_secret) as c:
        answer = c.request({"DtsJobId": job, "JobCode": "01", "PageSize": 50, **params})
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    return body


def states(body: dict[str, Any]) -> tuple[str, list[str], int]:
    return body["State"], [i["State"] for i in body["JobProgress"]], body["ErrorItem"]


def test_passing_scenario_walks_every_state() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-passes", clock=clock, seed=1) as server:
        assert states(poll(server, "j")) == ("NotStarted", ["NotStarted"] * 8, 0)
        clock.now += 1.2  # item 0 runs during [1, 2)
        job, items, errors = states(poll(server, "j"))
        assert job == "Checking" and items[0] == "Checking" and items[1:] == ["NotStarted"] * 7 and errors == 0
        clock.now += 2.0  # t = 3.2: items 0-2 ended, item 3 runs during [2.5, 3.5)
        job, items, _errors = states(poll(server, "j"))
        assert job == "Checking" and items[:3] == ["Success"] * 3 and items[3] == "Checking"
        clock.now += 10
        assert states(poll(server, "j")) == ("Finished", ["Success"] * 8, 0)
        # another job has its own timeline, from its own first request
        assert poll(server, "other")["State"] == "NotStarted"


def test_failing_scenario_counts_its_failures() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-fails", clock=clock, seed=2) as server:
        seen = []
        for _ in range(30):
            seen.append(states(poll(server, "j")))
            clock.now += 0.25
        counts = [errors for _, _, errors in seen]
        assert counts == sorted(counts) and counts[-1] == 2  # ErrorItem only grows, to the failures
        for _job, items, errors in seen:
            assert errors == items.count("Failed")
        final = poll(server, "j")
        assert final["State"] == "Finished" and final["ErrorItem"] == 2
        failed = [i for i in final["JobProgress"] if i["State"] == "Failed"]
        assert len(failed) == 2 and all(i["ErrMsg"] and i["RepairMethod"] for i in failed)
        assert {s for s, _, _ in seen} == {"NotStarted", "Checking", "Finished"}


def test_aborting_scenario_ends_failed_at_the_first_failure() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-aborts", clock=clock, seed=3) as server:
        poll(server, "j")
        clock.now += 100
        job, items, errors = states(poll(server, "j"))
        assert job == "Failed" and errors == 1 and items.count("Failed") == 1
        failed_at = items.index("Failed")
        assert items[failed_at + 3:] == ["NotStarted"] * len(items[failed_at + 3:])  # frozen when it failed


def test_failures_are_chosen_by_seed() -> None:
    finals = []
    for seed in (5, 5, 6, 7, 8):
        clock = FakeClock()
        with Emulator(scenario="precheck-fails", clock=clock, seed=seed) as server:
            poll(server, "j")
            clock.now += 100
            finals.append([i["State"] for i in poll(server, "j")["JobProgress"]])
    assert finals[0] == finals[1]
    assert len({tuple(f) for f in finals}) > 2


def test_scenario_step_and_unknown_names() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-passes:step=0.1", clock=clock) as server:
        poll(server, "j")
        clock.now += 0.1 * (1 + 7 / 2 + 1) + 1e-6
        assert poll(server, "j")["State"] == "Finished"
    with pytest.raises(EmulatorConfigError, match="precheck-passes"):
        Emulator(scenario="no-such-scenario")
    with pytest.raises(EmulatorConfigError, match="step"):
        Emulator(scenario="precheck-passes:step=-1")


def test_a_job_can_walk_its_own_scenario(mock_server: Emulator) -> None:
    mock_server.add_job("own", items=3, scenario="precheck-fails:step=0.05")
    assert poll(mock_server, "own")["State"] == "NotStarted"
    assert poll(mock_server, "static")["State"] == "Finished"
    time.sleep(0.05 * (1 + 2 / 2 + 1) + 0.05)
    final = poll(mock_server, "own")
    assert final["State"] == "Finished" and final["ErrorItem"] == 2


def test_real_time_polling_sees_the_states_in_order() -> None:
    with Emulator(scenario="precheck-fails:step=0.1", seed=9) as server:
        seen: list[str] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            state = poll(server, "live")["State"]
            if not seen or seen[-1] != state:
                seen.append(state)
            if state == "Finished":
                break
            time.sleep(0.01)
    assert seen == ["NotStarted", "Checking", "Finished"]


def test_timeline_arithmetic() -> None:
    line = Timeline(1.0, frozenset({2}), abort=False)
    assert line.at(0.5, 4) == ("pending", ["pending"] * 4)
    assert line.at(1.0, 4) == ("running", ["running", "pending", "pending", "pending"])
    assert line.at(2.9, 4) == ("running", ["passed", "passed", "running", "running"])
    assert line.at(3.0, 4) == ("running", ["passed", "passed", "failed", "running"])
    assert line.at(3.5, 4) == ("done", ["passed", "passed", "failed", "passed"])
    assert line.duration(4) == 3.5
    aborting = Timeline(1.0, frozenset({1}), abort=True)
    assert aborting.at(9, 4) == ("aborted", ["passed", "failed", "running", "running"])
    assert aborting.duration(4) == 2.5
