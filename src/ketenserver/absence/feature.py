"""The absence exchange as the server mounts it: ``/duo-verzuimloket/<profile>``."""

from __future__ import annotations

from ketencore.faults import rule_faults
from ketenserver.absence import errors
from ketenserver.absence.handling import make_municipalities
from ketenserver.absence.service import VerzuimloketService
from ketenserver.feature import Feature

FEATURE = Feature(
    key="duo-verzuimloket",
    title="DUO Verzuimloket – machinekoppeling verzuim melden",
    spyne_services=(VerzuimloketService,),
    faults=rule_faults(errors),
    state_changing=frozenset({"IndienenVerzuimmelding", "AanleverenVerzuimdagspecificatie", "KlonenVerzuimmelding",
                              "IntrekkenVerzuimmelding"}),
    background=make_municipalities,
    background_interval="municipality_interval",
)
