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
        ├── InvalidSearchTerm       SBB-1009  (Opvragen erkenningen: a term without words, a Land)
        ├── NotRecognisedForAgreement SBB-1010 (bpv-overeenkomst: Crebo not recognised on Begindatum)
        ├── UnknownAgreement        SBB-1011  (bpv-overeenkomst: OvereenkomstId, also another school's)
        ├── InvalidAgreementDates   SBB-1012  (bpv-overeenkomst: an end before the start)
        ├── AgreementEnded          SBB-1013  (bpv-overeenkomst: amending or ending an ended one)
        ├── UnknownQualification    SBB-1014  (erkenningsvoordracht: Crebo not a known qualification)
        ├── UnknownNomination       SBB-1015  (erkenningsvoordracht: Referentie, also another school's)
        ├── NoSubscription          SBB-1016  (mutatieservice: fetching without a running subscription)
        ├── InvalidSequence         SBB-1017  (mutatieservice: acknowledging beyond what was issued)
        └── InvalidDeliveryAddress  SBB-1018  (mutatieservice: an Afleveradres SBB cannot deliver to)

Fault messages describe the rule, never echo the input: the journal keeps the message, and
the message must hold no personal data.
"""

from __future__ import annotations

from ketencore.errors import RuleError
from ketencore.faults import FaultSpec


class SbbError(RuleError):
    """A refusal by an SBB rule."""


class UnknownLeerbedrijf(SbbError):
    spec = FaultSpec(
        "SBB-1001", "Client", "Unknown leerbedrijf-id", "SBB WL 2.1: leerbedrijf-id known to Stagemarkt"
    )
    default_field = "LeerbedrijfId"


class InvalidPostcode(SbbError):
    spec = FaultSpec(
        "SBB-1002", "Client", "Invalid Dutch postcode",
        "NL postcode: 4 digits (first not 0), optional space, 2 letters, not SA/SD/SS",
    )
    default_field = "Postcode"


class InvalidCompanyName(SbbError):
    spec = FaultSpec(
        "SBB-1003", "Client", "Company name empty or too long",
        "SBB WL 2.1: Naam holds 1-200 characters with at least one letter or digit besides a legal form",
    )
    default_field = "Naam"


class InvalidHouseNumber(SbbError):
    spec = FaultSpec(
        "SBB-1004", "Client", "Invalid house number or addition",
        "Huisnummer 1-99999; HuisnummerToevoeging 1-10 letters/digits, only with a Huisnummer",
    )
    default_field = "Huisnummer"


class DateOutOfRange(SbbError):
    spec = FaultSpec(
        "SBB-1005", "Client", "Date outside the supported range",
        "Begindatum from 2000-01-01 up to two years after the day of the request",
    )
    default_field = "Begindatum"


class MissingCriteria(SbbError):
    spec = FaultSpec(
        "SBB-1006", "Client", "Search without criteria",
        "OpvragenErkenningen needs Crebo, Kwalificatienaam, LeerbedrijfId or Bedrijfsnaam",
    )
    default_field = "OpvragenErkenningen"


class InvalidPageToken(SbbError):
    spec = FaultSpec(
        "SBB-1007", "Client", "Page token not issued for this search",
        "VervolgToken as returned by the previous page of the same search, unchanged",
    )
    default_field = "VervolgToken"


class InvalidPageSize(SbbError):
    spec = FaultSpec(
        "SBB-1008", "Client", "Invalid page size", "PaginaGrootte 1-100 (default 25)",
    )
    default_field = "PaginaGrootte"


class InvalidSearchTerm(SbbError):
    spec = FaultSpec(
        "SBB-1009", "Client", "Search term without words or unsupported country",
        "Bedrijfsnaam, Kwalificatienaam and Plaats hold a letter or digit; Land is NL, BE or DE",
    )
    default_field = "Bedrijfsnaam"


class NotRecognisedForAgreement(SbbError):
    spec = FaultSpec(
        "SBB-1010", "Client", "Company not recognised for this qualification on the start date",
        "bpv-overeenkomst: the leerbedrijf holds a recognition for Crebo on Begindatum (as NatrekkenErkenning)",
    )
    default_field = "Crebo"


class UnknownAgreement(SbbError):
    spec = FaultSpec(
        "SBB-1011", "Client", "Unknown agreement",
        "OvereenkomstId names a bpv-overeenkomst registered by the calling school",
    )
    default_field = "OvereenkomstId"


class InvalidAgreementDates(SbbError):
    spec = FaultSpec(
        "SBB-1012", "Client", "End date before start date",
        "GeplandeEinddatum and Einddatum not before Begindatum",
    )
    default_field = "GeplandeEinddatum"


class AgreementEnded(SbbError):
    spec = FaultSpec(
        "SBB-1013", "Client", "Agreement already ended",
        "An ended bpv-overeenkomst cannot be amended or ended again",
    )
    default_field = "OvereenkomstId"


class UnknownQualification(SbbError):
    spec = FaultSpec(
        "SBB-1014", "Client", "Unknown qualification", "Crebo names a qualification in the crebo table",
    )
    default_field = "Crebo"


class UnknownNomination(SbbError):
    spec = FaultSpec(
        "SBB-1015", "Client", "Unknown nomination",
        "Referentie names an erkenningsvoordracht submitted by the calling school",
    )
    default_field = "Referentie"


class NoSubscription(SbbError):
    spec = FaultSpec(
        "SBB-1016", "Client", "No running subscription",
        "OphalenMutaties and BevestigenMutaties need a running Mutatieabonnement (AanmeldenMutatieabonnement)",
    )
    default_field = "Mutatieabonnement"


class InvalidSequence(SbbError):
    spec = FaultSpec(
        "SBB-1017", "Client", "Sequence number not issued",
        "BevestigenMutaties: Volgnummer at most the last mutation issued to the school",
    )
    default_field = "Volgnummer"


class InvalidDeliveryAddress(SbbError):
    spec = FaultSpec(
        "SBB-1018", "Client", "Invalid delivery address",
        "Afleveradres: an https URL with a host, without user name, password or fragment, at most 500 characters",
    )
    default_field = "Afleveradres"
