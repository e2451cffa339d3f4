"""Every table on ``Base.metadata`` (Alembic, tests): the exchange's own and each feature's."""

from __future__ import annotations

from collections.abc import Iterable

from ketenserver.feature import Feature


def register_tables(features: Iterable[Feature] | None = None) -> None:
    """Import the storage modules of the exchange core and of ``features`` (default: every registered one)."""
    from ketenserver import scenarios  # noqa: F401 (scenario_rules)
    from ketenserver.exchange import storage  # noqa: F401 (organisations, journal, replies, replay memory)

    if features is None:
        from ketenserver.features import FEATURES

        features = FEATURES
    for feature in features:
        if feature.tables is not None:
            feature.tables()
