"""`fnix`: the operator's command line, over the same services the Functions triggers call."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from fnix import __version__
from fnix import commands as cli_commands
from fnix import completion as cli_completion
from fnix import delivery as cli_delivery
from fnix import publish as cli_publish
from fnix import reconcile as cli_reconcile
from fnix import retention as cli_retention
from fnix import serve as cli_serve
from fnix import status as cli_status
from fnix.command_tree import CommandParser
from fnix.dev.azurite import AzuriteError
from fnix.output import add_json_option

USAGE_ERROR = 2


def build_parser() -> CommandParser:
    parser = CommandParser(prog="fnix", description="F&I partner exchange: operate and demo it.",
                           epilog="Results go to stdout, progress and diagnostics to stderr. Exit 0 done, "
                           "1 something needs a person, 2 misuse, 130 interrupted.")
    parser.add_argument("--version", action="version", version=f"fnix {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    replay = commands.add_parser("replay", help="decide a file of event bodies, one per line, like the trigger")
    replay.add_argument("--hub", required=True, choices=cli_commands.HUBS)
    replay.add_argument("file", metavar="FILE", help="JSON lines: one message body per line, blank lines skipped")
    replay.add_argument("--feedback-out", metavar="PATH", help="write the feedback CloudEvents here, one per line")
    replay.add_argument("--batch-size", type=cli_commands.whole_number, default=100, metavar="N",
                        help="events per batch (1-1000)")
    add_json_option(replay)
    replay.set_defaults(run=cli_commands.replay)

    demo = commands.add_parser(
        "demo", help="generate a realistic business day and run it through the functions",
        description="Generates a realistic business day and runs it through the functions; then, at the desk, "
        "dealers and a lender use the API over HTTP (a quote next to its cancellation's refund, a state rule "
        "capping a fee, a lender's repossession, a refund overdue that reconciliation reports and resolves once "
        "paid); then the night's partner files, the day's reconciliation with three files tampered with, and an "
        "administrator's claims file.")
    demo.add_argument("--contracts", type=cli_commands.whole_number, default=3000, metavar="N",
                      help="contracts in the day, 10-200000 (default 3000)")
    demo.add_argument("--date", metavar="YYYY-MM-DD", help="business date (default: today in BUSINESS_TIMEZONE)")
    demo.add_argument("--seed", type=cli_commands.whole_number,
                      help="random seed (default: from the clock, so each run is a new day)")
    demo.add_argument("--out", metavar="DIR", default="out/demo", help="where the day's event files are written")
    demo.set_defaults(run=cli_commands.demo)

    letters = commands.add_parser("deadletters", help="inspect and replay rejected input")
    letter_commands = letters.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = letter_commands.add_parser("list", help="list dead letters")
    listing.add_argument("--hub", choices=cli_commands.HUBS, help="one hub (default: every hub)")
    listing.add_argument("--date", metavar="YYYY-MM-DD", help="one business date")
    add_json_option(listing)
    listing.set_defaults(run=cli_commands.deadletters_list)
    show = letter_commands.add_parser("show", help="print one dead letter")
    show.add_argument("name", metavar="NAME", help="blob name as `list` prints it")
    show.set_defaults(run=cli_commands.deadletters_show)
    again = letter_commands.add_parser("replay", help="decide a dead letter again, setting its first answer aside")
    again.add_argument("names", metavar="NAME", nargs="+")
    again.add_argument("--force", action="store_true", help="replay even if it was replayed before")
    again.add_argument("--feedback-out", metavar="PATH")
    add_json_option(again)
    again.set_defaults(run=cli_commands.deadletters_replay)

    holds = commands.add_parser("holds", help="cancellations waiting for their contract")
    hold_commands = holds.add_subparsers(dest="action", metavar="ACTION", required=True)
    expire = hold_commands.add_parser("expire", help="reject held requests older than the hold period (the timer)")
    expire.add_argument("--now", metavar="ISO-TIME", help="pretend it is this UTC time (default: now)")
    expire.add_argument("--feedback-out", metavar="PATH")
    add_json_option(expire)
    expire.set_defaults(run=cli_commands.holds_expire)
    cli_delivery.add_commands(commands)
    cli_publish.add_commands(commands)
    cli_reconcile.add_commands(commands)
    cli_retention.add_commands(commands)
    cli_serve.add_commands(commands)
    cli_status.add_commands(commands)
    cli_completion.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except cli_commands.UsageError as exc:
        print(f"fnix {args.command}: {exc}", file=sys.stderr)
        print(f"Run `fnix {args.command} --help` for usage.", file=sys.stderr)
        return USAGE_ERROR
    except cli_commands.ConfigError as exc:
        print(f"fnix: configuration error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except ValueError as exc:
        from function_app.adapters.kernel.partner_config_file import PartnerConfigError

        if not isinstance(exc, PartnerConfigError):
            raise
        print(f"fnix: partner configuration error: {exc}\nCheck it with `fnix partners check`.", file=sys.stderr)
        return USAGE_ERROR
    except AzuriteError as exc:  # no storage setting, and no local emulator to stand in for it
        print(f"fnix: AzureWebJobsStorage is not set and the local Azurite could not start: {exc}\n"
              "Set AzureWebJobsStorage to a storage account, or install Node.js 20+ (./dev prepares Azurite).",
              file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("fnix: interrupted; every finished batch is recorded, rerun to continue", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
