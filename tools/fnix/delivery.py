"""`fnix deliver`, `fnix files`, `fnix partners`: partner delivery from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from fnix.commands import (
    UsageError,
    blob_name,
    open_exchange,
    option_text,
    parse_day,
    read_input,
    whole_number,
)
from fnix.progress import Progress
from function_app.config import load_settings


def partners_check(args: argparse.Namespace) -> int:
    from function_app.domain.partners import PartnerConfigError, load_partner_config
    from function_app.partner_config_check import write_stamp

    if args.file is not None:
        read_input(args.file)  # a FILE that cannot be read is misuse (exit 2), not a mistake in it (exit 1)
    path = Path(args.file) if args.file else load_settings().partner_config
    try:
        config = load_partner_config(path)
    except PartnerConfigError as exc:
        print(f"fnix partners check: {exc}", file=sys.stderr)
        return 1
    write_stamp(path)  # lets start-up skip loading pydantic for this very file and these very rules
    for partner in config.partners:
        for feed in partner.feeds:
            columns = [partner.id, partner.kind, feed.name, feed.format, feed.mode, feed.sla, feed.pii]
            print("\t".join(str(c) for c in columns))
    print(f"{path}: {len(config.partners)} partner(s), all valid", file=sys.stderr)
    return 0


def partners_layout(args: argparse.Namespace) -> int:
    """A fixed-width feed's layout, byte for byte what is published as `outbound/<feed>/layout.json`."""
    from function_app.domain.partner_files.fields import FIELDS
    from function_app.domain.partner_files.layout import layout_document
    from function_app.domain.partners import PartnerConfigError, load_partner_config, partner

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
    from function_app.service_layer.delivery import DeliveryJob

    day = parse_day(args.date, "--date")
    assert day is not None
    option_text(args.partner, "--partner")
    option_text(args.feed, "--feed")
    if args.settle_minutes is not None and not 0 <= args.settle_minutes <= 1440:
        raise UsageError(f"--settle-minutes must be between 0 and 1440, got {args.settle_minutes}")
    settle = None if args.settle_minutes is None else timedelta(minutes=args.settle_minutes)
    with open_exchange() as exchange:
        service = exchange.delivery
        feeds = service.feeds(args.partner, args.feed)
        if not feeds:
            raise UsageError(f"no feed matches --partner {args.partner} --feed {args.feed}; see `fnix partners check`")
        delivered = 0
        for partner, feed in feeds:
            progress = Progress(0, f"{partner.id}/{feed.name}", counting=True)
            job = DeliveryJob(partner.id, feed.name, day)
            result = service.deliver(job, cut_now=True, progress=progress.advance, settle=settle)
            progress.finish()
            for file in result.files:
                delivered += 1
                sizes = f"{file.record_count} records\t{file.bytes} bytes"
                print(f"{partner.id}\t{file.blob_name}\t{sizes}\t{file.sha256[:12]}")
            if result.note:
                print(f"  {partner.id}/{feed.name}: {result.note}", file=sys.stderr)
    print(f"{delivered} file(s) delivered for {day}", file=sys.stderr)
    return 0


def files_list(args: argparse.Namespace) -> int:
    day = parse_day(args.date, "--date")
    option_text(args.partner, "--partner")
    with open_exchange() as exchange:
        service = exchange.delivery
        partners = sorted({p.id for p, _ in service.feeds(args.partner)})
        if args.partner and not partners:
            raise UsageError(f"no partner {args.partner!r} in the partner configuration")
        count = 0
        for partner in partners:
            for file in exchange.deliveries.files(partner):
                if day is None or file.business_date == day:
                    count += 1
                    stamp = f"{file.created_at:%Y-%m-%d %H:%M}"
                    print(f"{partner}\t{file.blob_name}\t{file.record_count}\t{file.status}\t{stamp}")
    print(f"{count} file(s)", file=sys.stderr)
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


def files_queue(args: argparse.Namespace) -> int:
    from function_app.entrypoints.claims import FILES_QUEUE
    from function_app.entrypoints.delivery import JOBS_QUEUE

    with open_exchange() as exchange:
        for queue in (JOBS_QUEUE, JOBS_QUEUE + "-poison", FILES_QUEUE, FILES_QUEUE + "-poison"):
            jobs = list(exchange.job_queues.peek(queue))
            print(f"{queue}: {len(jobs)} message(s){' (first 32)' if len(jobs) == 32 else ''}", file=sys.stderr)
            for job in jobs:
                print(f"{queue}\t{job.message_id}\t{job.dequeue_count}\t{job.body}")
    return 0


def partners_sas(args: argparse.Namespace) -> int:
    from function_app.service_layer.partner_access import SasIssuerError, issue_access, issue_ack_access

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
        for result in results:
            print(f"{result.partner}\t{result.ack_name}\t{result.file or '-'}\t{result.status}\t{result.note}")
    changed = sum(1 for r in results if r.changed)
    print(f"{len(results)} acknowledgement(s), {changed} recorded now", file=sys.stderr)
    return 0


def inbound_scan(args: argparse.Namespace) -> int:
    option_text(args.partner, "--partner")
    with open_exchange() as exchange:
        try:
            outcomes = exchange.claims.scan(args.partner)
        except KeyError as exc:
            raise UsageError(str(exc).strip("'\"")) from exc
    for outcome in outcomes:
        counts = ", ".join(f"{k.lower()} {v}" for k, v in sorted(outcome.counts.items()))
        status = f"{outcome.status} {outcome.reason}" if outcome.reason else outcome.status
        detail = outcome.note if outcome.reason else counts or outcome.note
        columns = [outcome.partner, outcome.name, status, outcome.results or "-", detail]
        print("\t".join(columns))
    print(f"{len(outcomes)} claims file(s) looked at", file=sys.stderr)
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    partners = commands.add_parser("partners", help="the partner configuration")
    partner_commands = partners.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = partner_commands.add_parser("check", help="validate a partner configuration file")
    check.add_argument("file", nargs="?", metavar="FILE", help="default: PARTNER_CONFIG_FILE or config/partners.json")
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
        help="leave out facts decided in the last N minutes (default DELIVERY_SETTLE_MINUTES, 15); 0 when nothing "
        "else is writing",
    )
    run.set_defaults(run=deliver)

    files = commands.add_parser("files", help="what was delivered to partners")
    file_commands = files.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = file_commands.add_parser("list", help="delivered files")
    listing.add_argument("--partner", metavar="ID")
    listing.add_argument("--date", metavar="YYYY-MM-DD")
    listing.set_defaults(run=files_list)
    show = file_commands.add_parser("show", help="a delivered file's manifest")
    show.add_argument("partner", metavar="PARTNER")
    show.add_argument("name", metavar="BLOB-NAME")
    show.set_defaults(run=files_show)
    queued = file_commands.add_parser(
        "queue", help="delivery and claims file jobs waiting, and those the host gave up on (poison)"
    )
    queued.set_defaults(run=files_queue)
    acks = file_commands.add_parser("acks", help="record partners' acknowledgements (inbound/ack/)")
    acks.add_argument("--partner", metavar="ID")
    acks.set_defaults(run=files_acks)

    inbound = commands.add_parser("inbound", help="claims files partners upload (inbound/claims/)")
    inbound_commands = inbound.add_subparsers(dest="action", metavar="ACTION", required=True)
    scan = inbound_commands.add_parser("scan", help="process uploaded claims files that have their manifest")
    scan.add_argument("--partner", metavar="ID")
    scan.set_defaults(run=inbound_scan)
