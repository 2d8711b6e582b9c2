"""Partner delivery on Azurite: staged data blobs, one container per partner (the ports' shared promises are in
tests/contracts)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from function_app.adapters.delivery import partner_blobs
from function_app.bootstrap import Exchange, bootstrap
from function_app.config import Settings
from function_app.service_layer.delivery.jobs import DeliveryJob
from tests.partners import DAY, DEFAULT_PARTNERS, NOON, Clock, contracts_of_the_day, decide

NIGHT = NOON + timedelta(hours=14)


@pytest.fixture
def exchange(storage_settings: Settings) -> Exchange:
    return bootstrap(storage_settings, partners=DEFAULT_PARTNERS, clock=Clock(NOON))


def test_data_is_streamed_in_blocks_and_committed_whole(exchange: Exchange, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partner_blobs, "BLOCK_BYTES", 1000)
    files = exchange.partner_files
    assert files is not None
    chunks = [bytes([65 + i % 26]) * 333 for i in range(20)]
    written = files.write_data("adm-01", "outbound/x/file.csv", iter(chunks))
    data = b"".join(chunks)
    assert (written.bytes, written.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert files.read("adm-01", "outbound/x/file.csv") == data
    with pytest.raises(KeyError):
        files.read("oem-toyota", "outbound/x/file.csv")


def test_nightly_delivery_lands_in_the_partners_own_container(exchange: Exchange) -> None:
    decide(exchange, "contracts", list(contracts_of_the_day(8)))
    exchange.clock.now = NIGHT  # type: ignore[attr-defined]
    for partner, feed in [("adm-01", "nightly"), ("oem-toyota", "nightly")]:
        exchange.delivery.deliver(DeliveryJob(partner, feed, DAY))
    files = exchange.partner_files
    assert files is not None
    adm = sorted(files.names("adm-01", "outbound/nightly/"))
    assert adm == ["outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.txt",
                   "outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.txt.manifest.json",
                   "outbound/nightly/layout.json"]
    first_line = files.read("adm-01", adm[0]).split(b"\n")[0]
    assert json.loads(files.read("adm-01", adm[2]))["record_length"] == len(first_line)
    manifest = json.loads(files.read("adm-01", adm[1]))
    assert manifest["record_count"] == 8
    assert manifest["sha256"] == hashlib.sha256(files.read("adm-01", adm[0])).hexdigest()
    assert all("oem-toyota" in name for name in files.names("oem-toyota")), "csv: no layout"
    again = exchange.delivery.deliver(DeliveryJob("adm-01", "nightly", DAY))
    assert again.files == []
    assert [f.record_count for f in exchange.deliveries.files("adm-01")] == [8]
    assert date(2026, 3, 2) == exchange.deliveries.files("oem-toyota")[0].business_date
