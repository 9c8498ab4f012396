"""The emulator refuses a signature whose timestamp is too far from its clock, in the past (a replay) and in
the future (it would stay valid, and its nonce remembered, for too long), with either signing version;
within the spec's clock skew it accepts both ways. Real HTTP against the emulator."""

from __future__ import annotations

import time

import pytest

from generator.emulator import Emulator
from generator.emulator.client import Caller
from generator.runtime._signing import utc_timestamp

ACTION = "DescribePreCheckStatus"
VERSION = "2020-01-01"
SKEW_S = 900  # the spec's x-service.emulator.gateway.max_clock_skew_s


@pytest.mark.parametrize("signing", ["v3", "v2"])
@pytest.mark.parametrize(("offset_s", "accepted"), [(-3600, False), (-SKEW_S - 60, False), (-SKEW_S + 60, True),
                                                    (0, True), (SKEW_S - 60, True), (SKEW_S + 60, False),
                                                    (86400, False)])
def test_signature_timestamps_are_checked_both_ways(mock_server: Emulator, signing: str, offset_s: int,
                                                    accepted: bool) -> None:
    with Caller(mock_server.url, ACTION, VERSION, mock_server.access_key_id, mock_server.access_key_secret,
                signing=signing) as c:
        answer = c.request({"DtsJobId": "job-1", "JobCode": "01"}, timestamp=utc_timestamp(time.time() + offset_s))
    if accepted:
        assert answer.status == 200, answer.body
    else:
        assert answer.status == 400 and answer.json()["Code"] == "InvalidTimeStamp.Expired"
