"""What each `fnix` command does. Thin: reads arguments, calls the services, prints what happened."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from function_app.bootstrap import Exchange, bootstrap
from function_app.config import ConfigError, Settings, load_settings
from function_app.domain.feedback import encode_feedback
from function_app.domain.messages import InboundMessage
from function_app.entrypoints.progress import Progress
from function_app.service_layer.realtime import BatchReport

__all__ = ["ConfigError", "UsageError"]


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what to do instead."""


def project_root() -> Path:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "package.json").exists() else Path.cwd()


@contextlib.contextmanager
def open_exchange() -> Iterator[Exchange]:
    """The exchange on `AzureWebJobsStorage`, or on a project-local Azurite started for this command."""
    settings = load_settings()
    if settings.storage_connection or settings.table_service_uri:
        yield bootstrap(settings)
        return
    from function_app.localdev.azurite import Azurite

    location = project_root() / ".azurite"
    with Azurite(project_root(), location=location) as azurite:
        endpoints = azurite.endpoints
        print(
            f"AzureWebJobsStorage is not set: started a project-local Azurite on 127.0.0.1 "
            f"(blob {endpoints.blob_port}, queue {endpoints.queue_port}, table {endpoints.table_port}), "
            f"data in {location}",
            file=sys.stderr,
        )
        yield bootstrap(replace(settings, storage_connection=endpoints.connection_string))


def read_lines(path: str) -> list[bytes]:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{path} is a directory; give a file of JSON lines") from exc
    return [line.rstrip(b"\r") for line in raw.split(b"\n") if line.strip()]


EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def event_time(body: bytes, fallback: datetime) -> datetime:
    """In replay the business date comes from the only clock the file carries: the CloudEvent `time`, or a
    change's `source.ts_ms` (milliseconds since the epoch) from the change feed. A time no enqueue could have
    had (after `fallback`, the replay's start, or before 2000) is not a clock: the replay's start stands in,
    as the trigger's enqueued time would. Anything unreadable is the parser's to answer, not this function's."""
    try:
        document = json.loads(body)
        if "payload" in document:
            parsed = datetime.fromtimestamp(int(document["payload"]["source"]["ts_ms"]) / 1000, UTC)
        else:
            written = datetime.fromisoformat(document.get("time"))
            if written.tzinfo is None:
                return fallback
            parsed = written.astimezone(UTC)
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError, OSError, RecursionError):
        return fallback
    return parsed if EARLIEST_EVENT_TIME <= parsed <= fallback else fallback


