"""The landing page: links to every surface of the system."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from kiosk.services import ctx

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> Any:
    return render_template("web/index.html", cfg=ctx().config)
