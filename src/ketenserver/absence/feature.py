"""The absence exchange as the server mounts it: ``/duo-verzuimloket/<profile>``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ketencore.faults import rule_faults
from ketenserver.absence import commands, errors
from ketenserver.absence.handling import Municipalities, make_municipalities
from ketenserver.absence.settings import AbsenceSettings
from ketenserver.feature import Feature, Job
from ketenserver.settings import Settings

if TYPE_CHECKING:
    from ketenserver.background import BackgroundContext


def _services() -> tuple[type, ...]:
    """spyne is imported here, not when the feature is: see Feature.services."""
    from ketenserver.absence.service import build_service

    return (build_service(),)


def _tables() -> None:
    from ketenserver.absence import storage  # noqa: F401 (its tables join Base.metadata)


def _municipalities(context: BackgroundContext) -> Municipalities:
    """The municipalities' job, on units of work over the server's sessions (the ports' adapters)."""
    from ketenserver.absence import storage

    return make_municipalities(context, storage.units(context.sessions))


def _municipality_interval(settings: Settings) -> float:
    return settings.of(AbsenceSettings).municipality_interval


FEATURE = Feature(
    key="duo-verzuimloket",
    title="DUO Verzuimloket – machinekoppeling verzuim melden",
    services=_services,
    faults=rule_faults(errors),
    state_changing=frozenset({"IndienenVerzuimmelding", "AanleverenVerzuimdagspecificatie", "KlonenVerzuimmelding",
                              "IntrekkenVerzuimmelding"}),
    settings=AbsenceSettings,
    commands=commands.add_commands,
    tables=_tables,
    jobs=(Job("duo-verzuimloket", _municipalities, _municipality_interval),),
)
