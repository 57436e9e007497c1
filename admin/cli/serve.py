"""``piaojue serve``: gunicorn in production, Flask's development server for the demo."""

from __future__ import annotations

import os
import sys

import click

from admin.cli.common import sessions
from admin.config import at_rest_key, instance_secret
from ballot.schema import upgrade


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    """gunicorn run by this Python, so it is found without an activated virtualenv."""
    from gunicorn.config import KNOWN_SETTINGS

    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers),
               "--bind", f"{host}:{port}",
               "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s']
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # gunicorn releases with a control socket open one per user (~/.gunicorn), which a
        # second server on the machine would take over; piaojue has no use for it.
        command.append("--no-control-socket")
    return [*command, "admin.wsgi:app"]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535),
              default=lambda: int(os.environ.get("PORT", "5000")), show_default="$PORT or 5000")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--dev", is_flag=True, help="Flask's development server (the demo), not gunicorn")
def serve_command(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the public pages, the booth and the staff pages."""
    upgrade(sessions().kw["bind"])
    # Make the instance's secrets now, once, so the workers only ever read them.
    at_rest_key()
    if not os.environ.get("PIAOJUE_FLASK_SECRET"):
        instance_secret("flask.key")
    if dev:
        from admin.app import create_app

        create_app().run(host=host, port=port, debug=False, use_reloader=False)
        return
    command = gunicorn_command(host, port, workers)
    os.execv(command[0], command)
