"""Import spyne on every supported Python.

spyne 2.14 (its last release) vendors an old ``six`` whose lazy ``moves`` importer implements
only the legacy ``find_module``/``load_module`` protocol, which Python 3.12 removed from the
import system. The finder below answers ``find_spec`` for ``spyne.util.six.moves*`` and hands
the module creation back to six's own importer, so nothing of six is reimplemented.

Call :func:`load_spyne` before importing anything from spyne; it is idempotent.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

_PREFIX = "spyne.util.six.moves"


class _SixMovesLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        importer = sys.modules["spyne.util.six"]._importer
        module: ModuleType = importer.load_module(spec.name)
        return module

    def exec_module(self, module: ModuleType) -> None:
        """six's importer already populated the module."""


class _SixMovesFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == _PREFIX or fullname.startswith(_PREFIX + "."):
            return importlib.machinery.ModuleSpec(fullname, _SixMovesLoader())
        return None


_FINDER = _SixMovesFinder()


def load_spyne() -> None:
    """Make spyne importable and switch off its forced garbage collection.

    spyne calls ``gc.collect()`` at most once per ``MIN_GC_INTERVAL`` seconds on the request
    path; measured here that is a ~46 ms pause, which dominates p99 latency. CPython's own
    generational collector is enough.
    """
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    import spyne.const

    spyne.const.MIN_GC_INTERVAL = float("inf")
