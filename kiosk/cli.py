"""The ``motcua`` command (docs/interface.md). Bad input: one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from kiosk import cli_config, cli_ops
from kiosk.config import ConfigError
from kiosk.domain.errors import DomainError
from kiosk.services import SchemaError
from kiosk.settings import Settings, SettingsError


class CliError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"motcua: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="motcua", description="Queue tickets, kiosks and displays for a one-stop office."
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("init-db", help="migrate the schema to head and load config/ (idempotent)")

    serve = sub.add_parser("serve", help="production server: HTTP + Socket.IO")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on the one port (more than 1 needs MOTCUA_MESSAGE_QUEUE)",
    )

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    add = user.add_parser("add", help="add a user; the password is read from stdin")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["staff", "supervisor", "admin"])
    add.add_argument("--site", default=None, help="limit the user to one site")
    dis = user.add_parser("disable", help="disable a user at once (sessions and tokens)")
    dis.add_argument("name")

    device = sub.add_parser("device", help="manage devices").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    dadd = device.add_parser("add", help="register a device; prints its token on the last line")
    dadd.add_argument("name")
    dadd.add_argument("--kind", required=True, choices=["kiosk", "display", "counter", "printer"])
    dadd.add_argument("--site", required=True)
    dadd.add_argument("--display", type=int, default=None)
    dadd.add_argument("--counter", type=int, default=None)
    drevoke = device.add_parser(
        "revoke", help="at once: the device's token and every browser enrolled with it stop working"
    )
    drevoke.add_argument("name")
    dlink = device.add_parser(
        "link", help="print a single-use enrollment URL (valid 24 h) on the last line"
    )
    dlink.add_argument("name")

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    tissue = token.add_parser("issue", help="print a bearer token for a user on the last line")
    tissue.add_argument("name")

    agent = sub.add_parser("print-agent", help="run the print agent for one kiosk printer")
    agent.add_argument("--server", required=True)
    agent.add_argument(
        "--token",
        default=None,
        help="the printer device's token (default: MOTCUA_AGENT_TOKEN, or the file named by "
        "MOTCUA_AGENT_TOKEN_FILE: keeps it out of the process list)",
    )
    agent.add_argument("--printer", default=None, help="printer URI, e.g. usb:0x0416:0x5011")

    png = sub.add_parser(
        "escpos-png", help="draw an ESC/POS job file (e.g. a spooled ticket) as PNG"
    )
    png.add_argument("source", help="ESC/POS file, e.g. instance/spool/kiosk-hall-1/*.escpos")
    png.add_argument("target", help="PNG file to write, or - for standard output")
    png.add_argument("--width", type=int, default=None, help="paper width in dots (576, 384)")

    demo = sub.add_parser(
        "demo", help="create the demo accounts and devices (idempotent), print them"
    )
    demo.add_argument(
        "--history",
        type=int,
        metavar="DAYS",
        default=None,
        help="also fill DAYS past business days of every site with simulated tickets, calls, "
        "ratings and guide use (days that already have tickets are kept as they are)",
    )

    catalogue = sub.add_parser("catalogue", help="the procedure catalogue").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    check = catalogue.add_parser(
        "check",
        help="list the entries and facts staff must still check (unverified, past review, "
        "fee windows ending soon, suggestions outside the catalogue) in the live catalogue "
        "(the database's; procedures.yaml before the first init-db); the first line says which",
    )
    check.add_argument("--all", action="store_true", help="every finding of every entry")
    check.add_argument("--strict", action="store_true", help="exit 1 when anything needs attention")
    cli_ops.add_parsers(sub)
    cli_config.add_parsers(sub, _Parser)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(COMMANDS[args.command](args) or 0)
    except (
        ConfigError,
        SettingsError,
        SchemaError,
        CliError,
        cli_ops.OpsError,
        cli_config.ConfigCliError,
    ) as exc:
        return _fail(str(exc))
    except DomainError as exc:
        return _fail(exc.en or exc.message)
    except KeyboardInterrupt:
        return 130


def _fail(message: str) -> int:
    print(f"motcua: error: {message}", file=sys.stderr)
    return 1


def _core() -> Any:
    from kiosk import services

    return services.build()


def cmd_init_db(_args: argparse.Namespace) -> int:
    from kiosk import dbsetup

    core = _core()
    try:
        dbsetup.upgrade(core.db)
    except Exception as exc:
        raise CliError(f"cannot migrate {core.db.engine.url.render_as_string()}: {exc}") from None
    first_run = not dbsetup.seeded(core.db)
    created = dbsetup.load_config(core.db, core.config)  # files only into an empty database
    core.refresh_config(force=True)
    if not first_run:
        print(
            f"configuration version {core.config_version} kept (changed in /admin or by "
            "'motcua config import'; the files are not read again)"
        )
    sites = ", ".join(s.code for s in core.config.sites)
    _voice_clips(core)
    cli_ops.print_warnings(cli_ops.check_at_start(core.config, core.settings, "init-db"))
    print(
        f"database ready at {core.db.engine.url.render_as_string()}; sites: {sites}; "
        f"{created} counter rows added"
    )
    return 0


def _voice_clips(core: Any) -> None:
    from display.audio import ensure_clips
    from display.voice import VoiceError

    try:
        written = ensure_clips(core.config, core.settings.instance)
        if written:
            print(f"voice: {len(written)} announcement clips generated with espeak-ng")
    except VoiceError as exc:  # the server still runs; announcements are then silent
        print(f"motcua: warning: voice clips not generated: {exc}", file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    from kiosk.server import ServeError, serve

    if not 1 <= args.port <= 65535:
        raise CliError(f"--port {args.port}: out of range")
    cli_ops.hand_warnings_to_server(_check_environment("serve"))
    _prepare_metrics(args.port)
    try:
        return serve(args.host, args.port, workers=args.workers)
    except ServeError as exc:
        raise CliError(str(exc)) from None


def _prepare_metrics(port: int) -> None:
    from kiosk.metrics import prepare_multiprocess
    from kiosk.settings import Settings

    prepare_multiprocess(Settings.from_env().instance, port)


def _check_environment(command: str) -> list[str]:
    from kiosk.config import load_config
    from kiosk.preflight import live_configuration
    from kiosk.settings import Settings

    settings = Settings.from_env()
    if command == "serve":  # what the server will run with: the database's, once there is one
        config, _ = live_configuration(settings)
    else:  # init-db stores the files when the database holds no configuration yet
        config = load_config(settings.config_dir)
    return cli_ops.check_at_start(config, settings, command)


def _read_password() -> str:
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError("no password given on stdin")
    return password


def cmd_user(args: argparse.Namespace) -> int:
    from kiosk.domain import accounts
    from kiosk.domain.tickets import Actor, audit

    core = _core()
    core.require_schema()
    if args.action == "add":
        password = _read_password()
        with core.db.transaction() as s:
            user = accounts.add_user(
                s, core.config, core.clock.now(), args.name, args.role, password, args.site
            )
        print(
            f"user {user.username} added ({user.role}{', site ' + args.site if args.site else ''})"
        )
    else:
        with core.change() as tx:
            user = tx.take(accounts.disable_user(tx.s, args.name))
            audit(
                tx.s, "user_disabled", core.clock.now(), Actor(), username=user.username, via="cli"
            )
        print(f"user {args.name} disabled; their sessions and tokens no longer work")
    return 0


def cmd_device(args: argparse.Namespace) -> int:
    from kiosk.domain import accounts

    core = _core()
    core.require_schema()
    if args.action in DEVICE_ACTIONS:
        return DEVICE_ACTIONS[args.action](core, args)
    with core.db.transaction() as s:
        device, token = accounts.add_device(
            s,
            core.config,
            core.clock.now(),
            args.name,
            args.kind,
            args.site,
            args.display,
            args.counter,
        )
    print(
        f"device {device.name} ({device.kind}) added at site {device.site}; "
        f"enroll a browser once with /enroll?token=<token>"
    )
    print(token)
    return 0


def _device_revoke(core: Any, args: argparse.Namespace) -> int:
    from kiosk.domain import devices

    # The servers learn of it from the database (the change marks credentials changed): their
    # cached tokens go and the device's open connections are closed.
    with core.change() as tx:
        done = tx.take(devices.revoke_device(tx.s, core.config, core.clock.now(), args.name))
    print(
        f"device {args.name} revoked: {'its token and ' if done.token else ''}"
        f"{done.browsers} enrolled browser(s) no longer work, {done.links} unused link(s) "
        f"cancelled; 'motcua device link {args.name}' enrolls a replacement"
    )
    return 0


def _device_link(core: Any, args: argparse.Namespace) -> int:
    from kiosk.domain import devices

    with core.db.transaction() as s:
        link = devices.issue_link(s, core.config, core.clock.now(), args.name)
    base = core.settings.public_url
    if not base:
        base = "http://127.0.0.1:8000"
        print(
            f"motcua: warning: MOTCUA_PUBLIC_URL is not set; the link points at {base}",
            file=sys.stderr,
        )
    until = link.expires_at.astimezone(core.clock.tz) if link.expires_at else None
    print(
        f"enrollment link for {args.name} ({link.device.kind}, site {link.device.site}): "
        f"open it once in the device's browser; single use, valid until "
        f"{until:%Y-%m-%d %H:%M}"
    )
    print(f"{base.rstrip('/')}/enroll?code={link.secret}")
    return 0


DEVICE_ACTIONS = {"revoke": _device_revoke, "link": _device_link}


def cmd_token(args: argparse.Namespace) -> int:
    from kiosk.domain import accounts

    core = _core()
    core.require_schema()
    with core.db.transaction() as s:
        user = accounts.find_user(s, args.name)
        token, expires = accounts.issue_user_token(s, user, core.clock.now())
    print(f"token for {args.name}, valid until {expires.astimezone(core.clock.tz):%Y-%m-%d %H:%M}")
    print(token)
    return 0


def cmd_print_agent(args: argparse.Namespace) -> int:
    from kiosk.logs import configure
    from kiosk.settings import env
    from printer.agent import run_agent

    configure()

    token = args.token or env("MOTCUA_AGENT_TOKEN")
    if not token:
        raise CliError("give the printer device's token with --token or MOTCUA_AGENT_TOKEN_FILE")
    cli_ops.check_printer_at_start(args.printer or env("MOTCUA_AGENT_PRINTER"))
    return run_agent(args.server, token, args.printer)


def cmd_escpos_png(args: argparse.Namespace) -> int:
    from printer.decode import escpos_file_to_png

    if args.width is not None and not 8 <= args.width <= 4096:
        raise CliError("--width must be between 8 and 4096 dots")
    try:
        width, height = escpos_file_to_png(args.source, args.target, args.width)
    except OSError as exc:
        raise CliError(f"{exc.filename or args.source}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CliError(f"not an ESC/POS job we can draw: {exc}") from None
    if args.target != "-":
        print(f"{args.target}: {width} x {height} dots")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import create_demo

    if args.history is not None and not 1 <= args.history <= 3660:
        raise CliError("--history takes 1 to 3660 business days")
    core = _core()
    core.require_schema()
    lines = create_demo(core)  # first: the demo's own staff get their known password
    if args.history:
        from kiosk.demo_history import fill_history

        for line in fill_history(core, args.history):
            print(f"history: {line}", flush=True)
    for line in lines:
        print(line)
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.catalogue import CatalogueError
    from kiosk.catalogue.review import report, review
    from kiosk.preflight import live_catalogue

    settings = Settings.from_env()
    try:
        catalogue, where = live_catalogue(settings)  # the database's, else the file
    except CatalogueError as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    if catalogue is None:
        raise CliError(f"{where}: no procedures.yaml")
    print(f"catalogue: {where}")
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    for line in report(catalogue, today, everything=args.all):
        print(line)
    return 1 if args.strict and review(catalogue, today) else 0


COMMANDS = {
    "init-db": cmd_init_db,
    "serve": cmd_serve,
    "user": cmd_user,
    "device": cmd_device,
    "token": cmd_token,
    "print-agent": cmd_print_agent,
    "escpos-png": cmd_escpos_png,
    "demo": cmd_demo,
    "catalogue": cmd_catalogue,
    "config": cli_config.cmd_config,
    **cli_ops.COMMANDS,
}

if __name__ == "__main__":
    sys.exit(main())
