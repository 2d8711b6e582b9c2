"""Acknowledgements in the forms partners' tools write: the digest alone, `sha256sum` (run here, as partners
run it, in text and binary mode), and JSON; CRLF or LF; recorded ACKNOWLEDGED or ACK_MISMATCH."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from function_app.adapters.delivery.memory import MemoryDeliveryStates
from function_app.domain.delivery.acks import claimed_sha256
from function_app.domain.delivery.statuses import AckOutcome
from function_app.service_layer.delivery.access import AckInbox, Acknowledgements
from function_app.service_layer.delivery.ports import DeliveredFile, FeedState
from tests.partners import DAY, DEFAULT_PARTNERS, NOON

FILE = "adm-01_nightly_20260302_001.txt"
DATA = b"H adm-01 nightly\nD one\nT 1\n"
DIGEST = hashlib.sha256(DATA).hexdigest()
OTHER = hashlib.sha256(b"other bytes").hexdigest()


def sha256sum(directory: Path, *options: str, name: str = FILE) -> bytes:
    """What the partner's coreutils `sha256sum` prints for the file it downloaded."""
    (directory / name).write_bytes(DATA)
    return subprocess.run(["sha256sum", *options, name], cwd=directory, capture_output=True, check=True).stdout


@pytest.mark.parametrize("options", [(), ("--binary",), ("--text",)], ids=["default", "binary", "text"])
def test_what_sha256sum_prints_is_an_acknowledgement(tmp_path: Path, options: tuple[str, ...]) -> None:
    printed = sha256sum(tmp_path, *options)
    assert printed.startswith(DIGEST.encode())
    assert claimed_sha256(printed, FILE) == (DIGEST, "")
    assert claimed_sha256(printed.replace(b"\n", b"\r\n"), FILE) == (DIGEST, "")


def test_sha256sum_of_a_name_it_escapes_reads_back(tmp_path: Path) -> None:
    printed = sha256sum(tmp_path, name="adm\\01.txt")
    assert printed.startswith(b"\\")  # GNU marks a line whose name it escaped
    assert claimed_sha256(printed, "adm\\01.txt") == (DIGEST, "")


@pytest.mark.parametrize(
    "content",
    [
        DIGEST.encode(), DIGEST.upper().encode(), f"  {DIGEST}\r\n".encode(), b"\xef\xbb\xbf" + DIGEST.encode(),
        f"{DIGEST}  {FILE}\n".encode(), f"{DIGEST} *{FILE}\r\n".encode(),
        f"{DIGEST.upper()}  ./outbound/nightly/2026/03/02/{FILE}\n".encode(),  # run where the path was mirrored
        json.dumps({"sha256": DIGEST}).encode(), json.dumps({"sha256": DIGEST.upper(), "file": FILE}).encode(),
        json.dumps({"sha256": DIGEST}, indent=2).replace("\n", "\r\n").encode() + b"\r\n",
    ],
    ids=["digest", "upper", "crlf-spaces", "bom", "sha256sum-text", "sha256sum-binary-crlf", "sha256sum-path",
         "json", "json-more-keys", "json-pretty-crlf"],
)
def test_every_form_gives_the_digest(content: bytes) -> None:
    assert claimed_sha256(content, FILE) == (DIGEST, "")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (f"{DIGEST}  other_file.txt\n".encode(), "names another file than " + FILE),
        (f"{DIGEST}  {FILE}.manifest.json\n".encode(), "names another file"),
        (f"{DIGEST}\t{FILE}\n".encode(), "not a sha256"),
        (f"SHA256 ({FILE}) = {DIGEST}\n".encode(), "not a sha256"),
        (b'{"sha256": 12}', 'holds no "sha256"'),
        (b'{"sha-256": "' + DIGEST.encode() + b'"}', 'holds no "sha256"'),
        (b'{"sha256": "' + DIGEST.encode(), "not JSON"),
        (b'["' + DIGEST.encode() + b'"]', "not a sha256"),
        (b"\xff" + DIGEST.encode(), "not UTF-8"),
    ],
    ids=["other-name", "manifest-name", "tab", "bsd-tag", "json-number", "json-key", "json-cut", "json-list",
         "not-utf8"],
)
def test_anything_else_says_why_without_echoing_the_content(content: bytes, why: str) -> None:
    digest, note = claimed_sha256(content, FILE)
    assert digest is None and why in note
    assert "other_file" not in note


class Inbox(AckInbox):
    def __init__(self, content: bytes) -> None:
        self.content = content

    def acks(self, partner: str) -> Iterator[tuple[str, bytes]]:
        return iter([(f"inbound/ack/{FILE}.ack", self.content)] if partner == "adm-01" else [])


@pytest.mark.parametrize(("content", "status"), [
    (f"{DIGEST}  {FILE}\r\n".encode(), AckOutcome.ACKNOWLEDGED),
    (json.dumps({"sha256": DIGEST}).encode(), AckOutcome.ACKNOWLEDGED),
    (f"{OTHER}  {FILE}\n".encode(), AckOutcome.ACK_MISMATCH),
    (json.dumps({"sha256": OTHER}).encode(), AckOutcome.ACK_MISMATCH),
])
def test_the_forms_are_recorded_against_the_delivered_file(content: bytes, status: str) -> None:
    states = MemoryDeliveryStates()
    delivered = DeliveredFile("adm-01", "nightly", DAY, 1, f"outbound/nightly/2026/03/02/{FILE}", 1, len(DATA),
                              DIGEST, {}, NOON)
    assert states.write("adm-01", "nightly", FeedState(), None, delivered) is not None
    [result] = Acknowledgements(states, Inbox(content), DEFAULT_PARTNERS).run("adm-01")
    assert (result.status, result.changed) == (status, True)
    assert [f.status for f in states.files("adm-01")] == [status]


def test_an_ack_cut_short_inside_a_character_still_reads() -> None:
    """The exchange reads an ack only up to a limit, which may fall inside a multi-byte character."""
    content = f"{DIGEST}  {FILE}\n# Prü".encode()
    assert claimed_sha256(content[:-1], FILE) == (DIGEST, "")
    assert claimed_sha256(b"\xff" + content, FILE)[1] == "ack content is not UTF-8 text"
