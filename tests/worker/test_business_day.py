"""One business day as peers make it, through the worker on Azurite: dealers' events in structured and binary
CloudEvents (written by the CloudEvents SDK), a Debezium SQL Server connector with default settings, and every
partner reading its files with its usual tools (pandas' read_fwf over the bytes with the published layout,
Python's csv module, pandas' read_json). Only inputs that carry an error are dead-lettered."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from azure.storage.blob import BlobServiceClient

from function_app.adapters.kernel.partner_config_file import load_partner_config
from function_app.bootstrap import bootstrap
from function_app.config import Settings
from tests.events import cancellation, contract
from tests.peers.cloudevents_sender import binary, sdk_event, structured
from tests.peers.debezium import CLAIMS, Connector, Position
from tests.worker.conftest import StartWorker
from tests.worker.encoding import EventHubMessage, queue_message
from tests.worker.host import WorkerHost
from tests.worker.test_event_hubs import ENQUEUED, deliver, sent_as

DAY = "2026-03-02"
PEOPLE = [("Łukasz", "Żółkiewski"), ("小明", "王"), ("अमित", "शर्मा"), ("Zoë", "Ørsted"), ("François", "Straße"),
          ("Nguyễn", "Thị")]


def day_of_contracts() -> list[dict[str, Any]]:
    """Six contracts: three for Toyota administered by ADM-01 (lienholder FPCU), three for Honda by ADM-02."""
    made = []
    for i, (first, last) in enumerate(PEOPLE):
        toyota = i < 3
        event = contract(f"DAY26{i:05d}", customer__first_name=first, customer__last_name=last,
                         oem="TOYOTA" if toyota else "HONDA", administrator="ADM-01" if toyota else "ADM-02")
        if not toyota:
            del event["data"]["lienholder"]
        made.append(event)
    return made


def change_stream(number: str) -> list[bytes]:
    """The back office pays a claim on `number`, as a default-configured connector writes it."""
    connector, at = Connector(), datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    claim = {"claim_number": "CLM-DAY-1", "contract_number": number, "status": "OPEN", "paid_amount": None,
             "paid_date": None, "reserve_amount": Decimal("900"), "adjuster_notes": "first look",
             "reopened": False, "entered_at": datetime(2026, 3, 2, 9, 15)}
    paid = claim | {"status": "PAID", "paid_amount": Decimal("412.37"), "paid_date": datetime(2026, 3, 2).date()}
    first, second = Position(0x30_00000A10_0000, 0x30_00000A10_0001), Position(0x30_00000B20_0000, 0x30_00000B20_0001)
    return [
        connector.schema_change(CLAIMS, first, at),
        connector.transaction("BEGIN", first, at),
        connector.change(CLAIMS, "c", None, claim, first, at),
        connector.transaction("END", first, at, {"claims": 1}),
        connector.heartbeat(at),
        connector.transaction("BEGIN", second, at),
        connector.change(CLAIMS, "u", claim, paid, second, at),
        connector.transaction("END", second, at, {"claims": 1}),
    ]


def run_day(host: WorkerHost) -> list[dict[str, Any]]:
    contracts = day_of_contracts()
    messages = [sent_as(binary(sdk_event(c)) if i % 2 else structured(sdk_event(c)))
                for i, c in enumerate(contracts)]
    answers = deliver(host, "contract_submissions", "contracts", [*messages, EventHubMessage(b"<not json/>")],
                      enqueued=ENQUEUED)
    assert deliver(host, "policy_admin_changes", "policy-admin-cdc",
                   [EventHubMessage(b) for b in change_stream(contracts[0]["subject"])], enqueued=ENQUEUED) == []
    cancelled = cancellation(contracts[0]["subject"], event_id="day-cancel-1")
    answers += deliver(host, "cancellation_requests", "cancellations", [sent_as(binary(sdk_event(cancelled)))],
                       enqueued=ENQUEUED, first_sequence=700)
    return answers


def partner_files(service: BlobServiceClient, namespace: str, partner: str, feed: str) -> list[tuple[bytes, Any]]:
    container = service.get_container_client(f"{namespace}partner-{partner}")
    names = sorted(b.name for b in container.list_blobs(name_starts_with=f"outbound/{feed}/2026/03/02/"))
    return [(container.download_blob(n).readall(), json.loads(container.download_blob(n + ".manifest.json").readall()))
            for n in names if not n.endswith(".manifest.json")]


def read_as_partner(data: bytes, file_format: str, layout: dict[str, Any] | None) -> tuple[int, Decimal]:
    """Records and the sum of `retail_price`, read the way the partner's own tools read the file."""
    if file_format == "fixed":
        assert layout is not None
        assert {len(line) for line in data.split(b"\n")[:-1]} == {layout["record_length"]}  # bytes, not chars
        columns = layout["records"]["D"]
        frame = pd.read_fwf(io.BytesIO(data), colspecs=[(c["start"] - 1, c["start"] - 1 + c["width"]) for c in columns],
                            names=[c["name"] for c in columns], dtype=str, encoding="ascii", header=None,
                            keep_default_na=False)
        details = frame[frame["record"] == "D"]
        return len(details), sum((Decimal(v) for v in details["retail_price"]), Decimal("0"))
    if file_format == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
        return len(rows), sum((Decimal(r["retail_price"]) for r in rows if r.get("retail_price")), Decimal("0"))
    frame = pd.read_json(io.BytesIO(data), lines=True, dtype=False, encoding="utf-8")
    return len(frame), sum((Decimal(str(v)) for v in frame["retail_price"]), Decimal("0"))


