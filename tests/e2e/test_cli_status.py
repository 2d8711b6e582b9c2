"""`fnix status`: one command that says whether the exchange is healthy, and exits 1 when a person is needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.storage.queue import QueueServiceClient
from fnix.cli import main

from function_app.config import Settings
from tests.events import body, cancellation

QUEUES = ("delivery-jobs", "delivery-jobs-poison", "claims-files", "claims-files-poison")


@pytest.fixture(autouse=True)
def empty_queues(on_azurite: Settings) -> Iterator[QueueServiceClient]:
    """Queue names are not namespaced: the session's one Azurite shares them, so this test starts and ends empty."""
    queues = QueueServiceClient.from_connection_string(on_azurite.storage_connection or "")
    _clear(queues)
    yield queues
    _clear(queues)


def _clear(queues: QueueServiceClient) -> None:
    existing = {q.name for q in queues.list_queues()}
    for name in QUEUES:
        if name in existing:
            queues.get_queue_client(name).clear_messages()


def status(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["status", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_quiet_exchange_needs_nobody_and_says_so(on_azurite: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = status(capsys)
    assert (code, report["needs_attention"]) == (0, [])
    assert {q["queue"] for q in report["queues"]} >= {"delivery-jobs", "delivery-jobs-poison"}  # type: ignore[attr-defined]
    assert main(["status"]) == 0
    captured = capsys.readouterr()
    assert "# feeds\npartner\tfeed\tsla\tlast_file" in captured.out and "nothing needs a person" in captured.err


def test_poison_messages_and_stuck_holds_need_a_person(
    tmp_path: Path, empty_queues: QueueServiceClient, capsys: pytest.CaptureFixture[str]
) -> None:
    held = tmp_path / "x.jsonl"  # a cancellation of a contract never seen, sent days ago: past its hold
    held.write_bytes(body(cancellation("VSC4700001")) + b"\n{not json\n")
    assert main(["replay", "--hub", "cancellations", str(held)]) == 0
    code, report = status(capsys)
    assert code == 1 and report["holds"] == {"expiring_within_12h": 0, "past_hold_not_rejected": 1}
    assert {"hub": "cancellations", "reason": "MALFORMED", "letters": 1} in report["dead_letters_today"]  # type: ignore[operator]
    assert main(["holds", "expire"]) == 0
    code, report = status(capsys)
    assert (code, report["needs_attention"]) == (0, [])

    poison = empty_queues.get_queue_client("delivery-jobs-poison")
    if "delivery-jobs-poison" not in {q.name for q in empty_queues.list_queues()}:
        poison.create_queue()
    poison.send_message("eyJwYXJ0bmVyIjogImFkbS0wMSJ9")
    code, report = status(capsys)
    assert code == 1 and report["needs_attention"] == ["1 message(s) in delivery-jobs-poison"]
    assert main(["status"]) == 1
    assert "needs a person: 1 message(s) in delivery-jobs-poison" in capsys.readouterr().out
