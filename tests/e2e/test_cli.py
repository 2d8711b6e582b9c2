"""`fnix` as an operator uses it: exit codes, files written, messages that say what to do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fnix.cli import main

from tests.events import body, cancellation, contract

ROOT = Path(__file__).resolve().parents[2]


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n\n")
    return path


@pytest.mark.usefixtures("on_azurite")
def test_replay_writes_one_feedback_per_line_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_lines(tmp_path / "c.jsonl", [body(contract("VSC4000001")), b"", b"{not json", body(contract("X"))])
    out = tmp_path / "out" / "feedback.jsonl"
    code = main(["replay", "--hub", "contracts", str(events), "--feedback-out", str(out), "--batch-size", "2"])
    assert code == 0
    feedback = [json.loads(line) for line in out.read_text().splitlines()]
    assert [f["data"]["status"] for f in feedback] == ["ACCEPTED", "REJECTED", "REJECTED"]
    captured = capsys.readouterr()
    assert "accepted" in captured.out and "MALFORMED" in captured.out and "SCHEMA_INVALID" in captured.out
    assert "accepted" not in captured.err, "the summary is the result: stdout, not stderr"


@pytest.mark.usefixtures("on_azurite")
def test_replaying_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    events = write_lines(tmp_path / "c.jsonl", [body(contract(f"VSC41{i:05d}")) for i in range(20)])
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    assert main(["replay", "--hub", "contracts", str(events), "--feedback-out", str(first)]) == 0
    assert main(["replay", "--hub", "contracts", str(events), "--feedback-out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.usefixtures("on_azurite")
def test_dead_letters_can_be_listed_shown_and_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cancel = write_lines(tmp_path / "x.jsonl", [body(cancellation("VSC4200001", dealer="D999"))])
    assert main(["replay", "--hub", "cancellations", str(cancel)]) == 0
    assert main(["replay", "--hub", "contracts", str(write_lines(tmp_path / "c.jsonl",
                                                                  [body(contract("VSC4200001"))]))]) == 0
    capsys.readouterr()
    assert main(["deadletters", "list", "--hub", "cancellations"]) == 0
    header, *listed = capsys.readouterr().out.strip().splitlines()
    assert header == "name\treasons\tevent_id"
    assert len(listed) == 1 and "NOT_AUTHORIZED" in listed[0]
    name = listed[0].split("\t")[0]
    assert main(["deadletters", "show", name]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["reasons"][0]["code"] == "NOT_AUTHORIZED" and shown["replay_outcome"] is None
    assert main(["deadletters", "replay", name]) == 0
    capsys.readouterr()
    assert main(["deadletters", "replay", name]) == 2, "a refused second replay is misuse, not success"
    refused = capsys.readouterr()
    assert "replayed before" in refused.err and "--force" in refused.err and refused.out == ""
    assert main(["deadletters", "replay", name, "--force", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["replayed"][0]["name"] == name


@pytest.mark.usefixtures("on_azurite")
def test_held_requests_expire_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--hub", "cancellations", str(write_lines(tmp_path / "x.jsonl",
                                                                     [body(cancellation("VSC4300001"))]))]) == 0
    out = tmp_path / "fb.jsonl"
    assert main(["holds", "expire", "--now", "2026-03-06T00:00:00+00:00", "--feedback-out", str(out)]) == 0
    assert json.loads(out.read_text())["data"]["reasons"][0]["code"] == "CONTRACT_NOT_FOUND"


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["replay", "--hub", "contracts", "/no/such/file.jsonl"], "no such file"),
        (["replay", "--hub", "contracts", ".", "--batch-size", "1"], "is a directory"),
        (["replay", "--hub", "contracts", "pyproject.toml", "--batch-size", "0"], "--batch-size"),
        (["deadletters", "list", "--hub", "contracts", "--date", "yesterday"], "a date like"),
        (["holds", "expire", "--now", "2026-03-06T00:00:00"], "offset"),
    ],
)
@pytest.mark.usefixtures("on_azurite")
def test_misuse_says_what_to_do_and_exits_2(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert hint in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["replay", "--hub", "claims", "f"], ["nonsense"]])
def test_argument_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


def test_without_storage_setting_the_cli_starts_a_local_azurite_and_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AzureWebJobsStorage")}
    fnix = Path(sys.executable).parent / "fnix"
    result = subprocess.run([str(fnix), "deadletters", "list"], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "started a project-local Azurite on 127.0.0.1" in result.stderr


@pytest.mark.usefixtures("on_azurite")
def test_dead_letters_of_every_hub_are_listed_and_scriptable(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "--hub", "contracts", str(write_lines(tmp_path / "c.jsonl", [b"{not json"]))]) == 0
    assert main(["replay", "--hub", "policy-admin-cdc", str(write_lines(tmp_path / "p.jsonl", [b"{cdc"]))]) == 0
    capsys.readouterr()
    assert main(["deadletters", "list", "--hub", "policy-admin-cdc", "--json"]) == 0
    [letter] = json.loads(capsys.readouterr().out)
    assert letter["hub"] == "policy-admin-cdc" and letter["name"].startswith("policy-admin-cdc/")
    assert main(["deadletters", "list", "--json"]) == 0
    assert {row["hub"] for row in json.loads(capsys.readouterr().out)} == {"contracts", "policy-admin-cdc"}


@pytest.mark.usefixtures("on_azurite")
def test_summaries_are_json_on_stdout_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_lines(tmp_path / "c.jsonl", [body(contract("VSC4400001")), b"{not json"])
    assert main(["replay", "--hub", "contracts", str(events), "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert (summary["accepted"], summary["rejected"], summary["reasons"]) == (1, 1, {"MALFORMED": 1})
    assert main(["holds", "expire", "--now", "2026-03-06T00:00:00+00:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["now"] == "2026-03-06T00:00:00+00:00"


def test_version_is_printed_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("fnix ")


def test_bash_completion_is_written_from_the_parser_and_completes(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "fnix.bash"
    script.write_text(capsys.readouterr().out)
    probe = f'source {script}; COMP_WORDS=(fnix files re); COMP_CWORD=2; _fnix; echo "${{COMPREPLY[@]}}"; ' \
            'COMP_WORDS=(fnix deliver --dr); COMP_CWORD=2; _fnix; echo "${COMPREPLY[@]}"'
    completed = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30, check=True)
    assert completed.stdout.splitlines() == ["resend", "--dry-run"]


def test_runbook_commands_are_commands_of_the_cli() -> None:
    from fnix.cli import build_parser

    runbook = (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
    parser = build_parser()
    lines = re.findall(r"^(fnix [^#\n]*?)(?:\s+#.*)?$", runbook.replace("\\\n", " "), re.M)
    assert len(lines) >= 10 and any(line.startswith("fnix files resend") for line in lines)
    for line in lines:
        argv = [a.strip('"') for a in re.findall(r'"[^"]*"|\S+', line.split(" | ", 1)[0])][1:]
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            pytest.fail(f"the runbook's `{line}` is not a valid fnix command line ({exc})")
