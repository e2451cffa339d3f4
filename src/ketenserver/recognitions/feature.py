"""The recognitions exchange as the server mounts it: ``/sbb-erkenningen/<profile>``."""

from __future__ import annotations

from ketencore.faults import rule_faults
from ketenserver.feature import Feature, Job
from ketenserver.recognitions import commands, errors
from ketenserver.recognitions.delivery import make_deliverer
from ketenserver.recognitions.seed import seed
from ketenserver.recognitions.settings import RecognitionsSettings
from ketenserver.settings import Settings


def _services() -> tuple[type, ...]:
    """spyne is imported here, not when the feature is: see Feature.services."""
    from ketenserver.recognitions.service import build_service

    return (build_service(),)


def _tables() -> None:
    from ketenserver.recognitions import bpv_storage, storage  # noqa: F401 (their tables join Base.metadata)


def _delivery_interval(settings: Settings) -> float:
    return settings.of(RecognitionsSettings).delivery_interval


FEATURE = Feature(
    key="sbb-erkenningen",
    title="SBB White Label 2.1 – erkenningen",
    services=_services,
    faults=rule_faults(errors),
    state_changing=frozenset({"RegistrerenBpvOvereenkomst", "WijzigenBpvOvereenkomst", "BeeindigenBpvOvereenkomst",
                              "IndienenErkenningsvoordracht", "AanmeldenMutatieabonnement", "WijzigenMutatieabonnement",
                              "BevestigenMutaties"}),
    settings=RecognitionsSettings,
    commands=commands.add_commands,
    tables=_tables,
    seed=seed,
    jobs=(Job("sbb-erkenningen", make_deliverer, _delivery_interval),),
    published=("sbb-mutatieontvanger",),
)
