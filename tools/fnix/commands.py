"""What each `fnix` command does. Thin: reads arguments, calls the services, prints what happened."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from fnix import output
from fnix.progress import Progress
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import ConfigError, Settings, load_settings
from function_app.domain.change_feed.envelope import read_record
from function_app.domain.kernel.feedback import Feedback, encode_feedback
from function_app.domain.kernel.messages import InboundMessage
from function_app.service_layer.realtime.report import BatchReport

__all__ = ["ConfigError", "UsageError"]


class UsageError(Exception):
    """The command line asks for something that cannot be done; the message says what to do instead."""


# --- arguments: every value a person types is checked here, before anything runs ----------------------------

EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)  # business dates the exchange can compute around
MAX_BLOB_NAME = 1024
_ASCII_INT = re.compile(r"-?[0-9]{1,9}")  # int() would also read '²' or '٤'
_ASCII_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ASCII_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})?")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _named(path: str) -> str:
    """A path as typed when it is plain, quoted and shortened when it is not."""
    return path if len(path) <= 200 and not _UNSAFE.search(path) else _shown(path)


def whole_number(text: str) -> int:
    """An argparse type: ASCII digits, at most nine (each command checks its own range); else exit 2."""
    if not _ASCII_INT.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a whole number in ASCII digits, got {_shown(text)}")
    return int(text)


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text) if _ASCII_DATE.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        raise UsageError(f"{option} must be a date like 2026-03-02, got {_shown(text)}")
    if not EARLIEST <= day <= LATEST:
        raise UsageError(f"{option} must be a date from {EARLIEST} to {LATEST}, got {day}")
    return day


def parse_time(text: str, option: str) -> datetime:
    """An ISO time with its offset, within the dates the exchange computes around, in UTC."""
    example = "2026-03-05T12:00:00+00:00"
    try:
        moment = datetime.fromisoformat(text) if _ASCII_TIME.fullmatch(text) else None
    except ValueError:
        moment = None
    if moment is None:
        raise UsageError(f"{option} must be an ISO time like {example}, got {_shown(text)}")
    if moment.tzinfo is None:
        raise UsageError(f"{option} needs an offset, e.g. {example}")
    if not EARLIEST <= moment.date() <= LATEST:
        raise UsageError(f"{option} must fall from {EARLIEST} to {LATEST}, got {_shown(text)}")
    return moment.astimezone(UTC)


def blob_name(text: str, what: str, hint: str) -> str:
    """A blob name as the exchange writes them: 1-1024 characters, no control characters or backslashes, no
    empty, `.` or `..` segment. A well-formed name that is not there is answered 'not found' by the caller."""
    segments = text.split("/")
    if not text or len(text) > MAX_BLOB_NAME or _UNSAFE.search(text) or any(s in ("", ".", "..") for s in segments):
        raise UsageError(f"{_shown(text)} is not a {what} name; {hint}")
    return text


def option_text(text: str | None, option: str) -> str | None:
    """An optional filter given empty would silently mean 'everything'."""
    if text is not None and (not text.strip() or len(text) > 200 or _UNSAFE.search(text)):
        raise UsageError(f"{option} must be a non-empty name, got {_shown(text)}")
    return text


def output_file(text: str | None, option: str) -> Path | None:
    """Where a command will write: checked before it runs, so that a bad path costs nothing."""
    if text is None:
        return None
    target = _path(text, option)
    try:
        directory = target.is_dir()
    except OSError as exc:  # a name too long
        raise UsageError(f"{option} {_shown(text)}: cannot write there ({exc.strerror})") from exc
    if directory:
        raise UsageError(f"{option} {_shown(text)} is a directory; give a file name")
    _make_parent(target.parent, option, text)
    return target


def output_dir(text: str, option: str) -> Path:
    target = _path(text, option)
    _make_parent(target, option, text)
    return target


def _path(text: str, option: str) -> Path:
    if not text.strip() or "\0" in text:
        raise UsageError(f"{option} must be a path, got {_shown(text)}")
    return Path(text)


def _make_parent(directory: Path, option: str, text: str) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{option} {_shown(text)}: cannot write there ({exc.__class__.__name__})") from exc


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
    from fnix.dev.azurite import SharedAzurite

    location = project_root() / ".azurite"
    with SharedAzurite(project_root(), location) as azurite:
        endpoints = azurite.endpoints
        how = "started a project-local Azurite" if azurite.started else \
            f"using the project-local Azurite (pid {azurite.pid}) another fnix command started"
        print(
            f"AzureWebJobsStorage is not set: {how} on 127.0.0.1 "
            f"(blob {endpoints.blob_port}, queue {endpoints.queue_port}, table {endpoints.table_port}), "
            f"data in {location}",
            file=sys.stderr,
        )
        yield bootstrap(replace(settings, storage_connection=endpoints.connection_string))


def read_input(path: str) -> bytes:
    """An input file's bytes; a path that is empty, absent, a directory or unreadable is a usage error."""
    if not path.strip() or "\0" in path:
        raise UsageError(f"FILE must be a path, got {_shown(path)}")
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {_named(path)}") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{_named(path)} is a directory; give a file of JSON lines, one body per line") from exc
    except OSError as exc:  # permission, a name too long, a path through a file
        raise UsageError(f"cannot read {_named(path)}: {exc.strerror or exc.__class__.__name__}") from exc


