"""`fnix demo`: a realistic business day, fed to the functions' service the way the hubs would."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fnix.commands import print_summary, write_feedback
from fnix.demo_desk import run_desk, show_in_lender_file
from fnix.dev.demo_day import DemoEvent, generate_day, write_jsonl
from fnix.progress import Progress
from function_app.bootstrap import Exchange
from function_app.domain.kernel.journal import JournalFact
from function_app.domain.kernel.messages import InboundMessage
from function_app.service_layer.realtime.report import BatchReport

BATCH_SIZE = 100
BATCH_WINDOW = timedelta(minutes=5)  # a hub's batch closes when full or when this much event time has passed


def run_tag(seed: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tag = ""
    for _ in range(4):
        seed, digit = divmod(seed, 36)
        tag = alphabet[digit] + tag
    return tag


def hub_batches(events: Sequence[DemoEvent]) -> Iterator[list[InboundMessage]]:
    """Interleaves the two hubs as their triggers would see them: each hub batches its own stream."""
    pending: dict[str, list[InboundMessage]] = {"contracts": [], "cancellations": []}
    sequence = {"contracts": 0, "cancellations": 0}
    for event in events:
        for hub, batch in pending.items():
            if batch and (len(batch) >= BATCH_SIZE or event.at - batch[0].enqueued_time > BATCH_WINDOW):
                yield batch
                pending[hub] = []
        sequence[event.hub] += 1
        pending[event.hub].append(InboundMessage(event.hub, event.body, "0", sequence[event.hub], event.at))
    for batch in pending.values():
        if batch:
            yield batch


def run_demo(exchange: Exchange, day: date, contracts: int, seed: int, out: Path) -> int:
    tag = run_tag(seed)
    generated = generate_day(day, contracts=contracts, seed=seed, run_tag=tag, zone=exchange.settings.zone)
    folder = out / day.isoformat() / tag
    files = write_jsonl(generated, folder)
    hubs = {hub: sum(1 for e in generated.events if e.hub == hub) for hub in ("contracts", "cancellations")}
    print(
        f"Business day {day} (run {tag}, seed {seed}): {len(generated.events)} events, "
        f"{hubs['contracts']} on `contracts`, {hubs['cancellations']} on `cancellations`",
    )
    report = BatchReport()
    progress = Progress(len(generated.events), "deciding")
    feedback_path = folder / "feedback.jsonl"
    with feedback_path.open("w", encoding="utf-8") as sink:
        for batch in hub_batches(generated.events):
            outcome = exchange.realtime.process(batch)
            write_feedback(sink, outcome.feedback)
            report.merge(outcome)
            progress.advance(len(batch))
    progress.finish()
    print("\nWhat happened")
    print_summary(report, sys.stdout)
    print("\nWhat the generator put in the day")
    for kind, count in sorted(generated.expected.items()):
        print(f"  {kind:<28}{count:>8}")
    # the desk before the night's delivery, so that the lender's repossession is in the lender's file
    desk = run_desk(exchange, day, tag, after=max(e.at for e in generated.events), sequences=hubs,
                    feedback=feedback_path)
    report.merge(desk.report)
    delivered = _deliver_the_night(exchange, day)
    show_in_lender_file(exchange, day, desk)
    _reconcile_with_injected_breaks(exchange, day)
    _claims_file(exchange, day, generated.run_tag)
    _where_to_look(exchange, day, files, feedback_path, report)
    print(f"  partner files:  ./dev fnix files list --date {day}  ({delivered} delivered this run)")
    print(f"  reconciliation:  ./dev fnix reconcile --date {day} --format html --out out/reconcile-{day}.html",
)
    return 0


def _reconcile_with_injected_breaks(exchange: Exchange, day: date) -> None:
    """Tampers with three of the night's files, shows the report naming each change, then puts them back and
    shows the breaks resolved: what operations would see after a partner's file was altered in transit."""
    from function_app.adapters.reconciliation.report import render_table

    files = exchange.partner_files
    originals: dict[tuple[str, str], bytes] = {}
    injected: list[str] = []
    for partner, feed in exchange.delivery.feeds():
        delivered = [f for f in exchange.deliveries.files(partner.id, feed.name) if f.business_date == day]
        if not delivered or delivered[-1].record_count < 2 or len(injected) == 3:
            continue
        name = delivered[-1].blob_name
        how = _INJECTIONS[len(injected)]
        target = name + ".manifest.json" if how == "manifest edited" else name
        originals[(partner.id, target)] = files.read(partner.id, target)
        files.write_data(partner.id, target, [_tamper(how, originals[(partner.id, target)], feed.format)])
        injected.append(f"{partner.id}: {how} ({target.rsplit('/', 1)[-1]})")
    if not injected:
        return
    print("\nReconciliation: three files tampered with on purpose")
    for line in injected:
        print(f"  injected  {line}")
    caught = exchange.reconciliation.run(day)
    sys.stdout.write(render_table(caught))
    for (partner_id, target), data in originals.items():
        files.write_data(partner_id, target, [data])
    restored = exchange.reconciliation.run(day)
    print(f"after putting the files back: {len(restored.breaks)} break(s), {len(restored.resolved)} resolved",
)


