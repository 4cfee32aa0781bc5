"""The live configuration, kept in the database as the documents of the config folder.

The documents are the files of ``config/`` (``motcua.yaml``, ``sites/*.yaml``,
``procedures.yaml``) as ``{relative path: YAML text}``. Every change builds the complete new
set of documents, validates it with the one loader the files go through
(:func:`kiosk.config.config_from_documents` and the catalogue's own checks), then stores the
changed documents with a new version number and an audit entry in the caller's transaction.
Nothing is stored when validation fails. The use case returns :class:`ConfigChanged`; every
process then builds its frozen :class:`~kiosk.config.Config` from the new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kiosk.catalogue import Catalogue, CatalogueError
from kiosk.catalogue.loader import catalogue_from_text
from kiosk.config import PROCEDURES_FILE, SITES_DIR, Config, ConfigError, config_from_documents
from kiosk.domain.errors import InvalidInput
from kiosk.domain.events import ConfigChanged
from kiosk.domain.tickets import Actor, audit
from kiosk.models import ConfigDocument, ConfigVersion, CounterState
from kiosk.storage import lock_for_changes

Documents = Mapping[str, str]


class ConfigInvalid(InvalidInput):
    """The configuration a change would produce does not validate (nothing was stored)."""

    code = "invalid_config"


@dataclass(frozen=True)
class Built:
    config: Config
    catalogue: Catalogue | None


def build(docs: Documents, folder: str | Path) -> Built:
    """Validate every document; raise ConfigError (one line: file, entry, field)."""
    config = config_from_documents(docs, folder)
    catalogue = None
    if PROCEDURES_FILE in docs:
        try:
            catalogue = catalogue_from_text(docs[PROCEDURES_FILE], Path(folder) / PROCEDURES_FILE)
        except CatalogueError as exc:
            raise ConfigError(str(exc).splitlines()[0]) from None
    return Built(config, catalogue)


def live_version(s: Session) -> int | None:
    """The live configuration's version, None when the database holds none yet."""
    return s.scalar(select(func.max(ConfigVersion.version)))


def read_documents(s: Session) -> dict[str, str]:
    """The live documents. In a transaction that changes them, call :func:`lock` first."""
    return {d.path: d.body for d in s.scalars(select(ConfigDocument).order_by(ConfigDocument.path))}


def lock(s: Session) -> None:
    """Serialise changes of the configuration: two admins saving at once must not lose one
    change or collide on the version number. SQLite's ``BEGIN IMMEDIATE`` already holds the
    one writer lock; PostgreSQL takes a table lock that plain reads do not wait for."""
    lock_for_changes(s, "config_versions")


def seed(s: Session, at: datetime, docs: Documents, folder: str | Path) -> int | None:
    """Store ``docs`` as version 1 when the database holds no configuration yet (first run);
    never touches a configuration already there. Returns the version stored, or None."""
    lock(s)
    if live_version(s) is not None:
        return None
    build(docs, folder)
    _store(s, at, None, docs, "config_loaded")
    return 1


def save(
    s: Session,
    at: datetime,
    actor: Actor,
    docs: Documents,
    folder: str | Path,
    action: str,
    **detail: Any,
) -> tuple[Built, ConfigChanged]:
    """Validate ``docs`` (the complete new configuration) and store it as the next version,
    with an audit entry, in the caller's transaction. Raises ConfigInvalid naming the file,
    entry and field; nothing is stored then."""
    lock(s)
    try:
        built = build(docs, folder)
    except ConfigError as exc:
        message = str(exc)
        raise ConfigInvalid(message, en=message) from None
    version = _store(s, at, actor.user_id, docs, action)
    ensure_counter_rows(s, built.config)
    audit(s, action, at, actor, version=version, **detail)
    return built, ConfigChanged(version)


def _store(s: Session, at: datetime, user_id: int | None, docs: Documents, action: str) -> int:
    version = (live_version(s) or 0) + 1
    old = read_documents(s)
    for path, body in docs.items():
        if old.get(path) != body:
            s.merge(ConfigDocument(path=path, body=body, version=version))
    gone = set(old) - set(docs)
    if gone:
        s.execute(delete(ConfigDocument).where(ConfigDocument.path.in_(gone)))
    s.add(ConfigVersion(version=version, at=at, action=action, user_id=user_id))
    s.flush()  # the session does not autoflush: later reads in this transaction see it
    return version


def ensure_counter_rows(s: Session, cfg: Config) -> int:
    """One runtime row per configured counter (rows of counters that left are kept)."""
    existing = set(s.execute(select(CounterState.site, CounterState.number)).all())
    created = 0
    for site in cfg.sites:
        for c in site.counters:
            if (site.code, c.number) not in existing:
                s.add(
                    CounterState(site=site.code, number=c.number, status="closed", normal_streak=0)
                )
                created += 1
    s.flush()
    return created


# --- editing one site's document ------------------------------------------------------------


def site_document(docs: Documents, site: str) -> tuple[str, dict[str, Any]]:
    """The path and parsed content of ``site``'s document; raises NotFound."""
    from kiosk.domain.errors import NotFound

    for path in sorted(docs):
        if path.startswith(f"{SITES_DIR}/"):
            data = yaml.safe_load(docs[path])
            if isinstance(data, dict) and data.get("code") == site:
                return path, data
    raise NotFound(f"Không có điểm tiếp nhận {site!r}.", en=f"No site {site!r}.", what="site")


def dump(data: Any) -> str:
    """YAML as the files are written: keys in their order, Vietnamese as is."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def with_document(docs: Documents, path: str, data: Any) -> dict[str, str]:
    out = dict(docs)
    out[path] = dump(data)
    return out


def history(s: Session, limit: int = 20) -> list[ConfigVersion]:
    """The latest configuration versions, newest first."""
    return list(
        s.scalars(select(ConfigVersion).order_by(ConfigVersion.version.desc()).limit(limit))
    )
