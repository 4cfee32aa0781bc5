"""Load `procedures.yaml` into a `Catalogue`: read the YAML, check its shape (`schema`) and its
cross references (`checks`), then build the frozen values (`model`).

Every problem found is reported, one per line, as "<file>: <entry>: <field>: <what is wrong>".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kiosk.catalogue import model as m
from kiosk.catalogue.checks import problems as check_problems
from kiosk.catalogue.schema import (
    BilingualSpec,
    BranchSpec,
    ByAnswerSpec,
    FeeSpec,
    FileSpec,
    ProcedureSpec,
    TieredSpec,
    tiered_rule,
)

_MAX_REPORTED = 20


# --- reading -------------------------------------------------------------------------------------


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """Safe loader that rejects a key repeated in one mapping instead of keeping the last one."""


def _mapping_without_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> Any:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # unhashable key: the type checks will reject it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_duplicates,
)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise m.CatalogueError(f"{path}: cannot read the file: {exc}") from None
    return _parse(text, path)


def _parse(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a safe loader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise m.CatalogueError(f"{path}: invalid YAML: {exc.problem}{where}") from None
    except yaml.YAMLError as exc:
        raise m.CatalogueError(f"{path}: invalid YAML: {exc}") from None


# --- messages ------------------------------------------------------------------------------------


def _field_path(parts: Sequence[object]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Places:
    """Turns a location inside the file into "entry: field" text."""

    def __init__(self, raw: Any) -> None:
        procedures = raw.get("procedures") if isinstance(raw, dict) else None
        self._codes: list[object] = procedures if isinstance(procedures, list) else []

    def procedure(self, index: int) -> str:
        item = self._codes[index] if index < len(self._codes) else None
        code = item.get("code") if isinstance(item, dict) else None
        return (
            f"procedures[{index}] (code {code})"
            if isinstance(code, str)
            else f"procedures[{index}]"
        )

    def describe(self, loc: Sequence[object]) -> str:
        parts = [p for p in loc if p not in ("by_answer", "tiered_per_page", "[key]")]
        if len(parts) >= 2 and parts[0] == "procedures" and isinstance(parts[1], int):
            entry, rest = self.procedure(parts[1]), parts[2:]
        elif len(parts) >= 2 and parts[0] in ("counter_groups", "fee_exemption_groups", "fields"):
            entry, rest = f"{parts[0]}.{parts[1]}", parts[2:]
        elif parts and parts[0] == "catalogue":
            entry, rest = "catalogue", parts[1:]
        else:
            return _field_path(parts) or "(top level)"
        return f"{entry}: {_field_path(rest)}" if rest else entry


def _pydantic_message(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if (
        error["type"] == "string_type"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return f"must be a quoted string (YAML read {value!r} as a number)"
    if error["type"] == "missing":
        return "is missing"
    if error["type"] == "extra_forbidden":
        return "is not a known key (typo?)"
    return message


# --- conversion ----------------------------------------------------------------------------------


def _text(spec: BilingualSpec | None) -> m.Text | None:
    return None if spec is None else m.Text(spec.vi, spec.en)


def _fee(fee: FeeSpec, groups: dict[str, m.ExemptionGroup]) -> m.Fee:
    rule: m.FeeRule | None = None
    if isinstance(fee.rule, ByAnswerSpec):
        rule = m.ByAnswer(
            question=fee.rule.question,
            cases=tuple(
                m.FeeCase(c.answer, c.amount_vnd, c.valid_from, c.valid_to) for c in fee.rule.cases
            ),
            default_vnd=fee.rule.default_vnd,
            yes=m.Text(fee.rule.label_yes.vi, fee.rule.label_yes.en),
            no=m.Text(fee.rule.label_no.vi, fee.rule.label_no.en),
            inputs=tuple(fee.rule.inputs),
        )
    elif isinstance(fee.rule, TieredSpec):
        rule = tiered_rule(fee.rule)
    return m.Fee(
        kind=fee.kind,
        amount_vnd=fee.amount_vnd,
        rule=rule,
        unit=fee.unit,
        exemptions=tuple(groups[g] for g in fee.exemptions),
        basis=_text(fee.basis),
        note=_text(fee.note),
    )


def _branch(branch: BranchSpec) -> m.Branch:
    return m.Branch(
        add_documents=tuple(branch.add_documents),
        notes_vi=tuple(branch.notes_vi),
        notes_en=tuple(branch.notes_en),
        suggest_procedure=branch.suggest_procedure,
        stop=branch.stop,
    )


def _procedure(p: ProcedureSpec, groups: dict[str, m.ExemptionGroup]) -> m.Procedure:
    tl = p.time_limit
    return m.Procedure(
        code=p.code,
        alt_codes=tuple(p.alt_codes),
        name_vi=p.name_vi,
        name_en=p.name_en,
        aliases=tuple(p.aliases),
        field=p.field,
        level=p.level,
        online_class=p.online_class,
        channels=tuple(p.channels),
        steps=tuple(m.Step(s.vi, s.en) for s in p.steps),
        documents=tuple(
            m.Document(
                id=d.id,
                name_vi=d.name,
                name_en=d.name_en,
                original=d.original,
                copy=d.copy_,
                when=d.when,
                online=d.online,
                note_vi=d.note,
                note_en=d.note_en,
                case_en=d.case_en,
            )
            for d in p.documents
        ),
        present_id=p.present_id,
        time_limit=m.TimeLimit(tl.value, tl.unit, tl.cutoff_15h, tl.note, tl.note_en),
        fee=_fee(p.fee, groups),
        result=m.Text(p.result, p.result_en),
        legal_basis=tuple(m.LegalBasis(b.ref, b.en) for b in p.legal_basis),
        dvcqg_url=p.dvcqg_url,
        counter_group=p.counter_group,
        sources=tuple(
            m.Source(s.url, s.checked_on, tuple(s.covers), s.via, s.note) for s in p.sources
        ),
        last_checked=p.last_checked,
        unverified=tuple(m.Unverified(u.fact, u.note) for u in p.unverified),
        wizard=tuple(
            m.Question(q.id, q.ask_vi, q.ask_en, _branch(q.if_yes), _branch(q.if_no))
            for q in p.wizard
        ),
        verified_on=p.verified_on,
        confidence=p.confidence,
        notes_en=p.notes_en,
        vertical_sector=p.vertical_sector,
        handled_at=_text(p.handled_at),
    )


def _fail(path: Path, lines: list[str]) -> m.CatalogueError:
    shown = [f"{path}: {line}" for line in lines[:_MAX_REPORTED]]
    if len(lines) > _MAX_REPORTED:
        shown.append(f"{path}: … and {len(lines) - _MAX_REPORTED} more problems")
    return m.CatalogueError("\n".join(shown))


def load_catalogue(path: Path) -> m.Catalogue:
    """Read and validate the catalogue file at `path`.

    Raises CatalogueError naming the file, the entry (e.g. "procedures[3] (code 1.001193)") and
    the field of every problem found, one per line, the first on the first line.
    """
    return catalogue_from_text(None, path)


def catalogue_from_text(text: str | None, path: Path) -> m.Catalogue:
    """Validate catalogue YAML ``text`` (read from ``path`` when None) with every check of
    :func:`load_catalogue`; problems are reported under ``path``."""
    raw = _read(path) if text is None else _parse(text, path)
    places = _Places(raw)
    if not isinstance(raw, dict):
        raise _fail(
            path,
            [
                "(top level): expected a mapping with catalogue, fields, counter_groups, "
                "fee_exemption_groups and procedures"
            ],
        )
    try:
        data = FileSpec.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{places.describe(err['loc'])}: {_pydantic_message(err)}" for err in exc.errors()]
        raise _fail(path, lines) from None
    problems = list(check_problems(data, places.procedure))
    if problems:
        raise _fail(path, problems)
    groups = {
        key: m.ExemptionGroup(key, g.vi, g.en) for key, g in data.fee_exemption_groups.items()
    }
    meta = data.catalogue
    return m.Catalogue(
        source=str(path),
        meta=m.CatalogueMeta(
            version=meta.version,
            jurisdiction=meta.jurisdiction,
            currency=meta.currency,
            timezone=meta.timezone,
            dvcqg_url_template=meta.dvcqg_url_template,
            dvcqg_lookup_url=meta.dvcqg_lookup_url,
            checklist_footer=m.Text(meta.checklist_footer.vi, meta.checklist_footer.en),
            check_at_counter=m.Text(meta.check_at_counter.vi, meta.check_at_counter.en),
            review_after_days=meta.review_after_days,
            dvcqg_nganh_doc_url_template=meta.dvcqg_nganh_doc_url_template,
            featured=tuple(meta.featured),
        ),
        fields_en={name: spec.en for name, spec in data.fields.items()},
        counter_groups=tuple(
            m.CounterGroup(key, g.name_vi, g.name_en, g.example_prefix)
            for key, g in data.counter_groups.items()
        ),
        fee_exemption_groups=tuple(groups.values()),
        procedures=tuple(_procedure(p, groups) for p in data.procedures),
    )
