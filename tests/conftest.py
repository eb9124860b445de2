import contextlib
import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "articles"
# The day the seed records were fixed: "Wednesday (March 26)" is 2025 as seen from here.
SEED_BUILD_DATE = dt.date(2026, 11, 22)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def run_cli(*args: str) -> SimpleNamespace:
    """The CLI in-process, as a user calls it: exit code, stdout, stderr (StringIOs, so not a terminal)."""
    from digest.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())