def test_a_day_of_peers_goes_through_and_every_partner_reads_its_files(start_worker: StartWorker,
                                                                        storage_settings: Settings) -> None:
    host = start_worker(DELIVERY_CLOCK_SKEW_SECONDS="0")  # one machine, one clock
    answers = run_day(host)
    statuses = [(a.get("subject"), a["data"]["status"]) for a in answers]
    assert statuses.count(("DAY2600000", "ACCEPTED")) == 2  # the contract, then its cancellation
    assert sum(1 for _, status in statuses if status == "ACCEPTED") == 7
    assert [a["data"]["reasons"][0]["code"] for a in answers if a["data"]["status"] == "REJECTED"] == ["MALFORMED"]
    assert answers[-1]["data"]["refund"]["claims_deducted"] == "412.37"

    exchange = bootstrap(storage_settings)
    letters = [exchange.dead_letters.get(name) for name in exchange.dead_letters.names("")]
    assert [letter.body for letter in letters] == [b"<not json/>"]  # side records and good inputs: none

    service = BlobServiceClient.from_connection_string(storage_settings.storage_connection or "")
    for partner in load_partner_config(storage_settings.partner_config).partners:
        for feed in partner.feeds:
            job = json.dumps({"partner": partner.id, "feed": feed.name, "business_date": DAY})
            data, metadata = queue_message(job, message_id=f"{partner.id}-{feed.name}")
            result = host.invoke("deliver_partner_file", {"message": data}, metadata)
            assert result.succeeded, result.exception + host.stderr()
            files = partner_files(service, storage_settings.namespace, partner.id, feed.name)
            assert files, f"{partner.id}/{feed.name} got no file"
            layout = None
            if feed.format == "fixed":
                container = service.get_container_client(f"{storage_settings.namespace}partner-{partner.id}")
                layout = json.loads(container.download_blob(f"outbound/{feed.name}/layout.json").readall())
            for content, manifest in files:
                records, retail = read_as_partner(content, feed.format, layout)
                assert records == manifest["record_count"]
                if "retail_price" in manifest["control_totals"]:
                    assert retail == Decimal(manifest["control_totals"]["retail_price"])
            assert sum(m["record_count"] for _, m in files) > 0, f"{partner.id}/{feed.name} delivered nothing"
