"""Page blueprints, one per audience."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from kiosk.views import accounts, admin, counter, guide, home, kiosk, rate, reports, track

    for module in (home, accounts, kiosk, counter, track, rate, guide, admin, reports):
        app.register_blueprint(module.bp)
