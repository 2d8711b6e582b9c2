"""Inbound claims files: Event Grid tells of each blob created under `inbound/claims/` in a partner's
container (a blob trigger cannot watch a family of containers, and Flex Consumption has only Event Grid-based
blob triggers); the function processes that partner's file. `fnix inbound scan` does the same locally."""

from __future__ import annotations

import logging
import re

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


@blueprint.function_name("claims_file_uploaded")
@blueprint.event_grid_trigger(arg_name="event")
def claims_file_uploaded(event: func.EventGridEvent) -> None:
    from function_app.bootstrap import exchange

    current = exchange()
    upload = upload_of(event.subject or "", current.settings.namespace)
    if upload is None:
        logging.info("ignored event %s for %s", event.id, event.subject)
        return
    partner, name = upload
    for outcome in current.claims.scan(partner, only=name):
        logging.info("claims %s/%s: %s %s", outcome.partner, outcome.name, outcome.status, outcome.note)
