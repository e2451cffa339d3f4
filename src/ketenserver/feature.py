"""What an emulated exchange contributes to the server: everything of it, in one object.

Each feature package (``recognitions``, ``absence``, ...) exposes one :class:`Feature` in its
``feature.py``, and :data:`ketenserver.features.FEATURES` lists them: that line is the only place
outside the package that a new feature touches (``docs/adding-an-exchange.md``). From the subset
it is given, :func:`ketenserver.app.create_app` mounts each at ``/<key>/<profile>``, builds its
jobs and publishes its contracts; the fault catalogue, the CLI, the settings and the database
schema follow the same subset. The operations themselves (names, elements, actions) are read from
the feature's published WSDL, never restated in code.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ketencore.faults import FaultSpec
from ketencore.profiles import DIGIKOPPELING_2W_BE, DIGIKOPPELING_2W_BE_S, Profile

if TYPE_CHECKING:
    from pathlib import Path

    from ketenserver.background import BackgroundContext, BackgroundJob
    from ketenserver.settings import Settings


@dataclass(frozen=True)
class Job:
    """Work a serving process does on its own, every so many seconds (see :mod:`ketenserver.background`)."""

    name: str
    make: Callable[[BackgroundContext], BackgroundJob]
    interval: Callable[[Settings], float]
    """Seconds between two passes, from the settings; 0 means never (a command runs it instead)."""


@dataclass(frozen=True)
class Feature:
    key: str
    """URL segment and contract file stem: ``wsdl/<key>.wsdl``, ``xsd/<key>.xsd``."""
    title: str
    services: Callable[[], tuple[type, ...]]
    """Imports and returns the feature's spyne services. Called by the app factory after
    :func:`ketenserver.spyne_compat.load_spyne`, so that importing a feature loads no spyne."""
    faults: tuple[FaultSpec, ...] = ()
    """Its business codes, derived from its error classes (:func:`ketencore.faults.rule_faults`)."""
    state_changing: frozenset[str] = field(default_factory=frozenset)
    """Operation names whose retry (same MessageID) must return the original reply."""
    settings: type | None = None
    """Its settings dataclass (with a ``SECTION`` name): ``[ketenserver.<SECTION>]`` in the TOML file,
    ``KETENSERVER_<SECTION>_<NAME>`` variables; read with ``settings.of(...)``."""
    commands: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] | None = None
    """Adds its ``ketenserver <command>`` subcommands; each sets ``func(args) -> int``."""
    tables: Callable[[], Any] | None = None
    """Imports its storage modules, so that ``Base.metadata`` knows its tables (Alembic, tests).
    Its migrations live in the one history of ``ketenserver/migrations`` (named after the feature)."""
    seed: Callable[..., Any] | None = None
    """Fill the sandbox with demo data: ``seed(session, seed_number, companies=N, progress=None)``.

    Returns the number of records added, 0 when the data is present already (then nothing is
    written). Deterministic for a seed number; never commits (the caller owns the transaction).
    ``progress``, when given, is called as ``progress(done, total)`` as the work goes on (counts
    in the feature's own unit, e.g. companies), the last time with ``done == total``."""
    profiles: tuple[Profile, ...] = (DIGIKOPPELING_2W_BE_S, DIGIKOPPELING_2W_BE)
    """The security profiles it is offered in, each at ``/<key>/<profile.name>``
    (:mod:`ketencore.profiles`); its WSDL publishes a port for each."""
    reference: Callable[[Any], str] | None = None
    """For a profile without WS-Addressing (MAGDA): reads a request's own reference from its
    validated Body element (an lxml element), which then stands in for wsa:MessageID: retries
    with the same reference get the stored reply, and the journal names it."""
    refusal: Callable[[Any, Any], Any] | None = None
    """Where the feature's contract answers a broken rule inside a normal reply instead of a SOAP
    fault (MAGDA's ``Uitzondering``): ``refusal(error, body)`` gets the
    :class:`~ketencore.errors.RuleError` and the request's Body element (lxml) and returns the reply's
    Body element, which must validate against the XSD. The work is rolled back as for a fault and
    nothing is stored for a retry; the journal records the exchange as refused with the rule's code.
    Technical refusals (envelope, security, XSD) stay SOAP faults."""
    reply_signer: Callable[[Settings], tuple[Path, Path]] | None = None
    """Where the feature's replies are signed by an organisation of its own rather than by the
    server's certificate (the werkplekduaal counter signs as itself, KBO ``0316200006``):
    ``reply_signer(settings)`` returns the paths of that certificate chain (PEM) and its key."""
    jobs: tuple[Job, ...] = ()
    published: tuple[str, ...] = ()
    """Further contracts the feature publishes at ``/wsdl/<name>.wsdl`` without serving them: the
    services a school implements and the server calls (``sbb-mutatieontvanger``)."""
