"""SBB business faults: the codes this service answers with, and the errors that carry them.

Only a broken rule is a fault. An ordinary outcome, such as "this company is not recognised"
or "no company found", is a normal reply with its own signaalcode (see
:class:`ketenserver.recognitions.domain.Signaalcode`).

    BusinessError
    └── SbbError
        ├── UnknownLeerbedrijf      SBB-1001  (Natrekken erkenning, Opvragen detailgegevens)
        ├── InvalidPostcode         SBB-1002
        ├── InvalidCompanyName      SBB-1003
        └── InvalidHouseNumber      SBB-1004

Fault messages describe the rule, never echo the input: the journal keeps the message, and
the message must hold no personal data.
"""

from __future__ import annotations

from typing import ClassVar

from ketenserver.errors import BusinessError
from ketenserver.faults import FaultSpec

UNKNOWN_LEERBEDRIJF = FaultSpec(
    "SBB-1001", "Client", "Unknown leerbedrijf-id", "SBB WL 2.1: leerbedrijf-id known to Stagemarkt"
)
INVALID_POSTCODE = FaultSpec(
    "SBB-1002", "Client", "Invalid Dutch postcode",
    "NL postcode: 4 digits (first not 0), optional space, 2 letters, not SA/SD/SS",
)
INVALID_COMPANY_NAME = FaultSpec(
    "SBB-1003", "Client", "Company name empty or too long",
    "SBB WL 2.1: Naam holds 1-200 characters with at least one letter or digit besides a legal form",
)
INVALID_HOUSE_NUMBER = FaultSpec(
    "SBB-1004", "Client", "Invalid house number or addition",
    "Huisnummer 1-99999; HuisnummerToevoeging 1-10 letters/digits, only with a Huisnummer",
)

FAULTS: tuple[FaultSpec, ...] = (
    UNKNOWN_LEERBEDRIJF,
    INVALID_POSTCODE,
    INVALID_COMPANY_NAME,
    INVALID_HOUSE_NUMBER,
)


class SbbError(BusinessError):
    """A refusal by an SBB rule; the subclass fixes the code and the default field."""

    spec: ClassVar[FaultSpec]
    default_field: ClassVar[str | None] = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(self.spec.code, message, field=field or self.default_field)


class UnknownLeerbedrijf(SbbError):
    spec = UNKNOWN_LEERBEDRIJF
    default_field = "LeerbedrijfId"


class InvalidPostcode(SbbError):
    spec = INVALID_POSTCODE
    default_field = "Postcode"


class InvalidCompanyName(SbbError):
    spec = INVALID_COMPANY_NAME
    default_field = "Naam"


class InvalidHouseNumber(SbbError):
    spec = INVALID_HOUSE_NUMBER
    default_field = "Huisnummer"
