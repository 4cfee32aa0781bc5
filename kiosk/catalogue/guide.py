"""The online-submission guide's rules in plain words. Pure: no Flask, no database.

Where the citizen goes in person (which services of which sites handle a procedure), who may
use a procedure, what happens to each paper when filing online, and what the guide's first
screen offers. Usage counts and the remote-ticket rule, which need the database, live in
`kiosk.domain.guide_usage`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.catalogue.checklist import ChecklistDocument
from kiosk.catalogue.loader import load_catalogue
from kiosk.catalogue.model import Catalogue, Procedure
from kiosk.domain.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from kiosk.config import Config, Service, Site

PROCEDURES_FILE = "procedures.yaml"
# The counter group of online-submission help: a volunteer call is a ticket for the site's
# service of this group.
HELP_GROUP = "HOTRO"


def load_procedures(folder: Path) -> Catalogue | None:
    """The catalogue in ``folder/procedures.yaml``, or None when the folder has none (the guide
    then says that no procedures are configured). Raises CatalogueError for a bad file."""
    path = Path(folder) / PROCEDURES_FILE
    if not path.exists():
        return None
    return load_catalogue(path)


def fields(catalogue: Catalogue) -> list[tuple[str, int]]:
    """Each field with its number of procedures, in order of first appearance in the catalogue.

    A combined field ("Hộ tịch / Cư trú") counts once for each part, so the counts may add up to
    more than the number of procedures.
    """
    counts: dict[str, int] = {}
    for procedure in catalogue.procedures:
        for name in procedure.fields:
            counts[name] = counts.get(name, 0) + 1
    return list(counts.items())


# --- where to go -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A service that handles a procedure in person. ``remote``: a kiosk of another site may
    issue a ticket for it from the guide."""

    site: Site
    service: Service
    remote: bool


def volunteer_service(site: Site) -> Service | None:
    """The service a "call a volunteer" ticket is for at ``site``: its online-help service."""
    return next((s for s in site.services if s.counter_group == HELP_GROUP), None)


def needs_visit(procedure: Procedure) -> bool:
    """True when the citizen may have to go to a counter: not fully online and a counter
    channel exists."""
    return procedure.online_class != "toan_trinh" and "truc_tiep" in procedure.channels


def can_file_online(procedure: Procedure) -> bool:
    return "truc_tuyen" in procedure.channels and procedure.online_class != "truc_tiep"


def in_person_places(cfg: Config, procedure: Procedure, here: str | None) -> list[Place]:
    """Services whose counter group is the procedure's, in site order; none for a fully online
    procedure. ``here`` is the asking kiosk's site (its own services are never "remote")."""
    if not needs_visit(procedure):
        return []
    return [
        Place(site, service, remote=site.remote_tickets and site.code != here)
        for site in cfg.sites
        for service in site.services
        if service.counter_group == procedure.counter_group
    ]


def ticket_place(cfg: Config, procedure: Procedure, here: str, site: str | None) -> Place:
    """Where a guide ticket for ``procedure`` goes: the kiosk's own site if it serves it, else
    a site that takes remote tickets (``site`` picks one). Raises Forbidden."""
    places = [
        p
        for p in in_person_places(cfg, procedure, here)
        if (site is None or p.site.code == site) and (p.remote or p.site.code == here)
    ]
    if places:
        return next((p for p in places if p.site.code == here), places[0])
    raise Forbidden(
        "Không lấy được số từ xa cho thủ tục này.",
        en="No remote ticket can be issued for this procedure.",
    )


# --- the procedure in plain words ------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """Who may use the procedure: the wizard question whose other answer stops it."""

    question: str
    ask_vi: str
    ask_en: str
    answer: bool


def conditions(procedure: Procedure) -> list[Condition]:
    """Each wizard question with a stopping branch, with the answer the procedure needs."""
    found = []
    for q in procedure.wizard:
        if q.if_no.stop != q.if_yes.stop:
            found.append(Condition(q.id, q.ask_vi, q.ask_en, answer=q.if_no.stop))
    return found


def to_upload(
    procedure: Procedure, documents: Iterable[ChecklistDocument]
) -> list[ChecklistDocument]:
    """The papers to scan or photograph and upload when filing online, as the catalogue marks
    them (an e-form is filled in on the portal; an original for the counter is never
    "scanned"). None for a procedure that cannot be filed online."""
    if not can_file_online(procedure):
        return []
    return [d for d in documents if d.online == "upload"]


def home_procedures(catalogue: Catalogue, viewed: list[str], count: int) -> list[Procedure]:
    """What the guide's first screen offers: the most viewed, then the catalogue's featured
    procedures, then its order."""
    chosen: list[Procedure] = []
    for code in [*viewed, *catalogue.meta.featured]:
        procedure = catalogue.get(code)
        if procedure is not None and procedure not in chosen:
            chosen.append(procedure)
    for procedure in catalogue.procedures:
        if len(chosen) >= count:
            break
        if procedure not in chosen:
            chosen.append(procedure)
    return chosen[:count]


def must_find(catalogue: Catalogue | None, code: str) -> tuple[Catalogue, Procedure]:
    """The catalogue and the procedure ``code`` (or an alt code). Raises NotFound."""
    procedure = catalogue.get(code) if catalogue is not None else None
    if catalogue is None or procedure is None:
        raise NotFound(
            f"Không có thủ tục {code[:32]!r} trong danh mục.",
            en=f"No procedure {code[:32]!r} in the catalogue.",
            what="procedure",
        )
    return catalogue, procedure
