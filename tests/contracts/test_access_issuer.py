"""The AccessIssuer contract: every adapter of the port passes the same tests.

What the port promises (service_layer/delivery/access.py; spec/PARTNER-FILES.md, "Where files land" and
"Acknowledgement"): a read+list link to the partner's own container, nothing else, until it expires; an ack link
under `inbound/ack/` of that container, allowing create and write, nothing else. An adapter that can sign no link
(storage in memory) refuses each one with SasIssuerError, which the port allows: for it, each test checks that.
What a partner does with a link is the adapter's to say (`Partner`); whatever storage refuses is a PermissionError.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from function_app.adapters.delivery.memory import MemoryPartnerFiles, UnsignedAccess
from function_app.service_layer.delivery.access import ACK_PREFIX, AccessIssuer, SasIssuerError
from function_app.service_layer.delivery.ports import PartnerFileStore
from tests.contracts import on_azurite

T = TypeVar("T")
A, B, NEW = "adm-01", "oem-toyota", "adm-02"
DATA = "outbound/nightly/2026/03/02/adm-01_nightly_20260302_001.csv"
ACK = "adm-01_nightly_20260302_001.csv.ack"
DIGEST = b"ab" * 32 + b"  adm-01_nightly_20260302_001.csv\n"


class Partner(ABC):
    """What a partner does with a link it was given: a name is beneath the link's path; a refusal, PermissionError."""

    @abstractmethod
    def names(self, link: str) -> list[str]: ...

    @abstractmethod
    def read(self, link: str, name: str) -> bytes: ...

    @abstractmethod
    def write(self, link: str, name: str, data: bytes) -> None: ...

    @abstractmethod
    def delete(self, link: str, name: str) -> None: ...


@dataclass(frozen=True)
class Made:
    issuer: AccessIssuer
    files: PartnerFileStore  # the exchange's own view of the partners' containers
    partner: Partner | None  # None: the adapter signs no link


def container_link(ack_link: str) -> str:
    """The ack link's SAS on its container: what a partner could try with it beyond `inbound/ack/`."""
    base, _, sas = ack_link.partition("?")
    return f"{base.removesuffix('/' + ACK_PREFIX.rstrip('/'))}?{sas}"


class AccessIssuerContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> Made: ...

    @pytest.fixture
    def made(self, request: pytest.FixtureRequest) -> Made:
        made = self.make(request)
        made.files.write_data(A, DATA, [b"H|adm-01\n", b"T|0\n"])
        made.files.write_data(B, DATA.replace(A, B), [b"H|oem-toyota\n"])
        return made

    def signed(self, made: Made, issue: Callable[[], T]) -> tuple[T, Partner] | None:
        """The link and the partner that uses it; None once an adapter that signs nothing has refused it so."""
        if made.partner is None:
            with pytest.raises(SasIssuerError):
                issue()
            return None
        return issue(), made.partner

    def test_a_read_list_link_lists_and_reads_the_partners_own_container(self, made: Made) -> None:
        if (signed := self.signed(made, lambda: made.issuer.read_list_url(A, _in(hours=1)))) is None:
            return
        link, partner = signed
        assert partner.names(link) == sorted(made.files.names(A)) == [DATA]
        assert partner.read(link, DATA) == made.files.read(A, DATA)

    def test_a_read_list_link_writes_and_deletes_nothing(self, made: Made) -> None:
        if (signed := self.signed(made, lambda: made.issuer.read_list_url(A, _in(hours=1)))) is None:
            return
        link, partner = signed
        before = made.files.read(A, DATA)
        attempts: list[Callable[[], object]] = [
            lambda: partner.write(link, "outbound/extra.csv", b"x"),
            lambda: partner.write(link, DATA, b"tampered"),
            lambda: partner.write(link, ACK_PREFIX + ACK, DIGEST),  # acks come by SFTP or an ack link
            lambda: partner.delete(link, DATA),
        ]
        for attempt in attempts:
            with pytest.raises(PermissionError):
                attempt()
        assert (sorted(made.files.names(A)), made.files.read(A, DATA)) == ([DATA], before)

    def test_an_expired_link_is_refused(self, made: Made) -> None:
        past = _in(hours=-1)
        if (signed := self.signed(made, lambda: made.issuer.read_list_url(A, past))) is None:
            return
        link, partner = signed
        with pytest.raises(PermissionError):
            partner.names(link)
        with pytest.raises(PermissionError):
            partner.read(link, DATA)
        ack = made.issuer.ack_upload_url(A, past)
        with pytest.raises(PermissionError):
            partner.write(ack.url, ACK, DIGEST)

    def test_an_ack_link_uploads_under_inbound_ack_of_the_partners_container(self, made: Made) -> None:
        if (signed := self.signed(made, lambda: made.issuer.ack_upload_url(A, _in(hours=1)))) is None:
            return
        ack, partner = signed
        read_list = made.issuer.read_list_url(A, _in(hours=1))
        assert ack.url.partition("?")[0] == read_list.partition("?")[0] + "/" + ACK_PREFIX.rstrip("/")
        partner.write(ack.url, ACK, b"0" * 64)
        partner.write(ack.url, ACK, DIGEST)  # a corrected ack replaces the first
        assert made.files.read(A, ACK_PREFIX + ACK) == DIGEST
        assert ACK_PREFIX + ACK not in list(made.files.names(B))

    def test_an_ack_link_reads_lists_and_deletes_nothing(self, made: Made) -> None:
        if (signed := self.signed(made, lambda: made.issuer.ack_upload_url(A, _in(hours=1)))) is None:
            return
        ack, partner = signed
        partner.write(ack.url, ACK, DIGEST)
        whole = container_link(ack.url)
        attempts: list[Callable[[], object]] = [
            lambda: partner.names(whole), lambda: partner.read(whole, DATA), lambda: partner.read(ack.url, ACK),
            lambda: partner.delete(ack.url, ACK), lambda: partner.delete(whole, DATA),
        ]
        for attempt in attempts:
            with pytest.raises(PermissionError):
                attempt()
        assert sorted(made.files.names(A)) == [ACK_PREFIX + ACK, DATA]

    def test_an_ack_link_for_a_partner_that_has_had_no_file_yet_works(self, made: Made) -> None:
        if (signed := self.signed(made, lambda: made.issuer.ack_upload_url(NEW, _in(hours=1)))) is None:
            return
        ack, partner = signed
        partner.write(ack.url, "adm-02_nightly_20260302_001.csv.ack", DIGEST)
        assert list(made.files.names(NEW)) == [ACK_PREFIX + "adm-02_nightly_20260302_001.csv.ack"]


def _in(hours: int) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


class TestAccessIssuerInMemory(AccessIssuerContract):
    def make(self, request: pytest.FixtureRequest) -> Made:
        return Made(UnsignedAccess(), MemoryPartnerFiles(), partner=None)


class SasPartner(Partner):
    def names(self, link: str) -> list[str]:
        return on_azurite.link_names(link)

    def read(self, link: str, name: str) -> bytes:
        return on_azurite.link_read(link, name)

    def write(self, link: str, name: str, data: bytes) -> None:
        on_azurite.link_write(link, name, data)

    def delete(self, link: str, name: str) -> None:
        on_azurite.link_delete(link, name)


class TestAccessIssuerOnAzurite(AccessIssuerContract):
    def make(self, request: pytest.FixtureRequest) -> Made:
        settings = on_azurite.namespace(request)
        return Made(on_azurite.access_issuer(settings), on_azurite.partner_files(settings), SasPartner())
