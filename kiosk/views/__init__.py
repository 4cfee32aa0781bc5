"""Page blueprints, one per audience."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # More /admin pages, on the admin blueprint: imported before it is registered.
    from kiosk.views import (  # noqa: F401
        accounts,
        admin,
        admin_catalogue,
        admin_people,
        admin_settings,
        admin_setup,
        counter,
        guide,
        home,
        kiosk,
        rate,
        reports,
        track,
    )

    for module in (home, accounts, kiosk, counter, track, rate, guide, admin, reports):
        app.register_blueprint(module.bp)
