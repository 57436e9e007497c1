"""The worked example in docs/protocol.md is what the code computes today."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_worked_example_in_the_doc_is_current() -> None:
    printed = subprocess.run([sys.executable, str(ROOT / "docs" / "worked_example.py")],
                             capture_output=True, text=True, check=True, cwd=ROOT).stdout
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    begin = doc.index("-->", doc.index("<!-- BEGIN WORKED EXAMPLE")) + 3
    section = doc[begin:doc.index("<!-- END WORKED EXAMPLE -->")]
    assert section.strip() == printed.strip()
