"""The werkplekduaal counter as the server mounts it: ``/werkplekduaal/MAGDA``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketencore.faults import rule_faults
from ketencore.profiles import MAGDA
from ketenserver.feature import Feature, Job
from ketenserver.werkplekduaal import commands, errors
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

if TYPE_CHECKING:
    from ketenserver.background import BackgroundContext, BackgroundJob
    from ketenserver.settings import Settings

COUNTER_PARTY = "loket-0316200006"
"""The development PKI's certificate of the counter, which signs its replies."""

SERVICE_MODULES = ("service_requests", "service_agreements", "service_workplaces")
"""One spyne service per area; each module has ``build_service()``."""


def _services() -> tuple[type, ...]:
    """spyne is imported here, not when the feature is: see Feature.services."""
    return tuple(importlib.import_module(f"ketenserver.werkplekduaal.{name}").build_service()
                 for name in SERVICE_MODULES)


def _tables() -> None:
    from ketenserver.werkplekduaal import storage  # noqa: F401 (its tables join Base.metadata)


def _seed(session: Any, seed_number: int, *, companies: int, progress: Any = None) -> int:
    from ketenserver.werkplekduaal.seed import seed

    return seed(session, seed_number, companies=companies, progress=progress)


def _counter_job(context: BackgroundContext) -> BackgroundJob:
    from ketenserver.werkplekduaal.jobs import make_counter_job

    return make_counter_job(context)


def _interval(settings: Settings) -> float:
    return settings.of(WerkplekduaalSettings).kbo_interval


def _referte(body: Any) -> str:
    from ketenserver.werkplekduaal.magda import referte

    return referte(body)


def _refusal(error: Any, body: Any) -> Any:
    from ketenserver.werkplekduaal.magda import refusal

    return refusal(error, body)


def _reply_signer(settings: Settings) -> tuple[Path, Path]:
    """The counter signs its replies as itself (``MagdaSignature(server_oin="0316200006")``)."""
    from ketenserver.pki.layout import DevPki

    own = settings.of(WerkplekduaalSettings)
    party = DevPki.in_directory(settings.pki_dir).party(COUNTER_PARTY)
    return (Path(own.signing_chain) if own.signing_chain else party.chain,
            Path(own.signing_key) if own.signing_key else party.key)


FEATURE = Feature(
    key="werkplekduaal",
    title="Werkplekduaal – overeenkomsten, erkenningsaanvragen en taken (Vlaanderen, MAGDA)",
    services=_services,
    faults=rule_faults(errors),
    state_changing=frozenset({"RegistreerOvereenkomst", "WijzigOvereenkomst", "BeeindigOvereenkomst",
                              "RegistreerLeertraject", "DienErkenningsaanvraagIn", "HandelTaakAf"}),
    settings=WerkplekduaalSettings,
    commands=commands.add_commands,
    tables=_tables,
    seed=_seed,
    jobs=(Job("werkplekduaal", _counter_job, _interval),),
    profiles=(MAGDA,),
    reference=_referte,
    refusal=_refusal,
    reply_signer=_reply_signer,
)
