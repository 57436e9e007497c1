"""The booth's library files are the registry's, at the versions the lock file pins.

``npm ci`` installs @noble/curves and @noble/hashes exactly as package-lock.json
says (it checks each tarball's integrity); ``npm run vendor`` bundles them into
booth/static/vendor/noble.js. These tests prove that what the server sends a
tablet is that bundle, rebuilt here from the installed, locked packages, byte
for byte, and that nothing of the libraries is copied into the repository.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from admin.app import create_app

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "booth" / "static" / "vendor"
BUNDLES = {"noble.js": ("@noble/curves", "@noble/hashes"), "sodium.js": ("libsodium-sumo",)}
LIBRARIES = tuple(name for names in BUNDLES.values() for name in names)


def _lock() -> dict[str, dict[str, str]]:
    packages: dict[str, dict[str, str]] = json.loads(
        (ROOT / "package-lock.json").read_text("utf-8"))["packages"]
    return packages


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'vendor.sqlite'}",
                      "SECRET_KEY": "vendor tests"})
    return app.test_client()


def test_package_json_pins_exact_versions_that_the_lock_file_holds() -> None:
    manifest = json.loads((ROOT / "package.json").read_text("utf-8"))
    lock = _lock()
    for group in ("dependencies", "devDependencies"):
        for name, version in manifest[group].items():
            assert version[0].isdigit(), f"{name} is not pinned to one version: {version}"
            assert lock[f"node_modules/{name}"]["version"] == version, name
    for name in LIBRARIES:
        locked = lock[f"node_modules/{name}"]
        assert locked["integrity"].startswith("sha512-"), name
        installed = json.loads((ROOT / "node_modules" / name / "package.json").read_text())
        assert installed["version"] == locked["version"], f"{name}: run npm ci"


def test_the_libraries_are_not_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "booth/static", "node_modules"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    for bundle in BUNDLES:
        assert f"booth/static/vendor/{bundle}" not in tracked
    assert not [path for path in tracked if path.startswith("node_modules/")]
    assert {"booth/static/vendor/entry.js", "booth/static/vendor/sodium-entry.js",
            "booth/static/vendor/build.mjs"} <= set(tracked)


@pytest.mark.parametrize("bundle", sorted(BUNDLES))
def test_the_server_serves_the_bundle_of_the_locked_packages(client: FlaskClient,
                                                             tmp_path: Path, bundle: str) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed (make test installs it)"
    rebuilt = tmp_path / bundle
    subprocess.run([node, str(VENDOR / "build.mjs"), bundle, str(rebuilt)], cwd=ROOT, check=True)
    with client.get(f"/static/vendor/{bundle}") as served:
        assert served.status_code == 200
        assert served.mimetype in ("text/javascript", "application/javascript")
        body = served.get_data()
    assert body == rebuilt.read_bytes()
    names = BUNDLES[bundle]
    banner = body.decode("utf-8").split("\n", len(names) + 1)
    lock = _lock()
    for name, line in zip(names, banner[1:len(names) + 1], strict=True):
        locked = lock[f"node_modules/{name}"]
        assert line == f"// {name}@{locked['version']} {locked['integrity']}"
