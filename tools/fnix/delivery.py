"""`fnix deliver`, `fnix files`, `fnix partners`: partner delivery from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fnix import output
from fnix.commands import (
    UsageError,
    blob_name,
    open_exchange,
    option_text,
    parse_day,
    read_input,
    whole_number,
)
from fnix.output import add_json_option
from fnix.progress import Progress
from function_app.config import load_settings


def partners_check(args: argparse.Namespace) -> int:
    from function_app.adapters.kernel.partner_config_file import PartnerConfigError, load_partner_config
    from function_app.partner_config_check import write_stamp

    if args.file is not None:
        read_input(args.file)  # a FILE that cannot be read is misuse (exit 2), not a mistake in it (exit 1)
    path = Path(args.file) if args.file else load_settings().partner_config
    if args.file is None and not path.is_file():
        raise UsageError(f"the partner configuration {path} is not a readable file; set PARTNER_CONFIG_FILE or "
                         "give FILE")
    try:
        config = load_partner_config(path)
    except PartnerConfigError as exc:
        print(f"fnix partners check: {exc}", file=sys.stderr)
        return 1
    write_stamp(path)  # lets start-up skip loading pydantic for this very file and these very rules
    rows = [{"partner": partner.id, "kind": str(partner.kind), "feed": feed.name, "format": feed.format,
             "mode": feed.mode, "sla": feed.sla, "pii": str(feed.pii)}
            for partner in config.partners for feed in partner.feeds]
    output.listing(args, ["partner", "kind", "feed", "format", "mode", "sla", "pii"], rows)
    output.note(f"{path}: {len(config.partners)} partner(s), all valid")
    return 0


def partners_layout(args: argparse.Namespace) -> int:
    """A fixed-width feed's layout, byte for byte what is published as `outbound/<feed>/layout.json`."""
    from function_app.adapters.kernel.partner_config_file import PartnerConfigError, load_partner_config
    from function_app.domain.delivery.fields import FIELDS
    from function_app.domain.delivery.layout import layout_document
    from function_app.domain.kernel.partners import partner

    path = load_settings().partner_config
    try:
        found = partner(load_partner_config(path), args.partner)
    except PartnerConfigError as exc:
        raise UsageError(f"{exc}; `fnix partners check` says more") from exc
    except KeyError as exc:
        raise UsageError(str(exc).strip("'\"")) from exc
    feeds = {feed.name: feed for feed in found.feeds}
    if args.feed not in feeds:
        raise UsageError(f"partner {found.id} has no feed {args.feed!r}; its feeds: {', '.join(feeds)}")
    feed = feeds[args.feed]
    if feed.format != "fixed":
        raise UsageError(f"feed {feed.name} of {found.id} is {feed.format}, not fixed: only fixed-width feeds have a "
                         "layout (a csv names its columns in its header row, a jsonl names every field)")
    sys.stdout.write(layout_document(found.id, feed.name, [FIELDS[name] for name in feed.fields]).decode("ascii"))
    return 0


