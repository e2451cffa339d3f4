"""Werkplekduaal exceptions (Uitzonderingen): the codes this counter answers with, and the errors that carry them.

Under the MAGDA profile a business refusal is not a SOAP fault: the counter answers with a normal
``Repliek`` whose ``Uitzonderingen/Uitzondering`` holds the code (``Identificatie``, e.g.
``WPD-1043``), the type ``FOUT``, the diagnose and the field (``ketenserver.werkplekduaal.magda``).
Nothing of a refused request is stored. Technical refusals (TLS, signature, XSD) stay SOAP faults
with the kit's numbers, as MAGDA's own services answer them.

    RuleError
    └── WerkplekduaalError
        ├── context      WPD-1001..1004  the Context: service, version, sender, capacity
        ├── identifiers  WPD-1010..1015  rijksregisternummer, KBO numbers, opleiding
        ├── requests     WPD-1020..1034  recognition requests, mentors, attachments, decisions
        ├── agreements   WPD-1040..1052  the three kinds of agreement and their changes
        ├── tasks        WPD-1060..1064  the provider's dashboard tasks
        └── search       WPD-1070..1071  available workplaces

Messages describe the rule and never echo personal data (the journal keeps the message).
"""

from __future__ import annotations

from ketencore.errors import RuleError
from ketencore.faults import FaultSpec


