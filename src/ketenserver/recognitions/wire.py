"""The spyne models of the SBB recognitions contract, derived from ``xsd/sbb-erkenningen.xsd``.

Nothing is restated here: :func:`models` parses the published schema (and ``common.xsd``) once,
on first use, and answers each type by its XSD name (``models().Erkenning``, ``models().Adres``);
see :mod:`ketenserver.wiremodels`. The mapping to snake_case domain values lives in
:mod:`~ketenserver.recognitions.service`.
"""

from __future__ import annotations

import functools

from ketenserver import wiremodels
from ketenserver.recognitions import NAMESPACE

TNS = NAMESPACE


@functools.cache
def models() -> wiremodels.Models:
    """The contract's types by name, parsed from ``xsd/sbb-erkenningen.xsd`` once."""
    return wiremodels.load("sbb-erkenningen", TNS)
