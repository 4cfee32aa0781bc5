"""The seed catalogue as raw YAML for the catalogue's unit tests, and small tools to change one
value of it and write it out again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "config" / "procedures.yaml"
SEED_TEXT = SEED.read_text(encoding="utf-8")
RAW = yaml.safe_load(SEED_TEXT)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write(tmp_path: Path, raw: dict[str, Any], name: str = "procedures.yaml") -> Path:
    path = tmp_path / name
    text = yaml.dump(raw, Dumper=DUMPER, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def proc(raw: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in raw["procedures"] if p["code"] == code)


def at(code: str) -> str:
    """How messages name the procedure with this code."""
    index = next(i for i, p in enumerate(RAW["procedures"]) if p["code"] == code)
    return f"procedures[{index}] (code {code})"


def change(
    code: str, *path: str | int, value: object = None, delete: bool = False
) -> Callable[[dict[str, Any]], None]:
    """A change to one value of a procedure, reached by keys and list indexes."""

    def apply(raw: dict[str, Any]) -> None:
        node: Any = proc(raw, code)
        for key in path[:-1]:
            node = node[key]
        if delete:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return apply
