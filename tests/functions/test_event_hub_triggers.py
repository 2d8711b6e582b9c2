"""The registered functions, called with Event Hub batches built the way the worker builds them, on Azurite."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

import function_app
from function_app import bootstrap as composition
from tests.events import Captured, cancellation, contract, eventhub_batch


@functools.cache
def _user_functions() -> dict[str, Any]:
    """The app validates names on each get_functions(); the worker calls it once, and so do we."""
    return {str(f.get_function_name()): f.get_user_function() for f in function_app.app.get_functions()}


def registered(name: str) -> Any:
    return _user_functions()[name]


def call(name: str, bodies: list[bytes], **batch: Any) -> list[dict[str, Any]]:
    out = Captured()
    registered(name)(events=eventhub_batch(bodies, **batch), feedback=out)
    return [json.loads(item) for item in out.get()]


def body(event: dict[str, Any]) -> bytes:
    return json.dumps(event).encode()


@pytest.mark.usefixtures("on_azurite")
def test_contract_batch_is_decided_and_answered_per_event() -> None:
    bodies = [body(contract("VSC1000001")), b"{", body(contract("VSC1000002", revision=0))]
    feedback = call("contract_submissions", bodies)
    assert [f["data"]["status"] for f in feedback] == ["ACCEPTED", "REJECTED", "REJECTED"]
    assert feedback[1]["data"]["reasons"][0]["code"] == "MALFORMED"
    assert feedback[2]["data"]["reasons"][0]["field"] == "revision"
    letters = list(composition.exchange().dead_letters.names("contracts/"))
    assert len(letters) == 2
    letter = composition.exchange().dead_letters.get(letters[0])
    assert (letter.partition, letter.enqueued_time.year) == ("3", 2026)
    assert letter.sequence_number in (101, 102)


@pytest.mark.usefixtures("on_azurite")
def test_redelivered_batch_is_answered_identically() -> None:
    bodies = [body(contract(f"VSC20000{i:02d}")) for i in range(30)]
    first = call("contract_submissions", bodies)
    again = call("contract_submissions", bodies)
    assert again == first
    assert {f["data"]["status"] for f in first} == {"ACCEPTED"}


@pytest.mark.usefixtures("on_azurite")
def test_cancellation_waits_on_its_own_hub_for_the_contract_from_the_other() -> None:
    assert call("cancellation_requests", [body(cancellation("VSC2501150001"))]) == []
    feedback = call("contract_submissions", [body(contract("VSC2501150001"))], first_sequence=500)
    assert [f["data"]["status"] for f in feedback] == ["ACCEPTED", "ACCEPTED"]
    assert feedback[1]["data"]["refund"]["dealer_chargeback"] == "914.88"


@pytest.mark.usefixtures("on_azurite")
def test_batch_of_one_hundred_new_contracts() -> None:
    bodies = [body(contract(f"VSC3{i:06d}")) for i in range(100)]
    feedback = call("contract_submissions", bodies)
    assert len(feedback) == 100
    assert len({f["id"] for f in feedback}) == 100


@pytest.mark.usefixtures("on_azurite")
def test_one_hundred_revisions_of_one_contract_in_one_batch() -> None:
    """More events of one contract than one transaction can carry: written in waves, in order."""
    bodies = [body(contract("VSC5000001", revision=r, event_id=f"r{r}", term_months=r + 12)) for r in range(1, 101)]
    feedback = call("contract_submissions", bodies)
    assert [f["data"]["status"] for f in feedback] == ["ACCEPTED"] * 100
    assert call("contract_submissions", bodies) == feedback
