"""The spyne models of the werkplekduaal contract, derived from ``xsd/werkplekduaal.xsd``.

Nothing is restated here: :func:`models` parses the published schema (and ``common.xsd``) once,
on first use, and answers each type by its XSD name (``models().Overeenkomst``); see
:mod:`ketenserver.wiremodels`. The MAGDA wrappers (``Verzoek``, ``Repliek``) are read and written
in :mod:`~ketenserver.werkplekduaal.magda`; the mapping to domain values lives in the service
modules.
"""

from __future__ import annotations

import functools

from ketenserver import wiremodels
from ketenserver.werkplekduaal import NAMESPACE

TNS = NAMESPACE


@functools.cache
def models() -> wiremodels.Models:
    """The contract's types by name, parsed from ``xsd/werkplekduaal.xsd`` once."""
    return wiremodels.load("werkplekduaal", TNS)
