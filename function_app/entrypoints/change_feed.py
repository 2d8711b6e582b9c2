"""The change feed: the policy-administration database's row changes (Debezium) applied to the source of record.
Nothing is answered: a malformed change is dead-lettered, a side record (heartbeat, transaction marker, schema
change, tombstone) skipped and counted."""

from __future__ import annotations

import typing

import azure.functions as func

from function_app.entrypoints import retries
from function_app.entrypoints.eventhub import apply_batch
from function_app.entrypoints.realtime import BODIES_AS_BYTES, CONNECTION, CONSUMER_GROUP

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]


@blueprint.function_name("policy_admin_changes")
@retries.event_stream(blueprint)
@blueprint.event_hub_message_trigger(
    arg_name="events", event_hub_name="policy-admin-cdc", connection=CONNECTION,
    cardinality=func.Cardinality.MANY, consumer_group=CONSUMER_GROUP, data_type=BODIES_AS_BYTES,
)
def policy_admin_changes(events: typing.List[func.EventHubEvent]) -> None:
    apply_batch("policy-admin-cdc", events)  # back-office changes are not answered; malformed ones are dead-lettered
