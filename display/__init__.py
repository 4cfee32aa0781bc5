"""Hall displays: the Socket.IO namespace, the pages, and the announcement builder.

Kept import-light: ``display.announce`` is pure and must not pull in the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from flask_socketio import SocketIO


def init_app(app: Flask, socketio: SocketIO) -> None:
    from display import audio, pages
    from display.namespace import DisplayNamespace

    socketio.on_namespace(DisplayNamespace("/display"))
    app.register_blueprint(audio.bp)
    app.register_blueprint(pages.bp)
