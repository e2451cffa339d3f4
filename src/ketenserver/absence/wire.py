"""The spyne models of DUO's Verzuimloket contract, derived from ``xsd/duo-verzuimloket.xsd``.

Nothing is restated here: :func:`models` parses the published schema (and ``common.xsd``) once,
on first use, and answers each type by its XSD name (``models().Verzuimmelding``); see
:mod:`ketenserver.wiremodels`. The mapping to snake_case domain values lives in
:mod:`~ketenserver.absence.service`.
"""

from __future__ import annotations

import functools

from ketenserver import wiremodels
from ketenserver.absence import NAMESPACE

TNS = NAMESPACE


@functools.cache
def models() -> wiremodels.Models:
    """The contract's types by name, parsed from ``xsd/duo-verzuimloket.xsd`` once."""
    return wiremodels.load("duo-verzuimloket", TNS)
