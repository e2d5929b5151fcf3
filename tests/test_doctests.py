"""The examples in the code's docstrings run and hold.

Every module of the three packages is imported and its `>>>` examples run (`doctest`, ELLIPSIS).
An example that needs an opened index, a served app or a model is marked `# doctest: +SKIP` where
it stands; the self-contained ones (section labels of a register note, a query's own numbers, the
BM25 encoder, ...) are checked here, so a docstring that no longer says what the code does fails.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lagrum", "ingest", "api")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__main__":
                continue  # runs the CLI when imported
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join(parts))
    return names


def test_every_package_module_is_collected():
    modules = _modules()
    assert "lagrum.legal.timeline" in modules and "ingest.pipeline" in modules and "api.app" in modules


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=True)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} docstring examples fail (python -m doctest {name.replace('.', '/')}.py -v)"
