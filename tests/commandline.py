"""Running ``python -m geo`` in-process from a test, and reading its machine-readable summary."""

from __future__ import annotations

import json

import pytest

from geo.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Run the command line with ``argv`` (each turned into text); return its exit code, stdout and stderr."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out: str) -> dict:
    """Return the JSON summary a command prints as its last line."""
    return json.loads(out.strip().splitlines()[-1])
