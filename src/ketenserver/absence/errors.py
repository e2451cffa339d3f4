"""DUO Verzuimloket business faults: the codes this service answers with, and the errors that carry them.

    BusinessError
    └── VerzuimError
        ├── InvalidBsn                VZL-1001  Bsn fails the 11-test
        ├── InvalidOnderwijsnummer    VZL-1002  Onderwijsnummer fails its check
        ├── StudentIdentification     VZL-1003  not exactly one of Bsn and Onderwijsnummer
        ├── BrinNotOfCaller           VZL-1004  the BRIN is not the calling school's
        ├── UnknownAbsenceKind        VZL-1005  Verzuimsoort not in DUO's code table
        ├── PeriodInFuture            VZL-1006  Begindatum or Einddatum after the counter's today
        ├── InvalidPeriod             VZL-1007  Einddatum before Begindatum
        ├── WrongAgeForKind           VZL-1008  a 16-hours kind for the wrong age
        ├── AttachmentTypeRefused     VZL-1009  content not PDF, PNG or JPEG
        ├── AttachmentTooLarge        VZL-1010  one file over the per-file limit
        ├── AttachmentsTooLarge       VZL-1011  the files together over the per-report limit
        ├── UnknownReport             VZL-1012  Meldingnummer unknown (also another school's)
        ├── DayOutsidePeriod          VZL-1013  a Verzuimdag outside the report's period
        ├── InvalidAbsenceDay         VZL-1014  whole day and lesson hours, a date or hour twice
        ├── DuplicateReport           VZL-1015  the same report was registered already
        ├── WrongStatus               VZL-1016  not possible in the report's status
        ├── CloneOverlaps             VZL-1017  a follow-up period not after the earlier one
        ├── CursorNotIssued           VZL-1018  a cursor beyond the school's last change
        ├── InvalidSchoolYear         VZL-1019  Schooljaar not two consecutive years
        └── StudentAgeOutOfRange      VZL-1020  the student not 5 to 23 on Begindatum

Fault messages describe the rule and never echo personal data (the journal keeps them).
"""

from __future__ import annotations

from ketencore.errors import RuleError
from ketencore.faults import FaultSpec


class VerzuimError(RuleError):
    """A refusal by a Verzuimloket rule."""


class InvalidBsn(VerzuimError):
    spec = FaultSpec("VZL-1001", "Client", "Invalid BSN", "Bsn: 9 digits passing the 11-test")
    default_field = "Bsn"

    def __init__(self) -> None:
        super().__init__("Bsn does not pass the 11-test.")


class InvalidOnderwijsnummer(VerzuimError):
    spec = FaultSpec(
        "VZL-1002", "Client", "Invalid onderwijsnummer",
        "Onderwijsnummer: 9 digits starting with 10, weighted sum as the BSN's = 5 mod 11",
    )
    default_field = "Onderwijsnummer"

    def __init__(self) -> None:
        super().__init__("Onderwijsnummer does not pass its check (weighted sum 5 mod 11).")


class StudentIdentification(VerzuimError):
    spec = FaultSpec(
        "VZL-1003", "Client", "Student not identified", "Leerling: exactly one of Bsn and Onderwijsnummer",
    )
    default_field = "Leerling"

    def __init__(self) -> None:
        super().__init__("Leerling needs exactly one of Bsn and Onderwijsnummer.")


class BrinNotOfCaller(VerzuimError):
    spec = FaultSpec(
        "VZL-1004", "Client", "BRIN not of the calling school",
        "School/Brin: the BRIN of the organisation the message is for (its certificate or mandate)",
    )
    default_field = "Brin"

    def __init__(self) -> None:
        super().__init__("School/Brin is not the BRIN of the school this message is for.")


class UnknownAbsenceKind(VerzuimError):
    spec = FaultSpec(
        "VZL-1005", "Client", "Unknown kind of absence",
        "Verzuimsoort: a code of DUO's table (DRIE_DAGEN, EENACHTSTE, ZESTIEN_UUR_O18, ZESTIEN_UUR_18P, RMC, "
        "LUXEVERZUIM, LANGDURIG_RELATIEF, OVERIG)",
    )
    default_field = "Verzuimsoort"

    def __init__(self, known: tuple[str, ...]) -> None:
        super().__init__("Verzuimsoort is not a code of DUO's table: " + ", ".join(known) + ".")


class PeriodInFuture(VerzuimError):
    spec = FaultSpec(
        "VZL-1006", "Client", "Absence period in the future",
        "Periode: Begindatum and Einddatum not after the counter's today (Europe/Amsterdam, sandbox clock)",
    )

    def __init__(self, field: str) -> None:
        super().__init__(f"Periode/{field} lies after the counter's today; report absence that happened.",
                         field=field)


class InvalidPeriod(VerzuimError):
    spec = FaultSpec(
        "VZL-1007", "Client", "Period ends before it starts", "Periode: Einddatum not before Begindatum",
    )
    default_field = "Einddatum"

    def __init__(self) -> None:
        super().__init__("Periode/Einddatum lies before Begindatum.")


