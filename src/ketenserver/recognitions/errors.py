"""SBB business faults: the codes this service answers with, and the errors that carry them.

Only a broken rule is a fault. An ordinary outcome, such as "this company is not recognised"
or "no company found", is a normal reply with its own signaalcode (see
:class:`ketenserver.recognitions.domain.Signaalcode`).

    BusinessError
    └── SbbError
        ├── UnknownLeerbedrijf      SBB-1001  (Natrekken erkenning, Opvragen detailgegevens)
        ├── InvalidPostcode         SBB-1002
        ├── InvalidCompanyName      SBB-1003
        ├── InvalidHouseNumber      SBB-1004
        ├── DateOutOfRange          SBB-1005  (Natrekken erkenning: Begindatum)
        ├── MissingCriteria         SBB-1006  (Opvragen erkenningen: no main criterion)
        ├── InvalidPageToken        SBB-1007  (Opvragen erkenningen: VervolgToken)
        ├── InvalidPageSize         SBB-1008  (Opvragen erkenningen: PaginaGrootte)
        └── InvalidSearchTerm       SBB-1009  (Opvragen erkenningen: a term without words, a Land)

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

DATE_OUT_OF_RANGE = FaultSpec(
    "SBB-1005", "Client", "Date outside the supported range",
    "Begindatum from 2000-01-01 up to two years after the day of the request",
)
MISSING_CRITERIA = FaultSpec(
    "SBB-1006", "Client", "Search without criteria",
    "OpvragenErkenningen needs Crebo, Kwalificatienaam, LeerbedrijfId or Bedrijfsnaam",
)
INVALID_PAGE_TOKEN = FaultSpec(
    "SBB-1007", "Client", "Page token not issued for this search",
    "VervolgToken as returned by the previous page of the same search, unchanged",
)
INVALID_PAGE_SIZE = FaultSpec(
    "SBB-1008", "Client", "Invalid page size", "PaginaGrootte 1-100 (default 25)",
)
INVALID_SEARCH_TERM = FaultSpec(
    "SBB-1009", "Client", "Search term without words or unsupported country",
    "Bedrijfsnaam, Kwalificatienaam and Plaats hold a letter or digit; Land is NL, BE or DE",
)

FAULTS: tuple[FaultSpec, ...] = (
    UNKNOWN_LEERBEDRIJF,
    INVALID_POSTCODE,
    INVALID_COMPANY_NAME,
    INVALID_HOUSE_NUMBER,
    DATE_OUT_OF_RANGE,
    MISSING_CRITERIA,
    INVALID_PAGE_TOKEN,
    INVALID_PAGE_SIZE,
    INVALID_SEARCH_TERM,
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


class DateOutOfRange(SbbError):
    spec = DATE_OUT_OF_RANGE
    default_field = "Begindatum"


class MissingCriteria(SbbError):
    spec = MISSING_CRITERIA
    default_field = "OpvragenErkenningen"


class InvalidPageToken(SbbError):
    spec = INVALID_PAGE_TOKEN
    default_field = "VervolgToken"


class InvalidPageSize(SbbError):
    spec = INVALID_PAGE_SIZE
    default_field = "PaginaGrootte"


class InvalidSearchTerm(SbbError):
    spec = INVALID_SEARCH_TERM
    default_field = "Bedrijfsnaam"