class WerkplekduaalError(RuleError):
    """A refusal by a werkplekduaal rule; answered as an Uitzondering of type FOUT."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)


def _spec(code: str, title: str, rule: str) -> FaultSpec:
    return FaultSpec(code, "Client", title, rule)


# ------------------------------------------------------------------------------------- context
class UnknownService(WerkplekduaalError):
    spec = _spec("WPD-1001", "Unknown service or version",
                 "Context/Naam: the operation's service name; Context/Versie: 02.00.0000")
    default_field = "Context"


class SenderNotCaller(WerkplekduaalError):
    spec = _spec("WPD-1002", "Sender is not the caller",
                 "Afzender/Identificatie: the KBO enterprise number in the caller's certificate")
    default_field = "Identificatie"


class CapacityNotAllowed(WerkplekduaalError):
    spec = _spec("WPD-1003", "Capacity not allowed for this question",
                 "Afzender/Hoedanigheid: OPLEIDINGSVERSTREKKER for agreements, tasks and workplaces; "
                 "TRAJECTBEGELEIDER (a provider or coach organisation) for recognition requests")
    default_field = "Hoedanigheid"


class UnknownSender(WerkplekduaalError):
    spec = _spec("WPD-1004", "Sender unknown to the counter",
                 "Afzender: a training provider or trajectory-coach organisation the counter knows")
    default_field = "Identificatie"


# --------------------------------------------------------------------------------- identifiers
class InvalidRijksregisternummer(WerkplekduaalError):
    spec = _spec("WPD-1010", "Invalid rijksregisternummer",
                 "Rijksregisternummer: 11 digits, a real date (BIS: month + 20 or + 40), check 97 - mod 97")
    default_field = "Rijksregisternummer"


class InvalidEnterpriseNumber(WerkplekduaalError):
    spec = _spec("WPD-1011", "Invalid enterprise number",
                 "Ondernemingsnummer: 10 digits, first 0 or 1, last two = 97 - (first eight mod 97)")
    default_field = "Ondernemingsnummer"


class InvalidEstablishmentNumber(WerkplekduaalError):
    spec = _spec("WPD-1012", "Invalid establishment number",
                 "Vestigingsnummer: 10 digits, first 2 to 8, last two = 97 - (first eight mod 97)")
    default_field = "Vestigingsnummer"


class UnknownEnterprise(WerkplekduaalError):
    spec = _spec("WPD-1013", "Enterprise unknown or stopped",
                 "Ondernemingsnummer: an active enterprise in KBO")
    default_field = "Ondernemingsnummer"


class UnknownEstablishment(WerkplekduaalError):
    spec = _spec("WPD-1014", "Establishment unknown, stopped or of another enterprise",
                 "Vestigingsnummer: an active establishment of the enterprise named, in KBO")
    default_field = "Vestigingsnummer"


class UnknownOpleiding(WerkplekduaalError):
    spec = _spec("WPD-1015", "Unknown opleiding",
                 "Opleiding: a code of the counter's table of dual opleidingen (GeefOpleidingen)")
    default_field = "Opleiding"


# ------------------------------------------------------------------------ recognition requests
class MandateMissing(WerkplekduaalError):
    spec = _spec("WPD-1020", "Mandate missing",
                 "Machtiging: a trajectory coach files on a company's behalf only with the mandate "
                 "document the company signed (a PDF)")
    default_field = "Machtiging"


class DeclarationOutdated(WerkplekduaalError):
    spec = _spec("WPD-1021", "Declaration on honour in an older version",
                 "VerklaringOpEer/Versie: the current version of the declaration (since 2 September 2019)")
    default_field = "Versie"


class NoMentor(WerkplekduaalError):
    spec = _spec("WPD-1022", "No mentor", "Mentoren: at least one mentor per request")
    default_field = "Mentoren"


class MentorTooYoung(WerkplekduaalError):
    spec = _spec("WPD-1023", "Mentor too young",
                 "Mentor/Geboortedatum: at least 25 on the day of filing (23 with relevant prior education)")
    default_field = "Geboortedatum"


class MentorInexperienced(WerkplekduaalError):
    spec = _spec("WPD-1024", "Mentor without enough experience",
                 "Mentor/JarenErvaring: at least 5 years of relevant experience")
    default_field = "JarenErvaring"


class CriminalRecordExtract(WerkplekduaalError):
    spec = _spec("WPD-1025", "Criminal-record extract missing or of the wrong model",
                 "Mentor/Strafregisteruittreksel: an extract model 596.2 (work with minors) as a PDF, "
                 "required since 2 September 2019")
    default_field = "Strafregisteruittreksel"


class MentorTrainingNotCommitted(WerkplekduaalError):
    spec = _spec("WPD-1026", "Mentor training not committed",
                 "Mentor/EngagementMentoropleiding: the mentor commits to a mentor training within a year")
    default_field = "EngagementMentoropleiding"


class MentorTwice(WerkplekduaalError):
    spec = _spec("WPD-1027", "Mentor named twice", "Mentoren: each mentor (Rijksregisternummer) once")
    default_field = "Rijksregisternummer"


class AttachmentTypeRefused(WerkplekduaalError):
    spec = _spec("WPD-1028", "Attachment is not a PDF",
                 "Document/Inhoud: a PDF file, recognised by its content (not its name)")
    default_field = "Inhoud"


class AttachmentSize(WerkplekduaalError):
    spec = _spec("WPD-1029", "Attachment too small or too large",
                 "Document/Inhoud: between attachment_min_bytes (200 bytes) and attachment_max_bytes "
                 "(2 MiB) decoded")
    default_field = "Inhoud"


class RequestPending(WerkplekduaalError):
    spec = _spec("WPD-1030", "A request for this workplace is pending or recognised",
                 "Vestigingsnummer/Opleiding: no second request while one is being decided or the "
                 "recognition runs")
    default_field = "Vestigingsnummer"


class UnknownRequest(WerkplekduaalError):
    spec = _spec("WPD-1031", "Unknown recognition request",
                 "Aanvraagnummer: a request the sender filed (another's is answered as unknown)")
    default_field = "Aanvraagnummer"


class RequestDecided(WerkplekduaalError):
    spec = _spec("WPD-1032", "Request decided already",
                 "a partnership decides a request once, while it is assigned")
    default_field = "Aanvraagnummer"


class RecognitionNotActive(WerkplekduaalError):
    spec = _spec("WPD-1033", "Recognition not active",
                 "a recognition is withdrawn (or its withdrawal appealed) only while it runs")
    default_field = "Erkenningsnummer"


class ReasonMissing(WerkplekduaalError):
    spec = _spec("WPD-1034", "Reason missing", "a refusal or withdrawal names its reason")
    default_field = "Reden"


# ---------------------------------------------------------------------------------- agreements
class HoursForKind(WerkplekduaalError):
    spec = _spec("WPD-1040", "Hours per week do not fit the kind of agreement",
                 "UrenPerWeek: stageovereenkomst under 20 hours; overeenkomst alternerende opleiding and "
                 "deeltijdse arbeidsovereenkomst at least 20; at most 38")
    default_field = "UrenPerWeek"


class AllowanceForKind(WerkplekduaalError):
    spec = _spec("WPD-1041", "Allowance does not fit the kind of agreement",
                 "Leervergoeding: none for a stageovereenkomst; at most 520 euro a month for an "
                 "overeenkomst alternerende opleiding; a wage (not this field) for a deeltijdse "
                 "arbeidsovereenkomst")
    default_field = "Leervergoeding"


class KindNotInSector(WerkplekduaalError):
    spec = _spec("WPD-1042", "Kind of agreement not allowed in the sector",
                 "Soort: a deeltijdse arbeidsovereenkomst only in a sector (joint committee) that allows it")
    default_field = "Soort"


class NoRecognition(WerkplekduaalError):
    spec = _spec("WPD-1043", "Workplace not recognised on the start date",
                 "Vestigingsnummer/Opleiding: the establishment holds a running recognition for the "
                 "opleiding on Startdatum (not withdrawn, not under appeal)")
    default_field = "Vestigingsnummer"


class InvalidPeriod(WerkplekduaalError):
    spec = _spec("WPD-1044", "Period ends before it starts", "Einddatum: after Startdatum")
    default_field = "Einddatum"


class MentorNotOfRecognition(WerkplekduaalError):
    spec = _spec("WPD-1045", "Mentor not recognised for the workplace",
                 "Mentor/Rijksregisternummer: a mentor of the recognition of that establishment and opleiding")
    default_field = "Rijksregisternummer"


class AgreementOverlaps(WerkplekduaalError):
    spec = _spec("WPD-1046", "Student has a running agreement for the opleiding",
                 "Leerling: one running agreement per student and opleiding in a period")
    default_field = "Leerling"


class UnknownAgreement(WerkplekduaalError):
    spec = _spec("WPD-1047", "Unknown agreement",
                 "Overeenkomstnummer: an agreement of the sender (another provider's is answered as unknown)")
    default_field = "Overeenkomstnummer"


class AgreementEnded(WerkplekduaalError):
    spec = _spec("WPD-1048", "Agreement ended", "an ended agreement cannot be amended or ended again")
    default_field = "Overeenkomstnummer"


class EndDateOutsidePeriod(WerkplekduaalError):
    spec = _spec("WPD-1049", "Early end outside the agreement's period",
                 "Einddatum: on or after Startdatum and before the agreed Einddatum")
    default_field = "Einddatum"


class TimetableHours(WerkplekduaalError):
    spec = _spec("WPD-1050", "Timetable does not add up",
                 "Uurrooster: each weekday once, 0 to 10 hours a day, the days adding up to UrenPerWeek")
    default_field = "Uurrooster"


class NothingToAmend(WerkplekduaalError):
    spec = _spec("WPD-1051", "Amendment changes nothing", "Wijziging: at least one value that differs")
    default_field = "Wijziging"


class AddendumOpen(WerkplekduaalError):
    spec = _spec("WPD-1052", "An addendum is still open",
                 "an agreement with an unregistered addendum is amended again only after that addendum")
    default_field = "Overeenkomstnummer"


# --------------------------------------------------------------------------------------- tasks
class UnknownTask(WerkplekduaalError):
    spec = _spec("WPD-1060", "Unknown task",
                 "Taaknummer: a task on the sender's dashboard (another provider's is answered as unknown)")
    default_field = "Taaknummer"


class OptionNotAllowed(WerkplekduaalError):
    spec = _spec("WPD-1061", "Option not allowed for this task",
                 "Optie: one of the task's options (Adreswijziging: AANPASSEN or BEEINDIGEN; Opheffing: "
                 "BEEINDIGEN; Addendum: REGISTREREN; Overeenkomst ontbreekt: STOPZETTEN)")
    default_field = "Optie"


class TaskClosed(WerkplekduaalError):
    spec = _spec("WPD-1062", "Task closed", "a task is resolved once")
    default_field = "Taaknummer"


class CursorNotIssued(WerkplekduaalError):
    spec = _spec("WPD-1063", "Cursor not issued", "Cursor: a value the counter gave the sender")
    default_field = "Cursor"


class AddendumUnsigned(WerkplekduaalError):
    spec = _spec("WPD-1064", "Addendum not signed",
                 "Addendum: registered with the document signed by the parties (a PDF)")
    default_field = "OndertekendDocument"


# -------------------------------------------------------------------------------------- search
class UnknownRegion(WerkplekduaalError):
    spec = _spec("WPD-1070", "Unknown region",
                 "Provincie: a Flemish province or Brussel (ANTWERPEN, LIMBURG, OOST_VLAANDEREN, "
                 "VLAAMS_BRABANT, WEST_VLAANDEREN, BRUSSEL)")
    default_field = "Provincie"


class PageTokenInvalid(WerkplekduaalError):
    spec = _spec("WPD-1071", "Page token invalid", "Vervolg: a token the counter gave for this search")
    default_field = "Vervolg"