def batches(items: Sequence[InboundMessage], size: int) -> Iterator[Sequence[InboundMessage]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def replay(args: argparse.Namespace) -> int:
    if not 1 <= args.batch_size <= 1000:
        raise UsageError(f"--batch-size must be between 1 and 1000, got {args.batch_size}")
    lines = read_lines(args.file)
    started = datetime.now(UTC)
    label = Path(args.file).name
    messages = [
        InboundMessage(args.hub, body, "replay", number, event_time(body, started))
        for number, body in enumerate(lines, start=1)
    ]
    with open_exchange() as exchange, _feedback_sink(args.feedback_out) as sink:
        report = run_batches(exchange, messages, args.batch_size, label, sink)
    print_summary(report, sys.stderr)
    return 0


def run_batches(
    exchange: Exchange, messages: Sequence[InboundMessage], size: int, label: str, sink: TextIO | None
) -> BatchReport:
    report = BatchReport()
    progress = Progress(len(messages), label)
    for batch in batches(messages, size):
        outcome = exchange.realtime.process(batch)
        write_feedback(sink, outcome.feedback)
        report.merge(outcome)
        progress.advance(len(batch))
    progress.finish()
    return report


@contextlib.contextmanager
def _feedback_sink(path: str | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as sink:
        yield sink


def write_feedback(sink: TextIO | None, feedback: Sequence[dict[str, Any]]) -> None:
    if sink is None:
        return
    for event in feedback:
        sink.write(encode_feedback(event) + "\n")


def print_summary(report: BatchReport, stream: TextIO) -> None:
    rows = [
        ("accepted", str(report.statuses.get("ACCEPTED", 0))),
        ("rejected", str(report.statuses.get("REJECTED", 0))),
        *[(f"  {code}", str(n)) for code, n in sorted(report.reasons.items())],
        ("duplicates", str(report.statuses.get("DUPLICATE", 0))),
        ("held on arrival (for a contract not yet seen)", str(report.held)),
        ("redelivered (answered from record)", str(report.redelivered)),
        ("journal facts written", str(report.facts)),
        ("customer refunds total (USD)", f"{report.refunds_total:,.2f}"),
        ("dead letters", str(len(report.dead_letters))),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        stream.write(f"{name:<{width}}  {value:>12}\n")


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{option} must be a date like 2026-03-02, got {text!r}") from exc


def deadletters_list(args: argparse.Namespace) -> int:
    day = parse_day(args.date, "--date")
    prefix = ""
    if args.hub:
        prefix = f"{args.hub}/" + (f"{day.isoformat()}/" if day else "")
    elif day:
        raise UsageError("--date needs --hub (dead letters are filed by hub, then date)")
    with open_exchange() as exchange:
        count = 0
        for name in exchange.dead_letters.names(prefix):
            letter = exchange.dead_letters.get(name)
            codes = ",".join(sorted({r["code"] for r in letter.reasons}))
            print(f"{name}\t{codes}\t{letter.event_id or '-'}")
            count += 1
    print(f"{count} dead letter(s)", file=sys.stderr)
    return 0


def deadletters_show(args: argparse.Namespace) -> int:
    from function_app.adapters.blobs import letter_document

    with open_exchange() as exchange:
        try:
            letter = exchange.dead_letters.get(args.name)
        except KeyError as exc:
            raise UsageError(f"no dead letter named {args.name}; `fnix deadletters list` shows the names") from exc
        document = letter_document(letter)
        document["replay_outcome"] = exchange.dead_letters.replayed(args.name)
    print(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
    return 0


def deadletters_replay(args: argparse.Namespace) -> int:
    with open_exchange() as exchange, _feedback_sink(args.feedback_out) as sink:
        report = BatchReport()
        for name in args.names:
            try:
                letter = exchange.dead_letters.get(name)
                earlier = exchange.dead_letters.replayed(name)
            except KeyError as exc:
                raise UsageError(f"no dead letter named {name}; `fnix deadletters list` shows the names") from exc
            if earlier and not args.force:
                print(f"{name}: replayed before ({earlier}); pass --force to replay again", file=sys.stderr)
                continue
            # decided now: its facts belong to today's business date, after everything already delivered
            now = datetime.now(UTC)
            message = InboundMessage(letter.hub, letter.body, letter.partition, letter.sequence_number, now)
            outcome = exchange.realtime.process([message], redecide=frozenset({letter.input_key}))
            status = ",".join(sorted(outcome.statuses)) or "HELD"
            exchange.dead_letters.mark_replayed(name, f"{status} at {datetime.now(UTC).isoformat()}")
            print(f"{name}: {status}", file=sys.stderr)
            write_feedback(sink, outcome.feedback)
            report.merge(outcome)
    print_summary(report, sys.stderr)
    return 0


def holds_expire(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError as exc:
            raise UsageError(f"--now must be an ISO time like 2026-03-05T12:00:00+00:00, got {args.now!r}") from exc
        if now.tzinfo is None:
            raise UsageError("--now needs an offset, e.g. 2026-03-05T12:00:00+00:00")
    with open_exchange() as exchange, _feedback_sink(args.feedback_out) as sink:
        report = exchange.holds.run(now)
        write_feedback(sink, report.feedback)
    print_summary(report, sys.stderr)
    return 0


def demo(args: argparse.Namespace) -> int:
    from function_app.entrypoints.demo import run_demo

    if not 10 <= args.contracts <= 200_000:
        raise UsageError(f"--contracts must be between 10 and 200000, got {args.contracts}")
    settings: Settings = load_settings()
    day = parse_day(args.date, "--date") or datetime.now(settings.zone).date()
    seed = args.seed if args.seed is not None else int(datetime.now(UTC).timestamp())
    with open_exchange() as exchange:
        return run_demo(exchange, day, args.contracts, seed, Path(args.out))

