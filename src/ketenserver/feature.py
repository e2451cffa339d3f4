"""What an emulated exchange contributes to the server.

Each feature package (``recognitions``, later ``absence``, ...) exposes one :class:`Feature` in
its ``feature.py``; :data:`ketenserver.features.FEATURES` lists them. The app factory mounts each
at ``/<key>/<profile>``, the fault catalogue takes its codes, and the seeder calls its seed.
The operations themselves (names, elements, actions) are read from the feature's published WSDL,
never restated in code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ketencore.faults import FaultSpec

if TYPE_CHECKING:
    from ketenserver.background import BackgroundContext, BackgroundJob


@dataclass(frozen=True)
class Feature:
    key: str
    """URL segment and contract file stem: ``wsdl/<key>.wsdl``, ``xsd/<key>.xsd``."""
    title: str
    spyne_services: tuple[type, ...]
    faults: tuple[FaultSpec, ...] = ()
    state_changing: frozenset[str] = field(default_factory=frozenset)
    """Operation names whose retry (same MessageID) must return the original reply."""
    seed: Callable[..., Any] | None = None
    """Fill the sandbox with demo data: ``seed(session, seed_number, companies=N, progress=None)``.

    Returns the number of records added, 0 when the data is present already (then nothing is
    written). Deterministic for a seed number; never commits (the caller owns the transaction).
    ``progress``, when given, is called as ``progress(done, total)`` as the work goes on (counts
    in the feature's own unit, e.g. companies), the last time with ``done == total``."""
    profiles: tuple[str, ...] = ("2W-be-S", "2W-be")
    background: Callable[[BackgroundContext], BackgroundJob] | None = None
    """Work the server does on its own (see :mod:`ketenserver.background`), e.g. pushing mutations."""
    background_interval: str = "delivery_interval"
    """The setting that holds the seconds between two passes of :attr:`background` (0: never)."""
    published: tuple[str, ...] = ()
    """Further contracts the feature publishes at ``/wsdl/<name>.wsdl`` without serving them: the
    services a school implements and the server calls (``sbb-mutatieontvanger``)."""
