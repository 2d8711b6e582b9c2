"""The AckInbox contract: every adapter of the port passes the same tests."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import pytest

from function_app.adapters.delivery.memory import MemoryAckInbox
from function_app.service_layer.delivery.access import ACK_READ_LIMIT, AckInbox
from tests.contracts import on_azurite

Upload = Callable[[str, str, bytes], None]  # partner, blob name, bytes: what a partner puts in its container
ACK = "inbound/ack/adm-01_nightly_20260302_001.txt.ack"


class AckInboxContract(ABC):
    @abstractmethod
    def make(self, request: pytest.FixtureRequest) -> tuple[AckInbox, Upload]: ...

    @pytest.fixture
    def made(self, request: pytest.FixtureRequest) -> tuple[AckInbox, Upload]:
        return self.make(request)

    def test_a_partner_never_delivered_to_has_no_acks(self, made: tuple[AckInbox, Upload]) -> None:
        inbox, _ = made
        assert list(inbox.acks("adm-01")) == []

    def test_the_partners_own_blobs_under_inbound_ack_in_order(self, made: tuple[AckInbox, Upload]) -> None:
        inbox, upload = made
        sha = b"ab" * 32 + b"  adm-01_nightly_20260302_001.txt\n"
        upload("adm-01", ACK, sha)
        upload("adm-01", "inbound/ack/a.ack", b"")
        upload("adm-01", "inbound/ack/sub/b.ack", b"x")
        upload("adm-01", "outbound/nightly/c.ack", b"x")
        upload("adm-0", "inbound/ack/d.ack", b"x")
        assert list(inbox.acks("adm-01")) == [("inbound/ack/a.ack", b""), (ACK, sha), ("inbound/ack/sub/b.ack", b"x")]
        assert list(inbox.acks("adm-0")) == [("inbound/ack/d.ack", b"x")]

    def test_an_ack_is_read_no_further_than_the_limit(self, made: tuple[AckInbox, Upload]) -> None:
        inbox, upload = made
        content = bytes(range(256)) * (ACK_READ_LIMIT // 256 * 3)
        upload("adm-01", ACK, content)
        [(name, head)] = list(inbox.acks("adm-01"))
        assert name == ACK and content.startswith(head) and len(head) <= ACK_READ_LIMIT
        assert len(head) >= min(len(content), 64 + 2 + 40), "enough of it for a sha256sum line"


class TestAckInboxInMemory(AckInboxContract):
    def make(self, request: pytest.FixtureRequest) -> tuple[AckInbox, Upload]:
        inbox = MemoryAckInbox()
        return inbox, inbox.files.put


class TestAckInboxOnAzurite(AckInboxContract):
    def make(self, request: pytest.FixtureRequest) -> tuple[AckInbox, Upload]:
        settings = on_azurite.namespace(request)

        def upload(partner: str, name: str, data: bytes) -> None:
            on_azurite.upload(settings, partner, name, data)

        return on_azurite.ack_inbox(settings), upload
