"""The recognitions exchange as the server mounts it: ``/sbb-erkenningen/<profile>``."""

from __future__ import annotations

from ketencore.faults import rule_faults
from ketenserver.feature import Feature
from ketenserver.recognitions import errors
from ketenserver.recognitions.delivery import RECEIVER_CONTRACT, make_deliverer
from ketenserver.recognitions.seed import seed
from ketenserver.recognitions.service import ErkenningenService

FEATURE = Feature(
    key="sbb-erkenningen",
    title="SBB White Label 2.1 – erkenningen",
    spyne_services=(ErkenningenService,),
    faults=rule_faults(errors),
    state_changing=frozenset({"RegistrerenBpvOvereenkomst", "WijzigenBpvOvereenkomst", "BeeindigenBpvOvereenkomst",
                              "IndienenErkenningsvoordracht", "AanmeldenMutatieabonnement", "WijzigenMutatieabonnement",
                              "BevestigenMutaties"}),
    seed=seed,
    background=make_deliverer,
    published=(RECEIVER_CONTRACT,),
)
