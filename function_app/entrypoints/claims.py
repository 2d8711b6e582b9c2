"""Inbound claims files: Event Grid tells of each blob created under `inbound/claims/` in a partner's
container (a blob trigger cannot watch a family of containers, and Flex Consumption has only Event Grid-based
blob triggers); the function processes that partner's file. `fnix inbound scan` does the same locally."""

from __future__ import annotations

import json
import logging
import re
import time

import azure.functions as func

blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

# /blobServices/default/containers/<container>/blobs/<name>
SUBJECT = re.compile(r"^/blobServices/default/containers/(?P<container>[^/]+)/blobs/(?P<name>inbound/claims/[^/]+)$")


def upload_of(subject: str, namespace: str) -> tuple[str, str] | None:
    """The partner and data file a BlobCreated subject concerns; None for anything else (never guessed)."""
    match = SUBJECT.match(subject)
    prefix = f"{namespace}partner-"
    if match is None or not match["container"].startswith(prefix):
        return None
    name = match["name"].removesuffix(".manifest.json")
    return match["container"][len(prefix):], name


STORAGE = "AzureWebJobsStorage"
FILES_QUEUE = "claims-files"  # the host moves a message that keeps failing to `claims-files-poison`
TIME_BUDGET_SECONDS = 7 * 60  # host.json functionTimeout is 10 minutes: pause at the first checkpoint after this


@blueprint.function_name("claims_file_uploaded")
@blueprint.event_grid_trigger(arg_name="event")
@blueprint.queue_output(arg_name="files", queue_name=FILES_QUEUE, connection=STORAGE)
def claims_file_uploaded(event: func.EventGridEvent, files: func.Out[str]) -> None:
    """Event Grid waits 30 seconds for an answer and sends the event again after that, so the file is not
    processed here: it is queued for `process_claims_file`, which may take as long as the file needs."""
    from function_app import telemetry
    from function_app.bootstrap import exchange

    with telemetry.invocation("claims_file_uploaded", telemetry.PUBSUB, **{
            "messaging.message.id": event.id, "fni.event_type": event.event_type, "fni.subject": event.subject}):
        upload = upload_of(event.subject or "", exchange().settings.namespace)
        if upload is None:
            logging.info("ignored event %s for %s", event.id, event.subject)
            return
        partner, name = upload
        files.set(json.dumps({"partner": partner, "name": name}, sort_keys=True))


@blueprint.function_name("process_claims_file")
@blueprint.queue_trigger(arg_name="message", queue_name=FILES_QUEUE, connection=STORAGE)
@blueprint.queue_output(arg_name="more", queue_name=FILES_QUEUE, connection=STORAGE)
def process_claims_file(message: func.QueueMessage, more: func.Out[str]) -> None:
    """One uploaded file, for at most TIME_BUDGET_SECONDS: a longer file is paused at a checkpoint and its
    continuation queued. A message that keeps failing ends in the poison queue, where operations see it."""
    from function_app import telemetry
    from function_app.bootstrap import exchange
    from function_app.service_layer.claims.ports import FileStatus

    with telemetry.invocation("process_claims_file", telemetry.PUBSUB, **{
            "messaging.message.id": message.id, "messaging.destination.name": FILES_QUEUE,
            "fni.dequeue_count": message.dequeue_count}):
        job = message.get_json()
        if not isinstance(job, dict) or not isinstance(job.get("partner"), str) or not isinstance(job.get("name"), str):
            raise ValueError(f"claims file job {message.id}: expected {{'partner': str, 'name': str}}, got {job!r}")
        deadline = time.monotonic() + TIME_BUDGET_SECONDS
        scan = exchange().claims.scan(job["partner"], only=job["name"], pause=lambda: time.monotonic() > deadline)
        for outcome in scan:
            logging.info("claims %s/%s: %s %s", outcome.partner, outcome.name, outcome.status, outcome.note)
            if outcome.status is FileStatus.PAUSED:
                more.set(json.dumps({"partner": outcome.partner, "name": outcome.name}, sort_keys=True))