class WrongAgeForKind(VerzuimError):
    spec = FaultSpec(
        "VZL-1008", "Client", "Kind of absence does not fit the student's age",
        "ZESTIEN_UUR_O18: under 18 on Begindatum; ZESTIEN_UUR_18P: 18 or older on Begindatum",
    )
    default_field = "Verzuimsoort"

    def __init__(self, kind: str, rule: str) -> None:
        super().__init__(f"Verzuimsoort {kind} is for a student {rule} on Periode/Begindatum.")


class AttachmentTypeRefused(VerzuimError):
    spec = FaultSpec(
        "VZL-1009", "Client", "Attachment type not allowed",
        "Bijlage/Inhoud: a PDF, PNG or JPEG file, recognised by its content (not its name)",
    )
    default_field = "Inhoud"

    def __init__(self, position: int) -> None:
        super().__init__(f"Bijlage {position}: the content is not a PDF, PNG or JPEG file.")


class AttachmentTooLarge(VerzuimError):
    spec = FaultSpec(
        "VZL-1010", "Client", "Attachment too large",
        "Bijlage/Inhoud: at most attachment_max_bytes decoded (default 1 MiB)",
    )
    default_field = "Inhoud"

    def __init__(self, position: int, limit: int) -> None:
        super().__init__(f"Bijlage {position} is larger than {limit} bytes.")


class AttachmentsTooLarge(VerzuimError):
    spec = FaultSpec(
        "VZL-1011", "Client", "Attachments together too large",
        "Bijlagen: together at most report_attachments_max_bytes decoded (default 2.5 MiB)",
    )
    default_field = "Bijlagen"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The attachments together are larger than {limit} bytes.")


class UnknownReport(VerzuimError):
    spec = FaultSpec(
        "VZL-1012", "Client", "Unknown report",
        "Meldingnummer: a report of the calling school still held by the counter",
    )
    default_field = "Meldingnummer"

    def __init__(self) -> None:
        super().__init__("No report of this school with this Meldingnummer is held by the counter.")


class DayOutsidePeriod(VerzuimError):
    spec = FaultSpec(
        "VZL-1013", "Client", "Day outside the report's period",
        "Verzuimdag/Datum: within the report's Periode (both days included)",
    )
    default_field = "Datum"

    def __init__(self) -> None:
        super().__init__("Verzuimdag/Datum lies outside the report's period.")


class InvalidAbsenceDay(VerzuimError):
    spec = FaultSpec(
        "VZL-1014", "Client", "Invalid absence day",
        "Verzuimdag: HeleDag true or lesson hours 1-12, not both; each date and each hour once",
    )

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"Verzuimdag: {rule}.", field=field)


class DuplicateReport(VerzuimError):
    spec = FaultSpec(
        "VZL-1015", "Client", "Report already registered",
        "One report per school, student, Verzuimsoort and Periode; the message names the existing Meldingnummer",
    )
    default_field = "Periode"

    def __init__(self, existing: str) -> None:
        super().__init__(f"This report (school, student, Verzuimsoort, Periode) is registered already as "
                         f"Meldingnummer {existing}.")
        self.existing = existing


class WrongStatus(VerzuimError):
    spec = FaultSpec(
        "VZL-1016", "Client", "Not possible in the report's status",
        "Withdraw: Geregistreerd or In behandeling; day specification and cloning: not Ingetrokken",
    )
    default_field = "Meldingnummer"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"A report with status {status} cannot be {action}.")


class CloneOverlaps(VerzuimError):
    spec = FaultSpec(
        "VZL-1017", "Client", "Follow-up period does not follow the earlier report",
        "KlonenVerzuimmelding: Periode/Begindatum after the earlier report's Einddatum",
    )
    default_field = "Begindatum"

    def __init__(self) -> None:
        super().__init__("Periode/Begindatum of a follow-up report must lie after the earlier report's Einddatum.")


class CursorNotIssued(VerzuimError):
    spec = FaultSpec(
        "VZL-1018", "Client", "Cursor not issued",
        "Cursor: at most the school's last change number (as returned in a reply)",
    )
    default_field = "Cursor"

    def __init__(self, last: int) -> None:
        super().__init__(f"Cursor lies beyond the school's last change number ({last}).")


class InvalidSchoolYear(VerzuimError):
    spec = FaultSpec(
        "VZL-1019", "Client", "Invalid school year", "Schooljaar: two consecutive years, e.g. 2025-2026",
    )
    default_field = "Schooljaar"

    def __init__(self) -> None:
        super().__init__("Schooljaar holds two consecutive years, e.g. 2025-2026.")


class StudentAgeOutOfRange(VerzuimError):
    spec = FaultSpec(
        "VZL-1020", "Client", "Student's age outside compulsory education",
        "Leerling/Geboortedatum: the student is 5 to 23 years old on Begindatum",
    )
    default_field = "Geboortedatum"

    def __init__(self, low: int, high: int) -> None:
        super().__init__(f"Leerling/Geboortedatum: the student is not {low} to {high} years old on "
                         "Periode/Begindatum.")


class InvalidPostcode(VerzuimError):
    spec = FaultSpec(
        "VZL-1021", "Client", "Invalid Dutch postcode",
        "Adres/Postcode: 4 digits (first not 0), optional space, 2 letters, not SA/SD/SS",
    )
    default_field = "Postcode"

    def __init__(self, rule: str) -> None:
        super().__init__(f"Postcode is not a Dutch postcode: {rule}")
