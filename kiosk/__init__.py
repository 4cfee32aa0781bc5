"""motcua: queue tickets, kiosks, hall displays and the online-submission guide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings (``instance``, ``database_url``, ``config``,
    ``message_queue``, ``secret_key``, ``timezone``, ``printer``, ``public_url``), plus ``clock``
    for tests."""
    import display
    from display.announce_hook import decorate_call
    from kiosk import api, errors, health, metrics, web
    from kiosk.auth import TokenCache
    from kiosk.context import Motcua
    from kiosk.core import Core
    from kiosk.domain.presence import Presence
    from kiosk.domain.queue import Estimator
    from kiosk.guard import guard
    from kiosk.realtime import Realtime, async_mode
    from kiosk.realtime.live import LiveNamespace

    overrides = dict(config or {})
    testing = bool(overrides.pop("testing", False))
    core = Core.from_env(**overrides)
    settings, cfg, clock = core.settings, core.config, core.clock

    app = Flask(__name__, instance_path=str(settings.instance), instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind TLS (the public URL says so) cookies never travel in clear.
        SESSION_COOKIE_SECURE=(settings.public_url or "").startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    db = core.db
    realtime = Realtime(app, settings, decorate_call(cfg), cfg.display_ids)
    app.extensions["motcua"] = Motcua(
        settings,
        cfg,
        db,
        clock,
        Estimator(cfg, clock),
        realtime,
        catalogue=core.catalogue,
        tokens=TokenCache(db, clock),
        presence=Presence(),
    )
    display.init_app(app, realtime.socketio)
    realtime.socketio.on_namespace(LiveNamespace("/live"))
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    web.init_app(app)
    # Outermost, around Flask and Engine.IO alike.
    app.wsgi_app = guard(  # type: ignore[method-assign]
        app.wsgi_app,
        trusted_proxies=settings.trusted_proxies,
        per_address=settings.connections_per_address,
        gevent=async_mode() == "gevent",
    )
    return app
