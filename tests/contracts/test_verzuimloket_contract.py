"""The DUO Verzuimloket contract: published WSDL/XSD, the spyne service and the golden messages agree.

Spyne is called in-process through its WSGI application, with a CallContext in the reached as
the pipeline would put it. The counter's operations are replaced by fakes that record the domain
values they receive and answer fixed domain results, so these tests pin the service's mapping in
both directions: each golden request must reach the counter as the values below, and each fixed
result must leave as the golden response, valid against the published XSD (not spyne's own).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from ketencore import names as ns
from ketenserver import contracts
from ketenserver.absence import NAMESPACE as DUO_NAMESPACE
from ketenserver.absence import domain, service, wire
from ketenserver.absence.errors import UnknownReport
from ketenserver.absence.feature import FEATURE
from ketenserver.context import CallContext
from ketenserver.spyne_compat import load_spyne
from ketenserver.testing import FeatureOperations, feature_operations, operate
from tests import factories

load_spyne()

from spyne.util.xml import get_object_as_xml  # noqa: E402

KEY = "duo-verzuimloket"
TNS = DUO_NAMESPACE
XS = "http://www.w3.org/2001/XMLSchema"
GOLDEN = factories.GOLDEN / KEY
NOW = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.UTC)


# --- The domain values of the golden messages ----------------------------------------------------

PDF = (  # the attachment of IndienenVerzuimmelding.request.xml: a one-page PDF, blank
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
    b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n"
    b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"
)
PDF_NAME = "verzuimoverzicht-februari.pdf"
PDF_INFO = domain.AttachmentInfo(PDF_NAME, "application/pdf", 329,
                                 "90931468894fc1e30c13a209196d41f85d0c86adf8256b809b4c58b4e654887e")

ONDERWIJSNUMMER = "101234564"  # for a student without a BSN
STUDENT = domain.Student(
    bsn="999990019", onderwijsnummer=None, given_names="Sanne Maria", prefix="de", surname="Vries",
    birth_date=dt.date(2009, 5, 14), address=domain.Address("Oudegracht", 158, "bis", "3511 AB", "Utrecht"),
)
NEW_REPORT = domain.NewReport(
    student=STUDENT, brin="25LX", establishment="01", school_year="2025-2026", level="MBO niveau 2",
    learning_path="BOL", full_time=True, kind="ZESTIEN_UUR_O18",
    period=domain.Period(dt.date(2026, 2, 2), dt.date(2026, 2, 27)),
    presumed_reason="Vermoedelijk problemen thuis; ouders melden de leerling niet ziek.",
    explanation="Leerling mist vooral de eerste lesuren en soms hele dagen.",
    action_taken="Gesprek met leerling en ouders op 12 februari 2026.",
    action_explanation="Afspraken over aanwezigheid gemaakt; daarna opnieuw 9 lesuren verzuimd.",
    reporter=domain.Reporter("verzuim@rocutrecht.example.nl", "Verzuimcoördinator", "Joke Bakker", "030 123 4567"),
    all_lessons_missed=False, attachments=(domain.Attachment(PDF_NAME, PDF),),
)
UTRECHT = domain.Municipality("0344", "Utrecht")
REGISTERED_AT = dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
REGISTRATION = domain.Registration("2026000042", domain.Status.GEREGISTREERD, REGISTERED_AT, UTRECHT, (PDF_INFO,))

DAYS = (
    domain.AbsenceDay(dt.date(2026, 2, 3), whole_day=True),
    domain.AbsenceDay(dt.date(2026, 2, 5), whole_day=False, lesson_hours=(1, 2, 3)),
    domain.AbsenceDay(dt.date(2026, 2, 16), whole_day=False, lesson_hours=(5, 6)),  # HeleDag false on the wire
)
SPECIFICATION = domain.DaySpecification("2026000042", 3, True)

CLONE = domain.CloneRequest(
    "2026000042", domain.Period(dt.date(2026, 3, 2), dt.date(2026, 3, 6)),
    explanation="Verzuim houdt aan: de hele week niet op school verschenen.", all_lessons_missed=True,
)
CLONED_AT = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
CLONED = domain.Registration("2026000057", domain.Status.GEREGISTREERD, CLONED_AT, UTRECHT, (),
                             previous="2026000042")

WITHDRAWAL_REASON = "Ten onrechte gemeld: de leerling had die week een medische verklaring."
WITHDRAWN = domain.StatusChange("2026000057", domain.Status.INGETROKKEN)

REPLY = domain.Reply(
    5, "2026000042", domain.Status.IN_BEHANDELING,
    domain.Handler("Marieke Jansen", "030 286 0000", "leerplicht@utrecht.example.nl"),
    "Leerplichtambtenaar nodigt leerling en ouders uit voor een gesprek.",
    dt.datetime(2026, 3, 10, 13, 5, tzinfo=dt.UTC),
)
OTHER_REPLY = domain.Reply(
    7, "2026000031", domain.Status.TER_KENNISGEVING,
    domain.Handler("Ahmed El Amrani", "+31 30 400 1234", "leerplicht@rmc-utrecht.example.nl"),
    "Verzuim is verklaard door ziekenhuisopname; geen verdere actie.",
    dt.datetime(2026, 3, 10, 14, 40, tzinfo=dt.UTC),
)
REPORT = domain.Report(
    "2026000042", 5, domain.Status.IN_BEHANDELING, REGISTERED_AT, None, UTRECHT,
    content=dataclasses.replace(NEW_REPORT, attachments=()), attachments=(PDF_INFO,), days=DAYS,
    withdrawal=None, replies=(REPLY,),
)
FOLLOW_UP = domain.Report(
    "2026000057", 4, domain.Status.INGETROKKEN, CLONED_AT, "2026000042", UTRECHT,
    content=dataclasses.replace(NEW_REPORT, period=CLONE.period, explanation=CLONE.explanation,
                                all_lessons_missed=True, attachments=()),
    attachments=(), days=(), withdrawal=domain.Withdrawal(WITHDRAWAL_REASON, dt.datetime(2026, 3, 9, 14, 30,
                                                                                         tzinfo=dt.UTC)),
    replies=(),
)

# (operation, golden outcome, counter function, the values it must receive after the CallContext, its result)
CASES: list[tuple[str, str, str, tuple[Any, ...], Any]] = [
    ("IndienenVerzuimmelding", "geregistreerd", "submit", (NEW_REPORT,), REGISTRATION),
    ("AanleverenVerzuimdagspecificatie", "aangeleverd", "add_days", ("2026000042", DAYS), SPECIFICATION),
    ("KlonenVerzuimmelding", "geregistreerd", "clone", (CLONE,), CLONED),
    ("IntrekkenVerzuimmelding", "ingetrokken", "withdraw", ("2026000057", WITHDRAWAL_REASON), WITHDRAWN),
    ("OpvragenVerzuimmelding", "in-behandeling", "read", ("2026000042",), REPORT),
    ("SynchroniserenVerzuimmeldingen", "meer", "synchronise", (3, 1), domain.Page((FOLLOW_UP,), 4, True)),
    ("OphalenTerugmeldingen", "terugmeldingen", "replies", (0, None),
     domain.Page((REPLY, OTHER_REPLY), 7, False)),
]
COUNTER_FUNCTIONS = [function for _, _, function, _, _ in CASES]


# --- Fixtures and helpers ------------------------------------------------------------------------


def _application(validator: str | None) -> FeatureOperations:
    """The feature's operations as the server mounts them; with the XSD in front when ``validator``."""
    return feature_operations(FEATURE, validate=validator is not None)


