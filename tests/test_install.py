"""What a fresh machine installs (issue 14, item 10): exact versions from the lock files,
the product's own packages apart from the test suite's."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from ballot.db import make_engine
from ballot.errors import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^ \\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {m.group(1).lower().replace("_", "-"): m.group(3) for m in PIN.finditer(text)}


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_every_requirement_is_pinned_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, test = pins("runtime.txt"), pins("test.txt")
    assert requirement_names(project["dependencies"]) <= set(runtime)
    extras = project["optional-dependencies"]
    wanted = requirement_names(extras["test"] + extras["postgresql"]) - {"piaojue"}
    assert wanted <= set(test)
    # Both files resolve the shared packages to the same versions.
    assert {name: test[name] for name in runtime} == runtime
    for name in ("runtime.txt", "test.txt"):
        text = (ROOT / "requirements" / name).read_text()
        blocks = [b for b in re.split(r"\n(?=\S)", text) if PIN.match(b)]
        assert blocks
        assert all("--hash=sha256:" in block for block in blocks)


def test_the_product_installs_without_the_test_tools() -> None:
    runtime = set(pins("runtime.txt"))
    for tool in ("pytest", "hypothesis", "playwright", "ruff", "mypy", "import-linter",
                 "psycopg"):
        assert tool not in runtime


def test_postgresql_without_its_driver_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server pointed at PostgreSQL on an install without the extra says what is missing
    and how to add it, not a traceback from deep inside SQLAlchemy."""
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(InvalidInput, match=r"postgresql\+psycopg needs the Python package "
                                           r"psycopg.*piaojue\[postgresql\]"):
        make_engine("postgresql+psycopg://nobody@localhost/none")
