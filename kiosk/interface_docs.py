"""The generated parts of ``docs/interface.md``: the command-line reference, written from the
``motcua`` argument parser, and the HTTP API reference, written from the OpenAPI document
(:mod:`kiosk.api.reference`). ``scripts/interface-docs`` writes them between marker lines; a
test fails when the file and the code disagree, so neither reference can drift."""

from __future__ import annotations

import argparse
import re


def generated_sections() -> dict[str, str]:
    """Section name -> Markdown, for every generated part of the file."""
    import kiosk.api  # noqa: F401 - registers every endpoint
    from kiosk.api.openapi import build_document
    from kiosk.api.reference import render as render_api
    from kiosk.cli import build_parser

    return {"CLI": render_cli(build_parser()), "HTTP API": render_api(build_document())}


def replace_section(markdown: str, name: str, section: str) -> str:
    """``markdown`` with the text between the markers of ``name`` replaced by ``section``.
    Raises ValueError when the markers are missing."""
    begin, end = markers(name)
    start = markdown.find(begin)
    stop = markdown.find(end)
    if start < 0 or stop < start:
        raise ValueError(f"markers {begin!r} … {end!r} not found")
    return f"{markdown[: start + len(begin)]}\n\n{section}\n{markdown[stop:]}"


def markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- BEGIN {name}: written by scripts/interface-docs, do not edit by hand -->",
        f"<!-- END {name} -->",
    )


def render_cli(parser: argparse.ArgumentParser) -> str:
    lines: list[str] = []
    for command, summary in _commands(parser):
        lines.append(f"**`{_usage(command)}`**" + (f": {summary}" if summary else ""))
        lines.append("")
        for action in command._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            about = _help(action)
            lines.append(f"- `{_argument(action)}`" + (f": {about}" if about else ""))
        if lines[-1] != "":
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _commands(parser: argparse.ArgumentParser) -> list[tuple[argparse.ArgumentParser, str]]:
    """Every leaf command with its one-line help, in the order the parser declares them."""
    found: list[tuple[argparse.ArgumentParser, str]] = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help or "" for a in action._choices_actions}
        for name, sub in action.choices.items():
            found += _commands(sub) or [(sub, helps.get(name, ""))]
    return found


def _usage(command: argparse.ArgumentParser) -> str:
    text = " ".join(command.format_usage().split())
    text = text.removeprefix("usage: ").replace(" [-h]", "")
    return re.sub(r"\s+", " ", text)


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return action.dest
    name = action.option_strings[-1]
    if action.nargs == 0:
        return name
    metavar = action.metavar or (
        "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper()
    )
    return f"{name} {metavar}"


def _help(action: argparse.Action) -> str:
    text = " ".join(str(action.help or "").split())
    if action.default not in (None, False, argparse.SUPPRESS) and "default" not in text:
        text = f"{text} (default {action.default})" if text else f"default {action.default}"
    return text
