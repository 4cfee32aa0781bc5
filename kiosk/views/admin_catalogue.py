"""``/admin/procedures``: the catalogue with its sources and last-checked dates; one entry's
facts and dates edited as YAML and validated by the catalogue's own checks before it is
stored (a new configuration version, audit-logged, taken up at once)."""

from __future__ import annotations

from typing import Any

import yaml
from flask import abort, g, render_template, request, url_for

from kiosk.config import PROCEDURES_FILE
from kiosk.domain import access, configuration, site_setup
from kiosk.domain.clock import business_day
from kiosk.domain.errors import DomainError
from kiosk.services import ctx
from kiosk.views.accounts import staff_page
from kiosk.views.admin import bp
from kiosk.views.admin_setup import form_page


@bp.get("/admin/procedures")
@staff_page("admin")
def procedures() -> Any:
    app = ctx()
    return render_template(
        "admin/procedures.html",
        nav="admin",
        tab="procedures",
        catalogue=app.catalogue,
        today=business_day(app.clock),
    )


def _entries() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with ctx().db.read() as s:
        docs = configuration.read_documents(s)
    if PROCEDURES_FILE not in docs:
        abort(404)
    data = yaml.safe_load(docs[PROCEDURES_FILE])
    return data, data.get("procedures") or []


@bp.route("/admin/procedures/<code>", methods=["GET", "POST"])
@staff_page("admin")
def procedure(code: str) -> Any:
    if g.user.site is not None:
        abort(403)  # the catalogue is shared by every site
    data, entries = _entries()
    index = next((i for i, e in enumerate(entries) if str(e.get("code")) == code), None)
    if index is None:
        abort(404)

    def submit(form: dict[str, Any]) -> str:
        form["body"] = (request.form.get("body") or "").replace("\r\n", "\n")
        try:
            entry = yaml.safe_load(form["body"])
        except yaml.YAMLError as exc:
            raise DomainError(f"YAML không hợp lệ: {exc}", en=f"Invalid YAML: {exc}") from None
        if not isinstance(entry, dict):
            raise DomainError("Cần một mục (mapping).", en="Expected one entry (a mapping).")
        entries[index] = entry
        ctx().run(
            site_setup.replace_document,
            access.actor_of(g.user, request.remote_addr),
            PROCEDURES_FILE,
            configuration.dump(data),
        )
        return url_for("admin.procedures", saved=code)

    body = configuration.dump(entries[index])
    return form_page("admin/procedure.html", {"body": body}, submit, "procedures", code=code)
