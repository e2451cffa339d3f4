"""The emulated exchanges this server offers; add a feature here to mount it."""

from __future__ import annotations

from ketenserver.absence.feature import FEATURE as ABSENCE
from ketenserver.feature import Feature
from ketenserver.recognitions.feature import FEATURE as RECOGNITIONS
from ketenserver.werkplekduaal.feature import FEATURE as WERKPLEKDUAAL

FEATURES: tuple[Feature, ...] = (RECOGNITIONS, ABSENCE, WERKPLEKDUAAL)