def deliver(args: argparse.Namespace) -> int:
    from function_app.service_layer.delivery.jobs import DeliveryJob

    day = parse_day(args.date, "--date")
    assert day is not None
    option_text(args.partner, "--partner")
    option_text(args.feed, "--feed")
    if args.settle_minutes is not None and not 0 <= args.settle_minutes <= 1440:
        raise UsageError(f"--settle-minutes must be between 0 and 1440, got {args.settle_minutes}")
    settings = load_settings()
    today = datetime.now(settings.zone).date()
    if day > today:
        raise UsageError(f"--date {day} is in the future (today is {today} in {settings.zone.key}): no "
                         "fact can have that business date yet; give today or an earlier date")
    settle = settings.clock_skew if args.settle_minutes is None else timedelta(minutes=args.settle_minutes)
    minutes = int(settle.total_seconds() // 60)
    with open_exchange() as exchange:
        service = exchange.delivery
        feeds = _chosen_feeds(service, args.partner, args.feed)
        runs: list[dict[str, Any]] = []
        for partner, feed in feeds:
            job = DeliveryJob(partner.id, feed.name, day)
            if args.dry_run:
                result = service.deliver(job, cut_now=True, settle=settle, dry_run=True)
                files = [{"partner": partner.id, "feed": feed.name, "file": claim.blob_name,
                          "records": service.planned_records(job, claim), "bytes": None, "sha256": None}
                         for claim in result.planned]
            else:
                progress = Progress(0, f"{partner.id}/{feed.name}", counting=True)
                result = service.deliver(job, cut_now=True, progress=progress.advance, settle=settle)
                progress.finish()
                files = [{"partner": partner.id, "feed": feed.name, "file": file.blob_name,
                          "records": file.record_count, "bytes": file.bytes, "sha256": file.sha256}
                         for file in result.files]
            runs.append({"partner": partner.id, "feed": feed.name, "files": files, "held_back": result.held_back,
                         "note": result.note.strip().rstrip(";")})
    rows = [file for run in runs for file in run["files"]]
    held = sum(run["held_back"] for run in runs)
    margin = f"{minutes} minute(s)" if args.settle_minutes is not None else f"{int(settle.total_seconds())} second(s)"
    why = (f"decided after the oldest writer still in flight, or in the last {margin} (settle window: writes may "
           "still be in flight, or another instance's clock behind); they go into the next file")
    verb = "would be written (dry run: nothing written)" if args.dry_run else "delivered"
    if args.json:
        output.document({"business_date": day.isoformat(), "dry_run": args.dry_run, "settle_minutes": minutes,
                         "held_back": held, "held_back_reason": why, "feeds": runs})
    else:
        output.table(["partner", "feed", "file", "records", "bytes", "sha256"], rows)
        for run in runs:
            if run["note"]:
                output.note(f"  {run['partner']}/{run['feed']}: {run['note']}")
            if run["held_back"]:
                output.note(f"  {run['partner']}/{run['feed']}: {run['held_back']} fact(s) held back")
    output.note(f"{len(rows)} file(s) {verb} for {day}; {held} fact(s) held back: "
                + (why if held else f"none decided in the last {minutes} minute(s)"))
    return 0


def _chosen_feeds(service: Any, partner: str | None, feed: str | None) -> list[Any]:
    """The feeds an operator's filters pick; a filter that picks none says which name is unknown."""
    feeds: list[Any] = service.feeds(partner, feed)
    if feeds:
        return feeds
    everything = service.feeds()
    partners = sorted({p.id for p, _ in everything})
    if partner is not None and partner not in partners:
        raise UsageError(f"no partner {partner!r} in the partner configuration; its partners: {', '.join(partners)}")
    names = sorted({f.name for p, f in everything if partner in (None, p.id)})
    whose = f"partner {partner}" if partner else "any partner"
    raise UsageError(f"no feed {feed!r} for {whose}; feeds: {', '.join(names)} (`fnix partners check` lists them)")


def files_list(args: argparse.Namespace) -> int:
    day = parse_day(args.date, "--date")
    option_text(args.partner, "--partner")
    with open_exchange() as exchange:
        service = exchange.delivery
        partners = sorted({p.id for p, _ in service.feeds(args.partner)})
        if args.partner and not partners:
            raise UsageError(f"no partner {args.partner!r} in the partner configuration; `fnix partners check` "
                             "lists them")
        rows = [{"partner": partner, "feed": file.feed, "business_date": file.business_date.isoformat(),
                 "file": file.blob_name, "records": file.record_count, "bytes": file.bytes, "sha256": file.sha256,
                 "status": file.status, "created_at": f"{file.created_at:%Y-%m-%d %H:%M}"}
                for partner in partners for file in exchange.deliveries.files(partner)
                if day is None or file.business_date == day]
    output.listing(args, ["partner", "file", "records", "status", "created_at"], rows)
    output.note(f"{len(rows)} file(s)")
    return 0


def files_show(args: argparse.Namespace) -> int:
    blob_name(args.name + ".manifest.json", "delivered file", "`fnix files list` shows them")
    with open_exchange() as exchange:
        service = exchange.delivery
        if not service.feeds(args.partner):
            raise UsageError(f"no partner {args.partner!r} in the partner configuration")
        try:
            manifest = exchange.partner_files.read(args.partner, args.name + ".manifest.json")
        except KeyError as exc:
            raise UsageError(f"no delivered file {args.name!r} for {args.partner}; `fnix files list` shows them") \
                from exc
    print(json.dumps(json.loads(manifest), ensure_ascii=False, indent=2, sort_keys=True))
    return 0


def files_resend(args: argparse.Namespace) -> int:
    """Puts a delivered file back as it was delivered, from the journal, and records who did it, when and why."""
    import getpass

    from function_app.domain.delivery.statuses import BlobOutcome
    from function_app.service_layer.delivery.resend import ResendRefused

    blob_name(args.name, "delivered file", "`fnix files list` shows them")
    reason = _free_text(args.reason, "--reason")
    who = _free_text(args.by, "--by") if args.by is not None else getpass.getuser()
    with open_exchange() as exchange:
        service = exchange.delivery
        if not service.feeds(args.partner):
            raise UsageError(f"no partner {args.partner!r} in the partner configuration; `fnix partners check` "
                             "lists them")
        try:
            result = service.resend(args.partner, args.name)
        except KeyError as exc:
            raise UsageError(f"no delivered file {args.name!r} for {args.partner}; `fnix files list --partner "
                             f"{args.partner}` shows them") from exc
        except ResendRefused as exc:
            output.note(f"fnix files resend: {exc}")
            return 1
        now = exchange.clock()
        file = result.file
        action = {"action": "resend", "partner": args.partner, "file": args.name, "by": who, "at": now.isoformat(),
                  "reason": reason, "data": result.data, "manifest": result.manifest, "sha256": file.sha256}
        base = args.name.rsplit("/", 1)[-1]
        record = exchange.reports.write(f"resends/{args.partner}/{now:%Y-%m-%d}/{base}.{now:%Y%m%dT%H%M%S%fZ}.json",
                                        json.dumps(action, indent=2).encode("utf-8"), "application/json")
        action["recorded_in"] = record
        breaks = None
        if BlobOutcome.WRITTEN in (result.data, result.manifest):
            report = exchange.reconciliation.run(file.business_date)
            scope = f"{args.partner}/{file.feed}"
            breaks = sum(1 for b in report.breaks if b.scope == scope)
            output.note(f"reconciled {file.business_date}: {len(report.resolved)} break(s) resolved, {breaks} open "
                        f"for {scope}")
        action["open_breaks_for_feed"] = breaks
    if args.json:
        output.document(action)
    else:
        output.table(["partner", "file", "data", "manifest", "by", "at", "reason"], [action])
    output.note(f"recorded in {record}")
    return 0


def _free_text(text: str, option: str) -> str:
    if not text.strip() or len(text) > 500 or "\0" in text or "\n" in text:
        raise UsageError(f"{option} must be one line of text (1-500 characters), e.g. {option} "
                         "\"partner reported the file damaged\"")
    return text


def files_queue(args: argparse.Namespace) -> int:
    from function_app.entrypoints.claims import FILES_QUEUE
    from function_app.entrypoints.delivery import JOBS_QUEUE

    rows: list[dict[str, Any]] = []
    with open_exchange() as exchange:
        for queue in (JOBS_QUEUE, JOBS_QUEUE + "-poison", FILES_QUEUE, FILES_QUEUE + "-poison"):
            jobs = list(exchange.job_queues.peek(queue))
            output.note(f"{queue}: {len(jobs)} message(s){' (first 32)' if len(jobs) == 32 else ''}")
            rows += [{"queue": queue, "message_id": job.message_id, "dequeue_count": job.dequeue_count,
                      "body": job.body} for job in jobs]
    output.listing(args, ["queue", "message_id", "dequeue_count", "body"], rows)
    return 0


def partners_sas(args: argparse.Namespace) -> int:
    from function_app.service_layer.delivery.access import SasIssuerError, issue_access, issue_ack_access

    with open_exchange() as exchange:
        now = exchange.clock()
        try:
            if args.ack:
                link = issue_ack_access(exchange.access_issuer, exchange.partners, args.partner, args.hours, now)
                url = link.url
            else:
                url = issue_access(exchange.access_issuer, exchange.partners, args.partner, args.hours, now)
        except (KeyError, ValueError, SasIssuerError) as exc:
            raise UsageError(str(exc).strip("'\"")) from exc
        exchange.partner_files.prepare(args.partner)
        print(url)
        until = f"{now + timedelta(hours=args.hours):%Y-%m-%d %H:%M}"
        if not args.ack:
            scope = f"read+list on partner-{args.partner} only"
        elif link.confined_to_ack:
            scope = f"create+write on inbound/ack/ of partner-{args.partner} only (upload <data file>.ack there)"
        else:
            scope = (f"create+write on partner-{args.partner} (no read, list or delete); the local emulator cannot "
                     "confine a link to inbound/ack/, Azure (hierarchical namespace) does")
        print(f"{scope}, valid until {until} UTC; treat it as a password", file=sys.stderr)
        if not load_settings().storage_connection and not load_settings().blob_service_uri:
            print("note: this link points at the local Azurite started for this command, gone once it exits",
                  file=sys.stderr)
    return 0


def files_acks(args: argparse.Namespace) -> int:
    option_text(args.partner, "--partner")
    with open_exchange() as exchange:
        try:
            results = exchange.acknowledgements.run(args.partner)
        except KeyError as exc:
            raise UsageError(str(exc).strip("'\"")) from exc
    rows = [{"partner": r.partner, "ack": r.ack_name, "file": r.file, "status": r.status, "note": r.note,
             "recorded_now": r.changed} for r in results]
    output.listing(args, ["partner", "ack", "file", "status", "note"], rows)
    changed = sum(1 for r in results if r.changed)
    output.note(f"{len(results)} acknowledgement(s), {changed} recorded now")
    return 0


def inbound_scan(args: argparse.Namespace) -> int:
    option_text(args.partner, "--partner")
    with open_exchange() as exchange:
        try:
            outcomes = exchange.claims.scan(args.partner)
        except KeyError as exc:
            raise UsageError(str(exc).strip("'\"")) from exc
    rows = []
    for outcome in outcomes:
        counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(outcome.counts.items()))
        status = f"{outcome.status} {outcome.reason}" if outcome.reason else outcome.status
        detail = outcome.note if outcome.reason else counts or outcome.note
        rows.append({"partner": outcome.partner, "file": outcome.name, "status": status, "results": outcome.results,
                     "detail": detail, "counts": dict(outcome.counts), "reason": outcome.reason or None})
    output.listing(args, ["partner", "file", "status", "results", "detail"], rows)
    output.note(f"{len(outcomes)} claims file(s) looked at")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    partners = commands.add_parser("partners", help="the partner configuration")
    partner_commands = partners.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = partner_commands.add_parser("check", help="validate a partner configuration file")
    check.add_argument("file", nargs="?", metavar="FILE", help="default: PARTNER_CONFIG_FILE or config/partners.json")
    add_json_option(check)
    check.set_defaults(run=partners_check)
    layout = partner_commands.add_parser("layout", help="a fixed-width feed's layout.json (byte offsets of fields)")
    layout.add_argument("partner", metavar="PARTNER")
    layout.add_argument("feed", metavar="FEED")
    layout.set_defaults(run=partners_layout)
    sas = partner_commands.add_parser("sas", help="a read+list link to one partner's container (--ack: ack-only)")
    sas.add_argument("partner", metavar="PARTNER")
    sas.add_argument("--hours", type=whole_number, default=24, metavar="N",
                     help="how long it is valid, 1-168 (default 24)")
    sas.add_argument("--ack", action="store_true", help="an ack-only link: create+write on inbound/ack/, nothing else")
    sas.set_defaults(run=partners_sas)

    run = commands.add_parser("deliver", help="build the partner files of a business date now")
    run.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    run.add_argument("--partner", metavar="ID")
    run.add_argument("--feed", metavar="NAME")
    run.add_argument(
        "--settle-minutes", type=whole_number, metavar="N",
        help="also leave out facts decided in the last N minutes (default: only those after the oldest writer still "
        "in flight, less DELIVERY_CLOCK_SKEW_SECONDS)",
    )
    run.add_argument("--dry-run", action="store_true", help="print the files it would write; write nothing")
    add_json_option(run)
    run.set_defaults(run=deliver)

    files = commands.add_parser("files", help="what was delivered to partners")
    file_commands = files.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = file_commands.add_parser("list", help="delivered files")
    listing.add_argument("--partner", metavar="ID")
    listing.add_argument("--date", metavar="YYYY-MM-DD")
    add_json_option(listing)
    listing.set_defaults(run=files_list)
    show = file_commands.add_parser("show", help="a delivered file's manifest")
    show.add_argument("partner", metavar="PARTNER")
    show.add_argument("name", metavar="BLOB-NAME")
    show.set_defaults(run=files_show)
    resend = file_commands.add_parser(
        "resend", help="put a delivered file back, byte-identical, from the journal ranges recorded for it")
    resend.add_argument("partner", metavar="PARTNER")
    resend.add_argument("name", metavar="BLOB-NAME", help="the data file's name, as `fnix files list` prints it")
    resend.add_argument("--reason", required=True, metavar="TEXT", help="why (recorded with the action)")
    resend.add_argument("--by", metavar="NAME", help="who (recorded; default: the OS user)")
    add_json_option(resend)
    resend.set_defaults(run=files_resend)
    queued = file_commands.add_parser(
        "queue", help="delivery and claims file jobs waiting, and those the host gave up on (poison)"
    )
    add_json_option(queued)
    queued.set_defaults(run=files_queue)
    acks = file_commands.add_parser("acks", help="record partners' acknowledgements (inbound/ack/)")
    acks.add_argument("--partner", metavar="ID")
    add_json_option(acks)
    acks.set_defaults(run=files_acks)

    inbound = commands.add_parser("inbound", help="claims files partners upload (inbound/claims/)")
    inbound_commands = inbound.add_subparsers(dest="action", metavar="ACTION", required=True)
    scan = inbound_commands.add_parser("scan", help="process uploaded claims files that have their manifest")
    scan.add_argument("--partner", metavar="ID")
    add_json_option(scan)
    scan.set_defaults(run=inbound_scan)
