"""``motcua config export DIR`` and ``motcua config import DIR``: the live configuration to and
from files in the layout of ``config/``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


class ConfigCliError(Exception):
    pass


def add_parsers(sub: Any, parser_class: Any) -> None:
    config = sub.add_parser(
        "config", help="the live configuration (kept in the database after the first init-db)"
    ).add_subparsers(dest="action", required=True, parser_class=parser_class)
    export = config.add_parser(
        "export", help="write the live configuration in the file layout of config/"
    )
    export.add_argument("dir")
    imp = config.add_parser(
        "import",
        help="validate DIR completely, then replace the live configuration in one transaction "
        "(nothing changes on any error); recorded in the audit log",
    )
    imp.add_argument("dir")


def cmd_config(args: argparse.Namespace) -> int:
    from kiosk import services

    core = services.build()
    core.require_schema()
    if args.action == "export":
        return _export(core, Path(args.dir))
    return _import(core, Path(args.dir))


def _export(core: Any, target: Path) -> int:
    from kiosk.domain import configuration

    with core.db.read() as s:
        docs = configuration.read_documents(s)
        version = configuration.live_version(s)
    if not docs:
        raise ConfigCliError("the database holds no configuration: run 'motcua init-db' first")
    for rel, body in docs.items():
        path = target / rel
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
        except OSError as exc:
            raise ConfigCliError(f"{path}: {exc.strerror or exc}") from None
    print(f"configuration version {version} written to {target} ({len(docs)} files)")
    return 0


def _import(core: Any, source: Path) -> int:
    from kiosk.config import read_documents
    from kiosk.domain import site_setup
    from kiosk.domain.tickets import Actor

    if not source.is_dir():
        raise ConfigCliError(f"{source}: not a folder")
    docs = read_documents(source)
    # The files are validated as they are named on disk; stored under their relative paths.
    from kiosk.domain.configuration import build

    build(docs, source)  # raises ConfigError naming file, entry and field: nothing stored
    version = core.run(site_setup.replace_all, Actor(address="cli"), docs, str(source.resolve()))
    print(f"configuration version {version} imported from {source} ({len(docs)} files)")
    return 0
