"""The recognitions exchange as the server mounts it: ``/sbb-erkenningen/<profile>``."""

from __future__ import annotations

from ketenserver.feature import Feature
from ketenserver.recognitions.delivery import RECEIVER_CONTRACT, make_deliverer
from ketenserver.recognitions.errors import FAULTS
from ketenserver.recognitions.seed import seed
from ketenserver.recognitions.service import ErkenningenService

FEATURE = Feature(
    key="sbb-erkenningen",
    title="SBB White Label 2.1 – erkenningen",
    spyne_services=(ErkenningenService,),
    faults=FAULTS,
    state_changing=frozenset({"RegistrerenBpvOvereenkomst", "WijzigenBpvOvereenkomst", "BeeindigenBpvOvereenkomst",
                              "IndienenErkenningsvoordracht", "AanmeldenMutatieabonnement", "WijzigenMutatieabonnement",
                              "BevestigenMutaties"}),
    seed=seed,
    background=make_deliverer,
    published=(RECEIVER_CONTRACT,),
)