@pytest.fixture(scope="module")
def app() -> FeatureOperations:
    return _application("lxml")


@dataclasses.dataclass
class Counter:
    """The fakes standing in for :mod:`ketenserver.absence.counter`: what each received, what it answers."""

    results: dict[str, Any]
    calls: list[tuple[str, CallContext, tuple[Any, ...]]] = dataclasses.field(default_factory=list)

    def fake(self, function: str) -> Callable[..., Any]:
        def record(call: CallContext, *args: Any) -> Any:
            self.calls.append((function, call, args))
            result = self.results[function]
            if isinstance(result, Exception):
                raise result
            return result
        return record


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch) -> Counter:
    fakes = Counter({function: result for _, _, function, _, result in CASES})
    for function in COUNTER_FUNCTIONS:
        monkeypatch.setattr(service.counter, function, fakes.fake(function))
    return fakes


def _call(application: FeatureOperations, body: bytes) -> tuple[str, etree._Element, dict[str, Any]]:
    """One Body element through the feature's operations: the status, the response and what it reached."""
    with Session() as session:  # unbound: the fakes never touch it
        call = CallContext(session=session, organisation_oin="00000007000025LX00000",
                           message_id="urn:uuid:5e2c1f0a-0000-4000-8000-000000000042", now=NOW, profile="2W-be-S")
        done = operate(application.call, etree.fromstring(body), call, schema=application.schema)
    return done.status, done.response, done.outcome