def read_lines(path: str) -> list[bytes]:
    raw = read_input(path)
    return [line.rstrip(b"\r") for line in raw.split(b"\n") if line.strip()]


EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)


def event_time(body: bytes, fallback: datetime) -> datetime:
    """In replay the business date comes from the only clock the file carries: the CloudEvent `time`, or a
    change's `source.ts_ms` (milliseconds since the epoch) from the change feed, wrapped or not. A time no enqueue
    could have had (after `fallback`, the replay's start, or before 2000) is not a clock: the replay's start stands
    in, as the trigger's enqueued time would. Anything unreadable is the parser's to answer, not this function's."""
    change = read_record(body).change
    try:
        if change is not None:
            parsed = change.time() or fallback
        else:
            written = datetime.fromisoformat(json.loads(body).get("time"))
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
    output_file(args.feedback_out, "--feedback-out")
    lines = read_lines(args.file)
    started = datetime.now(UTC)
    label = Path(args.file).name
    messages = [
        InboundMessage(args.hub, body, "replay", number, event_time(body, started))
        for number, body in enumerate(lines, start=1)
    ]
    with open_exchange() as exchange, _feedback_sink(args.feedback_out) as sink:
        report = run_batches(exchange, messages, args.batch_size, label, sink)
    emit_summary(args, report)
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
    target = output_file(path, "--feedback-out")
    if target is None:
        yield None
        return
    try:
        sink = target.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--feedback-out {_shown(str(path))}: cannot write there ({exc.strerror})") from exc
    with sink:
        yield sink


def write_feedback(sink: TextIO | None, feedback: Sequence[Feedback]) -> None:
    if sink is None:
        return
    for event in feedback:
        sink.write(encode_feedback(event) + "\n")


def summary_document(report: BatchReport) -> dict[str, Any]:
    return {
        "accepted": report.statuses.get("ACCEPTED", 0),
        "rejected": report.statuses.get("REJECTED", 0),
        "reasons": dict(sorted(report.reasons.items())),
        "duplicates": report.statuses.get("DUPLICATE", 0),
        "held": report.held,
        "redelivered": report.redelivered,
        "facts": report.facts,
        "refunds_total": f"{report.refunds_total:.2f}",
        "dead_letters": len(report.dead_letters),
        "skipped": dict(sorted(report.skipped.items())),
    }


def emit_summary(args: argparse.Namespace, report: BatchReport, extra: dict[str, Any] | None = None) -> None:
    """A run's summary is its result: on stdout, as a table or (`--json`) one document."""
    if getattr(args, "json", False):
        output.document({**(extra or {}), **summary_document(report)})
    else:
        print_summary(report, sys.stdout)


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
        *[(f"skipped change-feed {kind} records", str(n)) for kind, n in sorted(report.skipped.items())],
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        stream.write(f"{name:<{width}}  {value:>12}\n")


HUBS = ("contracts", "cancellations", "policy-admin-cdc")  # every hub the exchange reads, hence files letters under


