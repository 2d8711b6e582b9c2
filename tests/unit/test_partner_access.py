"""Acknowledgements and access links over in-memory fakes: one hash comparison per ack, recorded once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from function_app.adapters.delivery.memory import MemoryAckInbox, MemoryDeliveryStates
from function_app.domain.delivery.statuses import AckOutcome, FileStatus
from function_app.service_layer.delivery.access import (
    AccessIssuer,
    AckLink,
    Acknowledgements,
    AckResult,
    issue_access,
    issue_ack_access,
)
from function_app.service_layer.delivery.ports import DeliveredFile, FeedState
from tests.partners import DAY, DEFAULT_PARTNERS

NOW = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
ADM_FILE = "adm-01_nightly_20260302_001.txt"
ADM_BLOB = f"outbound/nightly/2026/03/02/{ADM_FILE}"
ADM_SHA = hashlib.sha256(b"adm-01 nightly data").hexdigest()
TOYOTA_FILE = "oem-toyota_nightly_20260302_001.csv"
TOYOTA_SHA = hashlib.sha256(b"toyota nightly data").hexdigest()


class CountingStates(MemoryDeliveryStates):
    def __init__(self) -> None:
        super().__init__()
        self.status_writes: list[tuple[str, str]] = []

    def set_status(self, file: DeliveredFile, status: FileStatus) -> None:
        self.status_writes.append((file.blob_name, status))
        super().set_status(file, status)


def delivered(partner: str, feed: str, sequence: int, name: str, sha256: str) -> DeliveredFile:
    return DeliveredFile(partner, feed, DAY, sequence, f"outbound/{feed}/2026/03/02/{name}", 5, 100, sha256,
                         {"retail_price": "1.00"}, NOW)


def deliver(states: MemoryDeliveryStates, file: DeliveredFile) -> None:
    _, token = states.read(file.partner, file.feed)
    assert states.write(file.partner, file.feed, FeedState(), token, file) is not None


@pytest.fixture
def states() -> CountingStates:
    states = CountingStates()
    deliver(states, delivered("adm-01", "nightly", 1, ADM_FILE, ADM_SHA))
    deliver(states, delivered("adm-01", "micro", 1, "adm-01_micro_20260302_001.jsonl", "0" * 64))
    deliver(states, delivered("oem-toyota", "nightly", 1, TOYOTA_FILE, TOYOTA_SHA))
    return states


@pytest.fixture
def inbox() -> MemoryAckInbox:
    return MemoryAckInbox()


def run(states: CountingStates, inbox: MemoryAckInbox) -> list[AckResult]:
    return Acknowledgements(states, inbox, DEFAULT_PARTNERS).run()


def statuses(states: CountingStates) -> dict[str, str]:
    return {f.blob_name.rsplit("/", 1)[-1]: f.status for p in ("adm-01", "oem-toyota") for f in states.files(p)}


def ack(name: str) -> str:
    return f"inbound/ack/{name}.ack"


def test_a_matching_hash_acknowledges_that_file_only(states: CountingStates, inbox: MemoryAckInbox) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), ADM_SHA.encode())
    assert run(states, inbox) == [
        AckResult("adm-01", ack(ADM_FILE), ADM_BLOB, AckOutcome.ACKNOWLEDGED, "", changed=True)]
    assert statuses(states) == {ADM_FILE: AckOutcome.ACKNOWLEDGED, "adm-01_micro_20260302_001.jsonl": "DELIVERED",
                                TOYOTA_FILE: "DELIVERED"}


def test_a_different_hash_is_a_mismatch(states: CountingStates, inbox: MemoryAckInbox) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), TOYOTA_SHA.encode() + b"\n")
    [result] = run(states, inbox)
    assert (result.file, result.status, result.changed) == (ADM_BLOB, AckOutcome.ACK_MISMATCH, True)
    assert "differs" in result.note
    assert statuses(states)[ADM_FILE] == AckOutcome.ACK_MISMATCH


@pytest.mark.parametrize("content", [
    ADM_SHA.upper().encode(),
    f"  {ADM_SHA}  \n".encode(),
    f"{ADM_SHA.upper()}\r\n".encode(),
    f"\t{ADM_SHA}\r\nsigned by: somebody\nanything = whatever\n".encode(),
    b"\xef\xbb\xbf" + ADM_SHA.encode() + b"\r\n",  # UTF-8 BOM, as some Windows tools write
    b"\r\n\n" + ADM_SHA.encode(),  # blank lines around it are whitespace too
], ids=["upper", "spaces", "crlf", "later-lines-ignored", "bom", "leading-blank-lines"])
def test_case_and_surrounding_whitespace_do_not_matter(
    states: CountingStates, inbox: MemoryAckInbox, content: bytes
) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), content)
    [result] = run(states, inbox)
    assert (result.status, result.note) == (AckOutcome.ACKNOWLEDGED, "")
    assert statuses(states)[ADM_FILE] == AckOutcome.ACKNOWLEDGED


@pytest.mark.parametrize(("content", "why"), [
    (b"", "not a sha256"),
    (ADM_SHA[:63].encode(), "not a sha256"),
    (ADM_SHA.encode() + b"0", "not a sha256"),
    (f"{ADM_SHA[:32]} {ADM_SHA[32:]}".encode(), "not a sha256"),
    (f"sha256:{ADM_SHA}".encode(), "not a sha256"),
    (("g" * 64).encode(), "not a sha256"),
    (b"\xff\xfe" + ADM_SHA.encode("utf-16-le"), "not UTF-8"),
    (b"A" * 5000, "not a sha256"),
], ids=["empty", "short", "long", "split", "prefixed", "not-hex", "utf16", "huge"])
def test_content_that_is_not_a_hash_is_a_mismatch_with_a_note(
    states: CountingStates, inbox: MemoryAckInbox, content: bytes, why: str
) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), content)
    [result] = run(states, inbox)
    assert (result.file, result.status) == (ADM_BLOB, AckOutcome.ACK_MISMATCH)
    assert why in result.note
    assert statuses(states)[ADM_FILE] == AckOutcome.ACK_MISMATCH


@pytest.mark.parametrize("name", [
    ack("adm-01_nightly_20260302_002.txt"),  # never delivered
    ack(TOYOTA_FILE),  # another partner's file, hash and all
    ack(ADM_FILE + ".manifest.json"),  # a manifest is not a data file
    ack(ADM_BLOB),  # the full blob name, not the file name
    f"inbound/ack/{ADM_FILE}",  # no .ack
    f"inbound/ack/{ADM_FILE}.ACK",
    f"inbound/ack/sub/{ADM_FILE}.ack",
])
def test_an_ack_naming_no_delivered_file_is_reported_and_changes_nothing(
    states: CountingStates, inbox: MemoryAckInbox, name: str
) -> None:
    inbox.files.put("adm-01", name, TOYOTA_SHA.encode() if TOYOTA_FILE in name else ADM_SHA.encode())
    [result] = run(states, inbox)
    assert (result.partner, result.ack_name, result.file, result.status, result.changed) == (
        "adm-01", name, None, AckOutcome.UNKNOWN_FILE, False)
    assert result.note
    assert states.status_writes == []


def test_running_twice_changes_nothing(states: CountingStates, inbox: MemoryAckInbox) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), ADM_SHA.encode())
    inbox.files.put("adm-01", ack("adm-01_micro_20260302_001.jsonl"), b"nope")
    inbox.files.put("oem-toyota", ack(TOYOTA_FILE), TOYOTA_SHA.encode())
    inbox.files.put("oem-toyota", ack("oem-toyota_nightly_20260301_001.csv"), TOYOTA_SHA.encode())
    first = run(states, inbox)
    assert [(r.partner, r.status, r.changed) for r in first] == [
        # configuration order, then name
        ("oem-toyota", AckOutcome.UNKNOWN_FILE, False), ("oem-toyota", AckOutcome.ACKNOWLEDGED, True),
        ("adm-01", AckOutcome.ACK_MISMATCH, True), ("adm-01", AckOutcome.ACKNOWLEDGED, True)]
    after_first, writes = statuses(states), list(states.status_writes)
    second = run(states, inbox)
    assert [(r.status, r.note, r.changed) for r in second] == [(r.status, r.note, False) for r in first]
    assert statuses(states) == after_first
    assert states.status_writes == writes, "no write at all on the second run"


def test_an_acknowledged_file_stays_acknowledged(states: CountingStates, inbox: MemoryAckInbox) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), ADM_SHA.encode())
    run(states, inbox)
    inbox.files.put("adm-01", ack(ADM_FILE), TOYOTA_SHA.encode())  # the partner overwrites its ack
    [result] = run(states, inbox)
    assert (result.status, result.changed) == (AckOutcome.ACK_MISMATCH, False)
    assert "stays ACKNOWLEDGED" in result.note
    assert statuses(states)[ADM_FILE] == AckOutcome.ACKNOWLEDGED
    assert states.status_writes == [(ADM_BLOB, AckOutcome.ACKNOWLEDGED)]


def test_a_corrected_ack_turns_a_mismatch_into_an_acknowledgement(
    states: CountingStates, inbox: MemoryAckInbox
) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), b"0" * 64)
    run(states, inbox)
    inbox.files.put("adm-01", ack(ADM_FILE), ADM_SHA.encode())
    [result] = run(states, inbox)
    assert (result.status, result.changed) == (AckOutcome.ACKNOWLEDGED, True)
    assert states.status_writes == [(ADM_BLOB, AckOutcome.ACK_MISMATCH), (ADM_BLOB, AckOutcome.ACKNOWLEDGED)]


def test_one_partner_can_be_run_alone(states: CountingStates, inbox: MemoryAckInbox) -> None:
    inbox.files.put("adm-01", ack(ADM_FILE), ADM_SHA.encode())
    inbox.files.put("oem-toyota", ack(TOYOTA_FILE), TOYOTA_SHA.encode())
    results = Acknowledgements(states, inbox, DEFAULT_PARTNERS).run("oem-toyota")
    assert [(r.partner, r.status) for r in results] == [("oem-toyota", AckOutcome.ACKNOWLEDGED)]
    assert statuses(states)[ADM_FILE] == "DELIVERED"
    with pytest.raises(KeyError, match="known partners: oem-toyota, adm-01"):
        Acknowledgements(states, inbox, DEFAULT_PARTNERS).run("oem-nobody")


def test_acks_of_partners_not_in_the_configuration_are_not_read(states: CountingStates, inbox: MemoryAckInbox) -> None:
    inbox.files.put("lender-x", ack("lender-x_nightly_20260302_001.csv"), b"0" * 64)
    assert run(states, inbox) == []


class RecordingIssuer(AccessIssuer):
    def __init__(self) -> None:
        self.calls: list[tuple[str, datetime]] = []

    def read_list_url(self, partner: str, expires_at: datetime) -> str:
        self.calls.append((partner, expires_at))
        return f"https://example.invalid/partner-{partner}?sig=x"

    def ack_upload_url(self, partner: str, expires_at: datetime) -> AckLink:
        self.calls.append((partner, expires_at))
        return AckLink(f"https://example.invalid/partner-{partner}/inbound/ack?sig=y", confined_to_ack=True)


@pytest.mark.parametrize("hours", [1, 24, 168])
def test_access_is_issued_for_a_configured_partner_until_now_plus_hours(hours: int) -> None:
    issuer = RecordingIssuer()
    url = issue_access(issuer, DEFAULT_PARTNERS, "adm-01", hours, NOW)
    assert url == "https://example.invalid/partner-adm-01?sig=x"
    assert issuer.calls == [("adm-01", NOW + timedelta(hours=hours))]


def test_access_is_refused_for_a_partner_not_in_the_configuration() -> None:
    issuer = RecordingIssuer()
    with pytest.raises(KeyError, match=r"'adm-02'.*known partners: oem-toyota, adm-01"):
        issue_access(issuer, DEFAULT_PARTNERS, "adm-02", 24, NOW)
    assert issuer.calls == []


@pytest.mark.parametrize("hours", [0, -1, 169, 24 * 365, True, 1.5])
def test_access_lasts_one_hour_to_seven_days(hours: int) -> None:
    issuer = RecordingIssuer()
    with pytest.raises(ValueError, match="hours must be a whole number from 1 to 168"):
        issue_access(issuer, DEFAULT_PARTNERS, "adm-01", hours, NOW)
    assert issuer.calls == []


def test_access_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        issue_access(RecordingIssuer(), DEFAULT_PARTNERS, "adm-01", 1, NOW.replace(tzinfo=None))


def test_an_ack_link_is_issued_under_the_same_rules() -> None:
    issuer = RecordingIssuer()
    link = issue_ack_access(issuer, DEFAULT_PARTNERS, "adm-01", 24, NOW)
    assert link.url == "https://example.invalid/partner-adm-01/inbound/ack?sig=y"
    assert issuer.calls == [("adm-01", NOW + timedelta(hours=24))]
    with pytest.raises(KeyError, match="known partners"):
        issue_ack_access(issuer, DEFAULT_PARTNERS, "adm-02", 24, NOW)
    with pytest.raises(ValueError, match="from 1 to 168"):
        issue_ack_access(issuer, DEFAULT_PARTNERS, "adm-01", 169, NOW)
    assert len(issuer.calls) == 1
