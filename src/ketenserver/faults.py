"""The server's fault catalogue: the core codes (:mod:`ketencore.faults`) and those of the
features it runs, each code meaning one thing only.

A feature's codes are derived from its error classes (:func:`ketencore.faults.rule_faults`), so
they are written once. ``ketenserver faults`` prints the catalogue; the README carries the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ketencore.faults import CORE_FAULTS, FaultSpec

if TYPE_CHECKING:
    from ketenserver.feature import Feature


def catalogue(features: Iterable[Feature]) -> dict[str, FaultSpec]:
    """Every code the server with these features answers with, by code."""
    merged: dict[str, FaultSpec] = {}
    for spec in CORE_FAULTS + tuple(s for feature in features for s in feature.faults):
        if spec.code in merged:
            raise ValueError(f"fault code {spec.code} declared twice")
        merged[spec.code] = spec
    return merged


def catalogue_table(features: Iterable[Feature]) -> str:
    """The catalogue as a Markdown table (printed by ``ketenserver faults``, copied in the README)."""
    rows = ["| code | faultcode | meaning | rule |", "|---|---|---|---|"]
    for spec in sorted(catalogue(features).values(), key=lambda s: s.code):
        rows.append(f"| {spec.code} | {spec.faultcode} | {spec.title} | {spec.rule} |")
    return "\n".join(rows)
