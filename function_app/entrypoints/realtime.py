"""Event Hub triggers: dealers' contract submissions and cancellation requests, answered on `dealer-feedback`."""

from __future__ import annotations

import typing

import azure.functions as func

from function_app.entrypoints import retries
from function_app.entrypoints.eventhub import decide_batch

CONNECTION = "EventHubConnection"  # managed identity: EventHubConnection__fullyQualifiedNamespace
CONSUMER_GROUP = "exchange"
FEEDBACK_HUB = "dealer-feedback"
# Without a dataType the host binds a batch as object[] and JSON-parses every body before Python runs: one body
# that is not JSON then fails the whole batch in the host. As bytes, every body reaches the exchange untouched.
BODIES_AS_BYTES = func.DataType.BINARY

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


@blueprint.function_name("contract_submissions")
@retries.event_stream(blueprint)
@blueprint.event_hub_message_trigger(
    arg_name="events", event_hub_name="contracts", connection=CONNECTION,
    cardinality=func.Cardinality.MANY, consumer_group=CONSUMER_GROUP, data_type=BODIES_AS_BYTES,
)
@blueprint.event_hub_output(arg_name="feedback", event_hub_name=FEEDBACK_HUB, connection=CONNECTION)
def contract_submissions(events: typing.List[func.EventHubEvent], feedback: func.Out[typing.List[str]]) -> None:
    feedback.set(decide_batch("contracts", events))


@blueprint.function_name("cancellation_requests")
@retries.event_stream(blueprint)
@blueprint.event_hub_message_trigger(
    arg_name="events", event_hub_name="cancellations", connection=CONNECTION,
    cardinality=func.Cardinality.MANY, consumer_group=CONSUMER_GROUP, data_type=BODIES_AS_BYTES,
)
@blueprint.event_hub_output(arg_name="feedback", event_hub_name=FEEDBACK_HUB, connection=CONNECTION)
def cancellation_requests(events: typing.List[func.EventHubEvent], feedback: func.Out[typing.List[str]]) -> None:
    feedback.set(decide_batch("cancellations", events))


@blueprint.function_name("policy_admin_changes")
@retries.event_stream(blueprint)
@blueprint.event_hub_message_trigger(
    arg_name="events", event_hub_name="policy-admin-cdc", connection=CONNECTION,
    cardinality=func.Cardinality.MANY, consumer_group=CONSUMER_GROUP, data_type=BODIES_AS_BYTES,
)
def policy_admin_changes(events: typing.List[func.EventHubEvent]) -> None:
    decide_batch("policy-admin-cdc", events)  # back-office changes are not answered; malformed ones are dead-lettered
