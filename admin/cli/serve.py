"""``piaojue serve``: gunicorn in production, Flask's development server for the demo."""

from __future__ import annotations

import os

import click

from admin.cli.common import sessions
from ballot.schema import upgrade


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535),
              default=lambda: int(os.environ.get("PORT", "5000")), show_default="$PORT or 5000")
@click.option("--workers", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--dev", is_flag=True, help="Flask's development server (the demo), not gunicorn")
def serve_command(host: str, port: int, workers: int, dev: bool) -> None:
    """Serve the public pages, the booth and the staff pages."""
    upgrade(sessions().kw["bind"])
    if dev:
        from admin.app import create_app

        create_app().run(host=host, port=port, debug=False, use_reloader=False)
        return
    os.execvp("gunicorn", ["gunicorn", "--workers", str(workers), "--bind", f"{host}:{port}",
                           "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s',
                           "admin.wsgi:app"])