def _golden(name: str) -> etree._Element:
    return factories.golden(KEY, name)


def _request_body(operation: str) -> bytes:
    return factories.golden_body(KEY, f"{operation}.request.xml")


def _shape(element: etree._Element) -> tuple[Any, ...]:
    """Tag, trimmed text and children, recursively: equal for equal XML whatever the prefixes."""
    children = tuple(_shape(child) for child in element if isinstance(child.tag, str))
    return element.tag, (element.text or "").strip(), children


def _assert_valid(element: etree._Element) -> None:
    schema = contracts.schema_for(KEY)
    assert schema.validate(element), str(schema.error_log)


def _only_call(counter: Counter, reached: dict[str, Any], function: str) -> tuple[Any, ...]:
    """The values the one counter call received, after checking it got the request's CallContext."""
    assert [name for name, _, _ in counter.calls] == [function]
    _, call, args = counter.calls[0]
    assert call is reached["call"]
    return args


# --- Golden messages and the published files ----------------------------------------------------


GOLDEN_FILES = sorted(GOLDEN.glob("*.xml"))


def test_the_golden_set_is_complete() -> None:
    names = {path.name for path in GOLDEN_FILES}
    assert {op.name for op in contracts.operations(KEY)} == {operation for operation, *_ in CASES}
    assert {
        *(f"{operation}.request.xml" for operation, *_ in CASES),
        *(f"{operation}Response.{outcome}.xml" for operation, outcome, *_ in CASES),
    } <= names


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.name)
def test_every_golden_message_validates(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    _assert_valid(root)
    operations = {op.name: op for op in contracts.operations(KEY)}
    operation = operations[path.name.split(".")[0].removesuffix("Response")]
    expected = operation.input_element if path.name.endswith(".request.xml") else operation.output_element
    assert root.tag == expected


def test_the_golden_attachment_is_the_pdf_the_golden_replies_describe() -> None:
    content = _golden("IndienenVerzuimmelding.request.xml").findtext(f".//{{{TNS}}}Inhoud")
    assert content is not None and base64.b64decode(content, validate=True) == PDF
    assert domain.sniff_media_type(PDF) == PDF_INFO.media_type
    assert (len(PDF), hashlib.sha256(PDF).hexdigest()) == (PDF_INFO.size, PDF_INFO.sha256)
    for name in ("IndienenVerzuimmeldingResponse.geregistreerd.xml",
                 "OpvragenVerzuimmeldingResponse.in-behandeling.xml"):
        described = _golden(name).find(f".//{{{TNS}}}BijlageGegevens")
        assert described is not None
        assert described.findtext(ns.qn(TNS, "Grootte")) == str(PDF_INFO.size), name
        assert described.findtext(ns.qn(TNS, "Sha256")) == PDF_INFO.sha256, name


def test_the_golden_student_passes_the_check_digits() -> None:
    assert domain.is_valid_bsn(STUDENT.bsn or "")
    assert domain.is_valid_onderwijsnummer(ONDERWIJSNUMMER)
    assert domain.age_on(STUDENT.birth_date, NEW_REPORT.period.start) == 16  # ZESTIEN_UUR_O18: under 18


# WSDL actions, imports, service and port, and spyne's schema: tests/contracts/test_feature_contracts.py


# --- Golden requests in, golden responses out ----------------------------------------------------


@pytest.mark.parametrize(("operation", "outcome", "function", "received", "result"), CASES,
                         ids=[operation for operation, *_ in CASES])
def test_each_golden_request_reaches_the_counter_and_is_answered_as_its_golden_response(
    app: FeatureOperations, counter: Counter, operation: str, outcome: str, function: str, received: tuple[Any, ...],
    result: Any,
) -> None:
    status, response, reached = _call(app, _request_body(operation))
    assert status.startswith("200"), etree.tostring(response)
    assert "error" not in reached
    assert _only_call(counter, reached, function) == received
    _assert_valid(response)
    assert _shape(response) == _shape(_golden(f"{operation}Response.{outcome}.xml"))


def test_a_submitted_report_reaches_the_counter_field_by_field(app: FeatureOperations, counter: Counter) -> None:
    _, _, reached = _call(app, _request_body("IndienenVerzuimmelding"))
    (report,) = _only_call(counter, reached, "submit")
    assert isinstance(report, domain.NewReport)
    for field in dataclasses.fields(domain.Student):
        assert getattr(report.student, field.name) == getattr(STUDENT, field.name), field.name
    assert type(report.student.birth_date) is dt.date
    assert report.student.address == STUDENT.address and type(report.student.address.house_number) is int
    for field in dataclasses.fields(domain.NewReport):
        if field.name not in ("student", "attachments"):
            assert getattr(report, field.name) == getattr(NEW_REPORT, field.name), field.name
    assert report.full_time is True and report.all_lessons_missed is False
    (attachment,) = report.attachments
    assert attachment.file_name == PDF_NAME
    assert type(attachment.content) is bytes and attachment.content == PDF
    assert attachment.media_type == "application/pdf"


def test_a_day_specification_reaches_the_counter_day_by_day(app: FeatureOperations, counter: Counter) -> None:
    _, _, reached = _call(app, _request_body("AanleverenVerzuimdagspecificatie"))
    meldingnummer, days = _only_call(counter, reached, "add_days")
    assert meldingnummer == "2026000042"
    assert len(days) == len(DAYS)
    for got, expected in zip(days, DAYS, strict=True):
        assert type(got.day) is dt.date and got.day == expected.day
        assert got.whole_day is expected.whole_day, got.day  # HeleDag absent or false: not a whole day
        assert tuple(got.lesson_hours) == expected.lesson_hours, got.day


def test_a_part_time_report_without_bsn_or_attachments_maps_to_none_and_nothing(
    app: FeatureOperations, counter: Counter
) -> None:
    request = _golden("IndienenVerzuimmelding.request.xml")
    bsn, bijlagen = request.find(f".//{{{TNS}}}Bsn"), request.find(ns.qn(TNS, "Bijlagen"))
    assert bsn is not None and bijlagen is not None
    bsn.tag, bsn.text = ns.qn(TNS, "Onderwijsnummer"), ONDERWIJSNUMMER
    request.remove(bijlagen)
    for name, value in (("Voltijd", "false"), ("AlleLessenVerzuimd", "true")):
        flag = request.find(ns.qn(TNS, name))
        assert flag is not None
        flag.text = value
    _assert_valid(request)
    _, _, reached = _call(app, etree.tostring(request))
    (report,) = _only_call(counter, reached, "submit")
    assert (report.student.bsn, report.student.onderwijsnummer) == (None, ONDERWIJSNUMMER)
    assert report.attachments == ()
    assert (report.full_time, report.all_lessons_missed) == (False, True)


def test_a_clone_without_the_optional_elements_leaves_them_to_the_counter(
        app: FeatureOperations, counter: Counter) -> None:
    request = _golden("KlonenVerzuimmelding.request.xml")
    for name in ("Toelichting", "AlleLessenVerzuimd"):
        element = request.find(ns.qn(TNS, name))
        assert element is not None
        request.remove(element)
    _, _, reached = _call(app, etree.tostring(request))
    assert _only_call(counter, reached, "clone") == (domain.CloneRequest("2026000042", CLONE.period),)


def test_optional_elements_of_a_report_serialise_valid() -> None:
    """Onderwijsnummer, a report without optional texts: in no golden answer, so checked here."""
    student = dataclasses.replace(STUDENT, bsn=None, onderwijsnummer=ONDERWIJSNUMMER, prefix=None,
                                  address=dataclasses.replace(STUDENT.address, house_number_suffix=None))
    content = dataclasses.replace(NEW_REPORT, student=student, presumed_reason=None, explanation=None,
                                  action_taken=None, action_explanation=None, attachments=(),
                                  reporter=dataclasses.replace(NEW_REPORT.reporter, phone=None))
    content = dataclasses.replace(content, full_time=False)
    report = dataclasses.replace(REPORT, content=content, days=(), replies=(), attachments=())
    element = get_object_as_xml(service.verzuimmelding(report), wire.models().Verzuimmelding)
    _assert_valid(element)
    assert element.findtext(ns.qn(TNS, "Voltijd")) == "false"
    assert element.findtext(f".//{{{TNS}}}Onderwijsnummer") == ONDERWIJSNUMMER
    for absent in ("Bsn", "Voorvoegsel", "HuisnummerToevoeging", "VermoedelijkeReden", "Toelichting", "Telefoon",
                   "Intrekking", "VorigMeldingnummer"):
        assert element.find(f".//{{{TNS}}}{absent}") is None, absent
    assert element.findtext(f".//{{{TNS}}}ZichtbaarVoorGemeente") == "false"


@pytest.mark.parametrize("operation", ["SynchroniserenVerzuimmeldingen", "OphalenTerugmeldingen"])
def test_an_empty_last_page_says_so(app: FeatureOperations, counter: Counter, operation: str) -> None:
    function = "synchronise" if operation == "SynchroniserenVerzuimmeldingen" else "replies"
    counter.results[function] = domain.Page((), 7, False)
    status, response, _ = _call(app, _request_body(operation))
    assert status.startswith("200"), etree.tostring(response)
    _assert_valid(response)
    children = [(etree.QName(e).localname, e.text) for e in response]
    assert children == [("VolgendeCursor", "7"), ("Meer", "false")]


# --- Refusals ----------------------------------------------------------------------------------


def test_a_counter_refusal_reaches_the_pipeline_untouched(app: FeatureOperations, counter: Counter) -> None:
    counter.results["read"] = UnknownReport()
    status, response, reached = _call(app, _request_body("OpvragenVerzuimmelding"))
    assert status.startswith("500") and response.tag == ns.FAULT_TAG
    error = reached["error"]
    assert isinstance(error, UnknownReport) and error.code == "VZL-1012"


def test_spyne_validation_refuses_before_the_counter(app: FeatureOperations, counter: Counter) -> None:
    request = _golden("AanleverenVerzuimdagspecificatie.request.xml")
    hour = request.find(f".//{{{TNS}}}Lesuur")
    assert hour is not None
    hour.text = "13"
    assert not contracts.schema_for(KEY).validate(request)
    status, response, reached = _call(app, etree.tostring(request))
    assert status.startswith("500") and response.tag == ns.FAULT_TAG
    assert "error" not in reached and counter.calls == []