def _claims_file(exchange: Exchange, day: date, tag: str) -> None:
    """An administrator uploads a claims file with its manifest, as over SFTP; the exchange answers it."""
    import hashlib

    from fnix.dev.partner import upload_as_partner
    from function_app.adapters.delivery.partner_blobs import BlobPartnerFiles

    partner = next((p for p in exchange.delivery.feeds() if p[0].administrator_code), None)
    if partner is None or not exchange.settings.storage_connection:
        return
    admin = partner[0]
    facts = [f for f in exchange.journal.read(day) if f.kind.value == "CONTRACT_ACCEPTED"]
    own = [f for f in facts if f.administrator == admin.administrator_code][:4]
    other = next((f for f in facts if f.administrator != admin.administrator_code), None)
    if len(own) < 2 or other is None:
        return
    header = ("claim_number,contract_number,repair_order,failure_date,odometer,labor_amount,parts_amount,"
              "tax_amount,total_amount,repair_facility_code,cause")

    def effective(fact: JournalFact) -> date:
        return date.fromisoformat(fact.data["contract"]["effective_date"])

    def line(n: int, fact: JournalFact, failure: date, total: str = "150.00") -> str:
        odometer = int(fact.data["contract"]["vehicle"]["odometer"]) + 100
        amounts = f"100.00,40.00,10.00,{total}"
        return f"CLM-{tag}-{n:04d},{fact.contract_number},RO-{n},{failure},{odometer},{amounts},FAC-1,demo"

    rows = [line(i + 1, f, max(day, effective(f))) for i, f in enumerate(own)]
    before_cover = effective(own[0]) - timedelta(days=1)
    rows += [line(90, other, day), line(91, own[0], before_cover), line(92, own[1], day, "1.00"), rows[0]]
    data = ("\n".join([header, *rows]) + "\n").encode("utf-8")
    name = f"inbound/claims/{admin.id}_claims_{day:%Y%m%d}_{tag[-3:]}.csv"
    totals = sum(Decimal(r.split(",")[8]) for r in rows)
    manifest = {"record_count": len(rows), "total_amount": f"{totals:.2f}", "sha256": hashlib.sha256(data).hexdigest()}
    container = BlobPartnerFiles.container_for(exchange.settings.namespace, admin.id)
    upload_as_partner(exchange.settings, container,
                      {name: data, name + ".manifest.json": json.dumps(manifest).encode("utf-8")})
    print(f"\nClaims file from {admin.id}: {name} ({len(rows)} rows, with its manifest)")
    for outcome in exchange.claims.scan(admin.id, only=name):
        print(f"  {outcome.status}: {outcome.results}  {outcome.counts}")
        if outcome.results:
            answer = exchange.partner_files.read(admin.id, outcome.results).decode("utf-8")
            for text in answer.splitlines():
                print(f"    {text}")


_INJECTIONS = ("manifest edited", "record duplicated", "record removed")


def _tamper(how: str, data: bytes, file_format: str) -> bytes:
    if how == "manifest edited":
        document = json.loads(data)
        document["record_count"] += 1
        return json.dumps(document, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    lines = data.decode("utf-8").splitlines(keepends=True)
    first = 1 if file_format in ("csv", "fixed") else 0  # keep the header record in place
    if how == "record duplicated":  # before a fixed-width trailer, which must stay last
        tampered = [*lines, lines[first]] if file_format != "fixed" else [*lines[:-1], lines[first], lines[-1]]
        return "".join(tampered).encode("utf-8")
    return "".join(lines[:first] + lines[first + 1 :]).encode("utf-8")


def _deliver_the_night(exchange: Exchange, day: date) -> int:
    """The night's delivery for every configured feed; nothing else writes, so no settle margin is needed."""
    from function_app.service_layer.delivery.jobs import DeliveryJob

    print("\nThe night's partner files")
    service = exchange.delivery
    delivered = 0
    for partner, feed in service.feeds():
        result = service.deliver(DeliveryJob(partner.id, feed.name, day), cut_now=True, settle=timedelta(0))
        for file in result.files:
            delivered += 1
            totals = ", ".join(f"{name} {value}" for name, value in sorted(file.control_totals.items())[:2])
            print(f"  {partner.id:<12} {file.blob_name:<72} {file.record_count:>6} records  {totals}")
        if not result.files:
            print(f"  {partner.id:<12} {feed.name}: {result.note}")
    return delivered


def _where_to_look(exchange: Exchange, day: date, files: dict[str, Path], feedback: Path, report: BatchReport) -> None:
    settings = exchange.settings
    print("\nWhere to look")
    for hub, path in sorted(files.items()):
        print(f"  events sent to `{hub}`:  {path}")
    print(f"  feedback sent to `dealer-feedback`:  {feedback}")
    shards = settings.journal_shards
    journal = (f"table `{settings.journal_table}`, partition {day}" if shards == 1 else
               f"table `{settings.journal_table}`, partitions {day} to {day}_{shards - 1:02d}")
    print(f"  journal ({journal}):  {report.facts} facts this run")
    print(
        f"  dead letters (container `{settings.dead_letter_container}`):  "
        f"./dev fnix deadletters list --hub contracts --date {day}",
    )
    later = (day + timedelta(days=4)).isoformat() + "T00:00:00+00:00"
    print(f"  held cancellations expire:  ./dev fnix holds expire --now {later}")
