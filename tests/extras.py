"""The optional extras (pyproject.toml) some tests need: without one, those tests skip and say what to
install; with ``NETPLAY_REQUIRE_ALL=1`` (CI) such a skip fails (tests/lanes.py). A program the README's
test command installs besides Python packages (Chromium, Node and ConvNetJS, curl) is an install step:
a test that needs one is in a lane of its own (``browser``, ``tools``) and fails without it, naming the
command (`require_program`).

A test module that imports an extra's module takes it from `from_extra`, after its imports
(``Image = from_extra("data", "PIL.Image")``): without the extra the whole module skips, and so does
any module importing from it. A test that needs an extra only through netplay's code (a data set built
with scikit-learn) calls `require` first.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

CHROMIUM = Path(os.environ.get("NETPLAY_CHROMIUM", "/usr/bin/chromium"))  # Debian's, driven by Playwright

# Extra -> the modules it brings that netplay or its tests import.
EXTRAS = {
    "data": ("sklearn", "mlxtend", "PIL"),
    "torch": ("torch", "threadpoolctl"),
    "cluster": ("ray",),
}


def from_extra(extra: str, module: str) -> ModuleType:
    """`module` imported, or a skip of the calling test (or of the module being imported) that names
    the `extra` to install."""
    return pytest.importorskip(module, reason=f"needs the {extra!r} extra: pip install -e '.[{extra}]'")


def require_program(found: bool, install: str) -> None:
    """Fail the calling test, saying `install` (the command that installs what it needs), unless the
    program it needs was `found`."""
    if not found:
        pytest.fail(f"needs {install}: an install step of the README's test command", pytrace=False)


def require_chromium() -> None:
    """Fail the calling test unless Chromium is installed at `CHROMIUM`, saying how to install it."""
    require_program(CHROMIUM.exists(), f"Chromium at {CHROMIUM}: apt-get install chromium")


def require(extra: str) -> None:
    """Skip the calling test unless every module of `extra` imports."""
    for module in EXTRAS[extra]:
        from_extra(extra, module)