def deadletters_list(args: argparse.Namespace) -> int:
    day = parse_day(args.date, "--date")
    hubs = [args.hub] if args.hub else list(HUBS)
    rows: list[dict[str, Any]] = []
    with open_exchange() as exchange:
        for hub in hubs:
            prefix = f"{hub}/" + (f"{day.isoformat()}/" if day else "")
            for name in exchange.dead_letters.names(prefix):
                letter = exchange.dead_letters.get(name)
                codes = sorted({r.code.value for r in letter.reasons})
                rows.append({"name": name, "hub": letter.hub, "business_date": letter.business_date.isoformat(),
                             "reasons": ",".join(codes), "event_id": letter.event_id})
    output.listing(args, ["name", "reasons", "event_id"], rows)
    output.note(f"{len(rows)} dead letter(s)")
    return 0


LETTER_HINT = "`fnix deadletters list` shows the names"


def deadletters_show(args: argparse.Namespace) -> int:
    from function_app.adapters.kernel.blobs import letter_document

    blob_name(args.name, "dead letter", LETTER_HINT)
    with open_exchange() as exchange:
        try:
            letter = exchange.dead_letters.get(args.name)
        except KeyError as exc:
            raise UsageError(f"no dead letter named {_shown(args.name)}; {LETTER_HINT}") from exc
        document = letter_document(letter)
        document["replay_outcome"] = exchange.dead_letters.replayed(args.name)
    print(json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True))
    return 0


def deadletters_replay(args: argparse.Namespace) -> int:
    for name in args.names:
        blob_name(name, "dead letter", LETTER_HINT)
    output_file(args.feedback_out, "--feedback-out")
    with open_exchange() as exchange, _feedback_sink(args.feedback_out) as sink:
        report = BatchReport()
        letters = []
        for name in args.names:  # every name checked before any is replayed: a refusal replays nothing
            try:
                letters.append((name, exchange.dead_letters.get(name)))
                earlier = exchange.dead_letters.replayed(name)
            except KeyError as exc:
                raise UsageError(f"no dead letter named {_shown(name)}; {LETTER_HINT}") from exc
            if earlier and not args.force:
                raise UsageError(f"{name} was replayed before ({earlier}); nothing was replayed. Pass --force to "
                                 "replay it again (its current answer is set aside)")
        outcomes: list[dict[str, Any]] = []
        for name, letter in letters:
            # decided now: its facts belong to today's business date, after everything already delivered
            now = datetime.now(UTC)
            message = InboundMessage(letter.hub, letter.body, letter.partition, letter.sequence_number, now,
                                     partition_key=letter.partition_key, properties=letter.properties)
            outcome = exchange.realtime.process([message], redecide=frozenset({letter.input_key}))
            status = ",".join(sorted(outcome.statuses)) or "HELD"
            exchange.dead_letters.mark_replayed(name, f"{status} at {datetime.now(UTC).isoformat()}")
            outcomes.append({"name": name, "status": status})
            write_feedback(sink, outcome.feedback)
            report.merge(outcome)
    if args.json:
        output.document({"replayed": outcomes, **summary_document(report)})
    else:
        output.table(["name", "status"], outcomes)
        print_summary(report, sys.stdout)
    return 0


def holds_expire(args: argparse.Namespace) -> int:
    now = datetime.now(UTC) if args.now is None else parse_time(args.now, "--now")
    output_file(args.feedback_out, "--feedback-out")
    with open_exchange() as exchange, _feedback_sink(args.feedback_out) as sink:
        report = exchange.holds.run(now)
        write_feedback(sink, report.feedback)
    emit_summary(args, report, {"now": now.isoformat()})
    return 0


def demo(args: argparse.Namespace) -> int:
    from fnix.demo import run_demo

    if not 10 <= args.contracts <= 200_000:
        raise UsageError(f"--contracts must be between 10 and 200000, got {args.contracts}")
    if args.seed is not None and not 0 <= args.seed <= 2**31 - 1:
        raise UsageError(f"--seed must be between 0 and {2**31 - 1}, got {args.seed}")
    settings: Settings = load_settings()
    day = parse_day(args.date, "--date") or datetime.now(settings.zone).date()
    seed = args.seed if args.seed is not None else int(datetime.now(UTC).timestamp())
    out = output_dir(args.out, "--out")
    with open_exchange() as exchange:
        return run_demo(exchange, day, args.contracts, seed, out)

