"""The delivery functions as the host calls them: timers fan out one queue message per feed; the queue worker
builds the file; a message it cannot use fails, so the host retries it and finally moves it to the poison queue."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequest

from function_app import bootstrap as composition
from function_app.domain.partners import load_partner_config
from tests.events import Captured
from tests.functions.registry import registered


def timer() -> TimerRequest:
    return TimerRequest(past_due=False)


def queue_message(payload: Any) -> func.QueueMessage:
    return func.QueueMessage(id="m1", body=json.dumps(payload).encode())


@pytest.mark.usefixtures("on_azurite")
def test_timers_enqueue_one_job_per_feed_of_their_mode() -> None:
    config = load_partner_config(composition.exchange().settings.partner_config)
    nightly, micro = Captured(), Captured()
    registered("schedule_nightly_files")(timer=timer(), jobs=nightly)
    registered("schedule_micro_batches")(timer=timer(), jobs=micro)
    expected_daily = {(p.id, f.name) for p in config.partners for f in p.feeds if f.mode == "daily"}
    assert {(j["partner"], j["feed"]) for j in map(json.loads, nightly.get())} == expected_daily
    assert {json.loads(j)["partner"] for j in micro.get()} == {"adm-02"}


@pytest.mark.usefixtures("on_azurite")
def test_the_queue_worker_builds_the_file_once() -> None:
    job = {"partner": "adm-01", "feed": "nightly-contracts", "business_date": "2026-03-02"}
    registered("deliver_partner_file")(message=queue_message(job))
    registered("deliver_partner_file")(message=queue_message(job))
    deliveries = composition.exchange().deliveries
    assert deliveries is not None
    assert [(f.sequence, f.record_count) for f in deliveries.files("adm-01")] == [(1, 0)]


@pytest.mark.parametrize(
    "payload", [{"partner": "adm-01"}, {"partner": "x", "feed": "y", "business_date": "2026-03-02"}, "not an object"]
)
@pytest.mark.usefixtures("on_azurite")
def test_an_unusable_job_fails_so_the_host_retries_then_poisons_it(payload: Any) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        registered("deliver_partner_file")(message=queue_message(payload))
