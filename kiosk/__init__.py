"""motcua: queue tickets, kiosks, hall displays and the online-submission guide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings (``instance``, ``database_url``, ``config``,
    ``message_queue``, ``secret_key``, ``timezone``, ``printer``, ``public_url``, …), plus
    ``clock`` and ``testing`` for tests."""
    import display
    from display.announce_hook import decorate_call
    from kiosk import api, errors, health, inputs, metrics, services, throttle, web
    from kiosk.auth import TokenCache
    from kiosk.domain.presence import Presence
    from kiosk.domain.queue import Estimator
    from kiosk.guard import guard
    from kiosk.realtime import Realtime, async_mode
    from kiosk.realtime.live import LiveNamespace

    overrides = dict(config or {})
    testing = bool(overrides.pop("testing", False))
    app_services = services.build(**overrides)  # settings, configuration, database, clock
    settings, cfg = app_services.settings, app_services.config

    app = Flask(__name__, instance_path=str(settings.instance), instance_relative_config=True)
    inputs.init_app(app)  # first: URL converters, strict JSON, NUL refusal
    _configure_flask(app, settings, testing)
    throttle.init_app(app, settings.message_queue, settings.channel)

    # The web side of the services: estimates, credentials, Socket.IO, displays connected.
    app_services.estimator = Estimator(cfg, app_services.clock)
    app_services.tokens = TokenCache(app_services.db, app_services.clock)
    app_services.presence = Presence()
    app_services.realtime = Realtime(
        app,
        settings,
        decorate_call(lambda: app_services.config),
        lambda site: app_services.config.display_ids(site),
    )
    app.extensions["motcua"] = app_services
    # Every request sees the live configuration: another process (or `motcua config import`)
    # may have stored a new version.
    app.before_request(app_services.refresh_config)

    # Socket.IO namespaces, one per audience.
    display.init_app(app, app_services.realtime.socketio)
    app_services.realtime.socketio.on_namespace(LiveNamespace("/live"))

    # HTTP: errors, the API, health and metrics, the pages.
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    metrics.init_app(app)
    web.init_app(app)

    # Outermost, around Flask and Engine.IO alike: real client address, connection cap.
    app.wsgi_app = guard(  # type: ignore[method-assign]
        app.wsgi_app,
        trusted_proxies=settings.trusted_proxies,
        per_address=settings.connections_per_address,
        gevent=async_mode() == "gevent",
    )
    return app


def _configure_flask(app: Flask, settings: Any, testing: bool) -> None:
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
