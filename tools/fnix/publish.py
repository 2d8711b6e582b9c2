"""`fnix publish`: put a file of message bodies on an Event Hub, as dealers would, batched per partition key."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, TextIO

from fnix.commands import UsageError, read_input
from fnix.dev.publishing import (
    DEFAULT_LIMITS,
    EventPublisher,
    PlannedBatch,
    PublishError,
    PublishPlan,
    plan_publish,
    read_bodies,
    send_plan,
)
from fnix.progress import Progress

HUBS: Final = ("contracts", "cancellations", "policy-admin-cdc")
DEFAULT_SETTING: Final = "EventHubConnection"
NAMESPACE_SUFFIX: Final = "__fullyQualifiedNamespace"
START_EMULATOR: Final = "start it with `docker compose -f infra/local/docker-compose.yaml up` (see infra/local/)"
EMULATOR_HINT: Final = (
    f"for the local emulator, {START_EMULATOR} and use the EventHubConnection value of local.settings.example.json"
)


@dataclass(frozen=True)
class Target:
    """Where the setting points: a connection string (a namespace key, the emulator) or a namespace."""

    setting: str
    connection_string: str | None = None
    namespace: str | None = None

    def describe(self) -> str:
        """For the operator: never the key."""
        if self.namespace is not None:
            return f"{self.namespace} (Azure identity, {self.setting}{NAMESPACE_SUFFIX})"
        parts = dict(_pairs(self.connection_string or ""))
        endpoint = parts.get("endpoint", "?")
        emulator = " (emulator)" if parts.get("usedevelopmentemulator", "").lower() == "true" else ""
        return f"{endpoint}{emulator} ({self.setting})"


def resolve_target(setting: str, env: Mapping[str, str]) -> Target:
    """As the Functions host reads a connection: the setting itself, else `<setting>__fullyQualifiedNamespace`."""
    value = (env.get(setting) or "").strip()
    if value:
        if "endpoint=" not in value.lower():
            raise UsageError(
                f"{setting} does not look like an Event Hubs connection string "
                "(Endpoint=sb://<namespace>/;SharedAccessKeyName=<name>;SharedAccessKey=<key>); "
                f"{EMULATOR_HINT}"
            )
        return Target(setting, connection_string=value)
    namespace = (env.get(setting + NAMESPACE_SUFFIX) or "").strip()
    if namespace:
        return Target(setting, namespace=namespace)
    raise UsageError(
        f"{setting} is not set. Set it to an Event Hubs connection string, or set "
        f"{setting}{NAMESPACE_SUFFIX} to a namespace (e.g. myns.servicebus.windows.net) to send with your "
        f"Azure identity; {EMULATOR_HINT}. --dry-run shows the plan without connecting."
    )


def open_publisher(target: Target, hub: str) -> EventPublisher:
    """The azure-eventhub adapter for the target (imported here: other commands never load the SDK)."""
    from fnix.dev.event_hub_producer import EventHubPublisher

    if target.namespace is not None:
        return EventHubPublisher.from_namespace(target.namespace, hub)
    assert target.connection_string is not None
    try:
        return EventHubPublisher.from_connection_string(target.connection_string, hub)
    except ValueError as exc:
        raise UsageError(f"{target.setting} is not a usable Event Hubs connection string: {exc}") from exc


def read_file(path: str) -> bytes:
    return read_input(path)


def publish(args: argparse.Namespace) -> int:
    raw = read_file(args.file)
    label = f"{Path(args.file).name} -> {args.hub}"
    if args.dry_run:
        plan = plan_publish(raw, DEFAULT_LIMITS)
        print_plan(plan, sys.stdout)
        print_rejects(plan, sys.stderr)
        print(f"dry run: nothing sent to hub {args.hub}", file=sys.stderr)
        print_summary(plan, None, sys.stderr)
        return 1 if plan.rejects else 0
    target = resolve_target(args.connection_setting, os.environ)
    if not read_bodies(raw):
        print(f"{args.file}: no message bodies (only blank lines); nothing to send", file=sys.stderr)
        return 0
    with open_publisher(target, args.hub) as publisher:
        return _publish(publisher, raw, target, args.hub, label)


def _publish(publisher: EventPublisher, raw: bytes, target: Target, hub: str, label: str) -> int:
    sent = 0
    plan = None
    try:
        limits = DEFAULT_LIMITS
        service_limit = publisher.max_batch_bytes()
        if service_limit is not None and service_limit < limits.max_batch_bytes:
            limits = replace(limits, max_batch_bytes=service_limit)
        plan = plan_publish(raw, limits)
        print_rejects(plan, sys.stderr)
        print(
            f"publishing {plan.events} event(s) in {len(plan.batches)} batch(es) to hub {hub} at {target.describe()}",
            file=sys.stderr,
        )
        progress = Progress(plan.events, label)

        def sent_one(batch: PlannedBatch) -> None:
            nonlocal sent
            sent += len(batch)
            progress.advance(len(batch))

        send_plan(plan, publisher, sent_one)
        progress.finish()
    except PublishError as exc:
        print(f"fnix publish: {exc}", file=sys.stderr)
        if target.connection_string is not None and "usedevelopmentemulator=true" in target.connection_string.lower():
            print(f"fnix publish: is the emulator running? If not, {START_EMULATOR}", file=sys.stderr)
        if plan is not None:
            print_summary(plan, sent, sys.stderr)
        return 1
    except KeyboardInterrupt:
        total = plan.events if plan is not None else 0
        print(
            f"fnix publish: interrupted after {sent} of {total} event(s); sending the file again is safe "
            "(the exchange answers a redelivered event from its record)",
            file=sys.stderr,
        )
        raise
    print_summary(plan, sent, sys.stdout)  # what was sent is the result; a failed run's summary is a diagnostic
    return 1 if plan.rejects else 0


def print_plan(plan: PublishPlan, stream: TextIO) -> None:
    """One line per partition key: batches, events, body bytes and the largest batch as estimated."""
    stream.write("partition_key\tbatches\tevents\tbody_bytes\tlargest_batch\n")
    for row in plan.by_key():
        key = row.partition_key if row.partition_key is not None else "(no key)"
        stream.write(
            f"{key}\t{row.batches} batch(es)\t{row.events} event(s)\t{row.body_bytes} bytes\t"
            f"largest batch {row.largest_batch_bytes} bytes\n"
        )


def print_rejects(plan: PublishPlan, stream: TextIO) -> None:
    for reject in plan.rejects:
        stream.write(f"fnix publish: {reject.describe()}\n")


def print_summary(plan: PublishPlan, sent: int | None, stream: TextIO) -> None:
    """``sent`` is None for a dry run: the plan's figures are what would be sent."""
    rows = [
        ("bodies read", str(plan.bodies_read)),
        ("to send" if sent is None else "sent", str(plan.events if sent is None else sent)),
        ("batches", str(len(plan.batches))),
        ("partition keys", str(plan.partition_keys)),
        ("  bodies without a key", str(plan.keyless)),
        ("rejected (not sent)", str(len(plan.rejects))),
        ("bytes per batch at most", str(plan.limits.max_batch_bytes)),
        ("events per batch at most", str(plan.limits.max_events)),
        ("bodies grouped per key at a time", str(plan.limits.window)),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        stream.write(f"{name:<{width}}  {value:>12}\n")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "publish",
        help="send a file of event bodies, one per line, to an Event Hub (a namespace or the local emulator)",
        description="Send each non-blank line of FILE as one message, batched per partition key (the CloudEvent's "
        "data.dealer_code, a lender's its data.lienholder_code; unreadable bodies are sent without a key). "
        "Connects with the setting named by "
        f"--connection-setting: a connection string, or <setting>{NAMESPACE_SUFFIX} with your Azure identity.",
    )
    run.add_argument("--hub", required=True, choices=HUBS, help="the hub to send to")
    run.add_argument("file", metavar="FILE", help="JSON lines: one message body per line, blank lines skipped")
    run.add_argument(
        "--connection-setting", default=DEFAULT_SETTING, metavar="NAME",
        help=f"environment setting holding the connection (default {DEFAULT_SETTING})",
    )
    run.add_argument("--dry-run", action="store_true", help="print the batches per partition key; connect to nothing")
    run.set_defaults(run=publish)


def _pairs(connection_string: str) -> list[tuple[str, str]]:
    pairs = []
    for part in connection_string.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            pairs.append((name.strip().lower(), value.strip()))
    return pairs
