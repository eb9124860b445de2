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


def make_unreadable(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Reading the file called `name` fails with EACCES (chmod cannot do it: the tests run as root)."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == name:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
