"""The WSGI application of a server process: gunicorn imports it in each worker, after gevent
has patched the standard library. Also starts the process's background work."""

from __future__ import annotations

from kiosk import create_app
from kiosk.background import start_background

app = create_app()
start_background(app)
