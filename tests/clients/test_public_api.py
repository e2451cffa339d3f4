"""The package's public surface: everything in ``__all__`` exists, and nothing public is missing."""

from __future__ import annotations

import types

import ketenclient


def test_all_matches_the_exports() -> None:
    public = {name for name, value in vars(ketenclient).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType)}
    assert set(ketenclient.__all__) == public
    assert sorted(ketenclient.__all__) == ketenclient.__all__

