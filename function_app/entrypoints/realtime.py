"""The real-time path: dealers' contract submissions and dealers' and lenders' cancellation requests, answered on
`dealer-feedback`, and the timer that answers held cancellations whose contract never came (CONTRACT_NOT_FOUND).

Answers are sent by the exchange's feedback sender (azure-eventhub), not an output binding: the binding cannot
set a partition key for Python (Azure/azure-functions-python-worker#654), and each answer goes under its input's."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import azure.functions as func

from function_app.adapters.realtime.feedback_hub import FEEDBACK_HUB
from function_app.entrypoints import retries
from function_app.entrypoints.eventhub import decide_batch

CONNECTION = "EventHubConnection"  # = config.EVENT_HUB_SETTING; in Azure: EventHubConnection__fullyQualifiedNamespace
CONSUMER_GROUP = "exchange"
__all__ = ["FEEDBACK_HUB", "blueprint"]
# Without a dataType the host binds a batch as object[] and JSON-parses every body before Python runs: one body
# that is not JSON then fails the whole batch in the host. As bytes, every body reaches the exchange untouched.
BODIES_AS_BYTES = func.DataType.BINARY

HOLD_EXPIRY_SCHEDULE = "0 */15 * * * *"  # UTC; a held request waits at most 15 minutes past its 72 hours

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


@blueprint.function_name("contract_submissions")
@retries.event_stream(blueprint)
@blueprint.event_hub_message_trigger(
    arg_name="events", event_hub_name="contracts", connection=CONNECTION,
    cardinality=func.Cardinality.MANY, consumer_group=CONSUMER_GROUP, data_type=BODIES_AS_BYTES,
)
def contract_submissions(events: typing.List[func.EventHubEvent]) -> None:
    decide_batch("contracts", events)


@blueprint.function_name("cancellation_requests")
@retries.event_stream(blueprint)
@blueprint.event_hub_message_trigger(
    arg_name="events", event_hub_name="cancellations", connection=CONNECTION,
    cardinality=func.Cardinality.MANY, consumer_group=CONSUMER_GROUP, data_type=BODIES_AS_BYTES,
)
def cancellation_requests(events: typing.List[func.EventHubEvent]) -> None:
    decide_batch("cancellations", events)


@blueprint.function_name("expire_held_cancellations")
@retries.schedule(blueprint)
@blueprint.timer_trigger(arg_name="timer", schedule=HOLD_EXPIRY_SCHEDULE, use_monitor=True)
def expire_held_cancellations(timer: func.TimerRequest) -> None:
    from function_app import telemetry
    from function_app.bootstrap import exchange

    with telemetry.invocation("expire_held_cancellations", telemetry.TIMER, **{"fni.past_due": timer.past_due}):
        current = exchange()
        report = current.holds.run(datetime.now(UTC))
        current.feedback.send(report.feedback)  # each under the key its request came with
