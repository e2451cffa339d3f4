"""The SBB recognitions contract: published WSDL/XSD, the spyne service and the golden messages agree.

Spyne is called in-process through its WSGI application, with a CallContext in the reached as
the pipeline would put it; responses are checked against the published XSD (not spyne's own)
and against the hand-written golden messages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from ketencore import names as ns
from ketencore.errors import BusinessError
from ketencore.faults import Fault, fault_body, rule_faults
from ketenserver import contracts
from ketenserver.context import CallContext
from ketenserver.db import Base, make_engine, make_session_factory
from ketenserver.recognitions import NAMESPACE as SBB_NAMESPACE
from ketenserver.recognitions import domain, errors, seed, wire
from ketenserver.recognitions.feature import FEATURE
from ketenserver.recognitions.service import identification_response
from ketenserver.spyne_compat import load_spyne
from ketenserver.testing import FeatureOperations, feature_operations, operate
from tests import factories

load_spyne()

from spyne.util.xml import get_object_as_xml  # noqa: E402

KEY = "sbb-erkenningen"
TNS = SBB_NAMESPACE
XS = "http://www.w3.org/2001/XMLSchema"
GOLDEN = factories.GOLDEN / KEY
NOW = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC)


# --- Fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('sbb') / 'contract.sqlite3'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        seed.seed(session, 0, companies=60)
        session.commit()
    yield factory
    engine.dispose()


def _application(validator: str | None) -> FeatureOperations:
    """The feature's operations as the server mounts them; with the XSD in front when ``validator``."""
    return feature_operations(FEATURE, validate=validator is not None)


@pytest.fixture(scope="module")
def app() -> FeatureOperations:
    return _application("lxml")


def _call(
    application: FeatureOperations, sessions: sessionmaker[Session], body: bytes
) -> tuple[str, etree._Element, dict[str, Any]]:
    """One Body element through the feature's operations: the status, the response and what it reached."""
    with sessions() as session:
        call = CallContext(session=session, organisation_oin="00000099000000000101",
                           message_id="urn:uuid:5e2c1f0a-0000-4000-8000-000000000001", now=NOW, profile="2W-be-S")
        done = operate(application.call, etree.fromstring(body), call, schema=application.schema)
        session.rollback()
    return done.status, done.response, done.outcome


def _request(name: str, postcode: str, house_number: int | None = None) -> bytes:
    element = etree.Element(ns.qn(TNS, "VaststellenLeerbedrijf"), nsmap={None: TNS})
    etree.SubElement(element, ns.qn(TNS, "Naam")).text = name
    etree.SubElement(element, ns.qn(TNS, "Postcode")).text = postcode
    if house_number is not None:
        etree.SubElement(element, ns.qn(TNS, "Huisnummer")).text = str(house_number)
    serialised: bytes = etree.tostring(element)
    return serialised


def _golden(name: str) -> etree._Element:
    return factories.golden(KEY, name)


def _shape(element: etree._Element) -> tuple[Any, ...]:
    """Tag, trimmed text and children, recursively: equal for equal XML whatever the prefixes."""
    children = tuple(_shape(child) for child in element if isinstance(child.tag, str))
    return element.tag, (element.text or "").strip(), children


def _assert_valid(element: etree._Element) -> None:
    schema = contracts.schema_for(KEY)
    assert schema.validate(element), str(schema.error_log)


# --- Golden messages and the published files ----------------------------------------------------


GOLDEN_FILES = sorted(GOLDEN.glob("*.xml"))


def test_the_golden_set_is_complete() -> None:
    names = {path.name for path in GOLDEN_FILES}
    assert {
        "VaststellenLeerbedrijf.request.xml",
        "VaststellenLeerbedrijfResponse.erkend.xml",
        "VaststellenLeerbedrijfResponse.niet-erkend.xml",
        "VaststellenLeerbedrijfResponse.niet-gevonden.xml",
        "NatrekkenErkenning.request.xml",
        "OpvragenDetailgegevens.request.xml",
        "OpvragenErkenningen.request.xml",
        *(f"{operation}Response.{outcome}.xml" for operation, outcome, _ in NEW_OUTCOMES),
        *(f"{operation}.request.xml" for operation, _ in STATE_CHANGING_GOLDEN),
        *(f"{operation}Response.{outcome}.xml" for operation, outcome in STATE_CHANGING_GOLDEN),
        "OpvragenBpvOvereenkomstenResponse.vervolg.xml", "OpvragenStatusErkenningsvoordrachtResponse.erkend.xml",
        "OpvragenAbonnementenResponse.gevonden.xml", "OphalenMutatiesResponse.mutaties.xml",
    } <= names


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.name)
def test_every_golden_message_validates(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    _assert_valid(root)
    operations = {op.name: op for op in contracts.operations(KEY)}
    operation = operations[path.name.split(".")[0].removesuffix("Response")]
    expected = operation.input_element if path.name.endswith(".request.xml") else operation.output_element
    assert root.tag == expected


def test_the_schema_refuses_what_the_rules_refuse() -> None:
    request = _golden("VaststellenLeerbedrijf.request.xml")
    postcode = request.find(ns.qn(TNS, "Postcode"))
    assert postcode is not None
    for bad in ("0123AB", "1234SA", "1234 sd", "1234  AB", "12345AB", "1234A"):
        postcode.text = bad
        assert not contracts.schema_for(KEY).validate(request), bad
    for good in ("1234AB", "1234 ab", "9999 ZZ", "1234SB"):
        postcode.text = good
        _assert_valid(request)


# WSDL actions, imports, service and port, and spyne's schema: tests/contracts/test_feature_contracts.py


OUTCOMES = [
    ("erkend", None),
    ("niet-erkend", _request("Autobedrijf Jansen", "3526KS")),
    ("niet-gevonden", _request("Bakkerij de Vries", "3526KS")),
    ("meerdere", _request("Schildersbedrijf Bakker", "2517 AB")),
]


@pytest.mark.parametrize(("outcome", "request_body"), OUTCOMES, ids=[o for o, _ in OUTCOMES])
def test_spyne_answers_each_outcome_valid_and_as_the_golden_message(
    app: FeatureOperations, sessions: sessionmaker[Session], outcome: str, request_body: bytes | None
) -> None:
    if request_body is None:
        request_body = factories.golden_body(KEY, "VaststellenLeerbedrijf.request.xml")
    status, response, reached = _call(app, sessions, request_body)
    assert status.startswith("200"), etree.tostring(response)
    assert "error" not in reached
    _assert_valid(response)
    assert _shape(response) == _shape(_golden(f"VaststellenLeerbedrijfResponse.{outcome}.xml"))


def _element(operation: str, **children: str) -> bytes:
    element = etree.Element(ns.qn(TNS, operation), nsmap={None: TNS})
    for name, text in children.items():
        etree.SubElement(element, ns.qn(TNS, name)).text = text
    serialised: bytes = etree.tostring(element)
    return serialised


def _verify(leerbedrijf_id: str, crebo: str, day: str) -> bytes:
    return _element("NatrekkenErkenning", LeerbedrijfId=leerbedrijf_id, Crebo=crebo, Begindatum=day)


NEW_OUTCOMES = [
    ("NatrekkenErkenning", "erkend", _verify("100000001", "25173", "2025-09-01")),
    ("NatrekkenErkenning", "ingetrokken", _verify("100000001", "25183", "2024-09-01")),
    ("NatrekkenErkenning", "nog-niet-ingegaan", _verify("100000004", "25030", "2019-09-01")),
    ("NatrekkenErkenning", "beeindigd", _verify("100000005", "25480", "2025-09-01")),
    ("NatrekkenErkenning", "andere-kwalificatie", _verify("100000001", "25242", "2025-09-01")),
    ("NatrekkenErkenning", "geen-erkenning", _verify("100000002", "25173", "2025-09-01")),
    ("OpvragenDetailgegevens", "gevonden", _element("OpvragenDetailgegevens", LeerbedrijfId="100000005")),
    ("OpvragenErkenningen", "gevonden", _element("OpvragenErkenningen", Bedrijfsnaam="bakk vri")),
    ("OpvragenErkenningen", "vervolg", _element("OpvragenErkenningen", Crebo="25491", PaginaGrootte="1")),
    ("OpvragenErkenningen", "niets-gevonden", _element("OpvragenErkenningen", Bedrijfsnaam="bestaat niet")),
]


@pytest.mark.parametrize(("operation", "outcome", "request_body"), NEW_OUTCOMES,
                         ids=[f"{o}-{r}" for o, r, _ in NEW_OUTCOMES])
def test_each_outcome_of_the_other_operations_is_valid_and_as_the_golden_message(
    app: FeatureOperations, sessions: sessionmaker[Session], operation: str, outcome: str, request_body: bytes
) -> None:
    status, response, reached = _call(app, sessions, request_body)
    assert status.startswith("200"), etree.tostring(response)
    assert "error" not in reached
    _assert_valid(response)
    assert _shape(response) == _shape(_golden(f"{operation}Response.{outcome}.xml"))


def test_the_golden_requests_are_answered_as_their_first_golden_response(
    app: FeatureOperations, sessions: sessionmaker[Session]
) -> None:
    for operation, outcome in (("NatrekkenErkenning", "erkend"), ("OpvragenDetailgegevens", "gevonden"),
                               ("OpvragenErkenningen", "gevonden")):
        body = factories.golden_body(KEY, f"{operation}.request.xml")
        _, response, _ = _call(app, sessions, body)
        assert _shape(response) == _shape(_golden(f"{operation}Response.{outcome}.xml")), operation


STATE_CHANGING_GOLDEN = [
    ("RegistrerenBpvOvereenkomst", "geregistreerd"),
    ("IndienenErkenningsvoordracht", "ontvangen"),
    ("AanmeldenMutatieabonnement", "aangemeld"),
]


@pytest.mark.parametrize(("operation", "outcome"), STATE_CHANGING_GOLDEN, ids=[o for o, _ in STATE_CHANGING_GOLDEN])
def test_golden_requests_of_state_changing_operations_get_their_golden_reply(
    app: FeatureOperations, sessions: sessionmaker[Session], operation: str, outcome: str
) -> None:
    """On the fresh contract database (each call rolled back), so ids and references start at 1."""
    body = factories.golden_body(KEY, f"{operation}.request.xml")
    status, response, reached = _call(app, sessions, body)
    assert status.startswith("200") and "error" not in reached, etree.tostring(response)
    _assert_valid(response)
    assert _shape(response) == _shape(_golden(f"{operation}Response.{outcome}.xml"))


BUSINESS_FAULTS = [
    (_verify("999999999", "25173", "2025-09-01"), "SBB-1001", "LeerbedrijfId"),
    (_verify("100000001", "25173", "1999-12-31"), "SBB-1005", "Begindatum"),
    (_verify("100000001", "25173", "2027-03-02"), "SBB-1005", "Begindatum"),
    (_element("OpvragenDetailgegevens", LeerbedrijfId="999999999"), "SBB-1001", "LeerbedrijfId"),
    (_element("OpvragenErkenningen", Plaats="Amsterdam"), "SBB-1006", "OpvragenErkenningen"),
    (_element("OpvragenErkenningen", Bedrijfsnaam="--"), "SBB-1009", "Bedrijfsnaam"),
    (_element("OpvragenErkenningen", Crebo="25491", VervolgToken="bm90IG91cnM"), "SBB-1007", "VervolgToken"),
    (_element("RegistrerenBpvOvereenkomst", Studentnummer="1", LeerbedrijfId="100000002", Crebo="25173",
              Begindatum="2025-09-01", GeplandeEinddatum="2026-01-31", Leerweg="BOL"), "SBB-1010", "Crebo"),
    (_element("RegistrerenBpvOvereenkomst", Studentnummer="1", LeerbedrijfId="100000001", Crebo="25173",
              Begindatum="2025-09-01", GeplandeEinddatum="2025-08-31", Leerweg="BOL"), "SBB-1012",
     "GeplandeEinddatum"),
    (_element("WijzigenBpvOvereenkomst", OvereenkomstId="4242", Leerweg="BBL"), "SBB-1011", "OvereenkomstId"),
    (_element("BeeindigenBpvOvereenkomst", OvereenkomstId="4242", Einddatum="2025-09-01", Reden="x"), "SBB-1011",
     "OvereenkomstId"),
    (_element("OpvragenStatusErkenningsvoordracht", Referentie="EV-000042"), "SBB-1015", "Referentie"),
    (_element("OphalenMutaties"), "SBB-1016", "Mutatieabonnement"),
    (_element("BevestigenMutaties", TotEnMetVolgnummer="1"), "SBB-1016", "Mutatieabonnement"),
]


@pytest.mark.parametrize(("request_body", "code", "field"), BUSINESS_FAULTS,
                         ids=[f"{c}-{i}" for i, (_, c, _) in enumerate(BUSINESS_FAULTS)])
def test_business_rules_of_the_other_operations_answer_their_fault(
    app: FeatureOperations, sessions: sessionmaker[Session], request_body: bytes, code: str, field: str
) -> None:
    status, response, reached = _call(app, sessions, request_body)
    assert status.startswith("500") and response.tag == ns.FAULT_TAG
    error = reached["error"]
    assert isinstance(error, BusinessError)
    assert (error.code, error.field) == (code, field)


def test_the_last_supported_date_is_still_answered(app: FeatureOperations, sessions: sessionmaker[Session]) -> None:
    status, response, _ = _call(app, sessions, _verify("100000001", "25173", "2027-03-01"))
    assert status.startswith("200") and response.findtext(ns.qn(TNS, "Erkend")) == "true"


def test_the_schema_refuses_a_page_size_above_100(app: FeatureOperations, sessions: sessionmaker[Session]) -> None:
    body = _element("OpvragenErkenningen", Crebo="25491", PaginaGrootte="101")
    status, _response, reached = _call(app, sessions, body)
    assert status.startswith("500") and "error" not in reached  # spyne's XSD check, before the domain
    assert not contracts.schema_for(KEY).validate(etree.fromstring(body))


def test_optional_elements_serialise_valid() -> None:
    """House-number addition and end date appear in no demo answer: check them here."""
    company = domain.Company(
        "123456789", "Hoveniersbedrijf 't Groen", "12345678",
        domain.Address("Dorpsstraat", 7, "BIS", "9711AB", "Groningen"),
    )
    recognition = domain.Recognition(  # withdrawal announced for 2026: Einddatum is the day before
        "25452", "Medewerker hovenier", 2, dt.date(2020, 1, 1), end=dt.date(2027, 7, 31),
        withdrawn_on=dt.date(2026, 1, 1),
    )
    result = domain.Identification(domain.Signaalcode.ERKEND, "Erkend leerbedrijf gevonden.",
                                   (domain.Match(company, (recognition,)),))
    element = get_object_as_xml(identification_response(result), wire.models().VaststellenLeerbedrijfResponse)
    _assert_valid(element)
    assert element.findtext(f".//{{{TNS}}}Einddatum") == "2025-12-31"
    assert element.findtext(f".//{{{ns.COMMON}}}HuisnummerToevoeging") == "BIS"
    assert element.find(f".//{{{TNS}}}KvkVestigingsnummer") is None


# --- Faults ------------------------------------------------------------------------------------


def test_a_postcode_the_xsd_would_refuse_reaches_the_pipeline_as_sbb_1002(
    sessions: sessionmaker[Session],
) -> None:
    """Without XSD validation in spyne, the domain rule is the authority and names the field."""
    status, response, reached = _call(_application(None), sessions, _request("Bakkerij de Vries", "1234 SA"))
    assert status.startswith("500") and response.tag == ns.FAULT_TAG
    error = reached["error"]
    assert isinstance(error, BusinessError)
    assert (error.code, error.field) == ("SBB-1002", "Postcode")


def test_spyne_validation_refuses_before_the_domain(
    app: FeatureOperations, sessions: sessionmaker[Session]
) -> None:
    status, response, reached = _call(app, sessions, _request("Bakkerij de Vries", "0123AB"))
    assert status.startswith("500") and response.tag == ns.FAULT_TAG
    assert "error" not in reached


@pytest.mark.parametrize("spec", rule_faults(errors), ids=lambda s: s.code)
def test_every_sbb_fault_detail_validates_against_fault_xsd(spec: Any) -> None:
    detail = fault_body(Fault(spec, "message", "Postcode", with_detail=True)).find("detail")
    assert detail is not None and len(detail) == 1
    assert contracts.fault_schema().validate(detail[0]), str(contracts.fault_schema().error_log)
    assert detail[0].findtext(ns.qn(ns.FAULT, "Code")) == spec.code


def test_sbb_fault_codes_are_unique_and_prefixed() -> None:
    codes = [spec.code for spec in rule_faults(errors)]
    assert len(set(codes)) == len(codes)
    assert all(code.startswith("SBB-") and code[4:].isdigit() for code in codes)
    assert all(spec.faultcode == "Client" for spec in rule_faults(errors))


# --- Loading contracts safely -------------------------------------------------------------------


def _contracts_at(root: Path, schema: str) -> contracts.ContractSet:
    (root / "wsdl").mkdir(parents=True)
    (root / "xsd").mkdir()
    (root / "xsd" / "probe.xsd").write_text(schema)
    return contracts.ContractSet(root)


def _importing(location: str) -> str:
    return (f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:p">'
            f'<xs:import namespace="urn:o" schemaLocation="{location}"/></xs:schema>')


def test_schema_imports_inside_the_contracts_directory_load(tmp_path: Path) -> None:
    found = _contracts_at(tmp_path, _importing("inside.xsd"))
    (tmp_path / "xsd" / "inside.xsd").write_text(f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:o"/>')
    assert isinstance(found.schema_for("probe"), etree.XMLSchema)


@pytest.mark.parametrize("where", ["relative", "file-uri", "http"])
def test_schema_imports_may_not_leave_the_contracts_directory(tmp_path: Path, where: str) -> None:
    outside = tmp_path / "outside.xsd"  # a valid schema, so only the refusal can make loading fail
    outside.write_text(f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:o"/>')
    location = {"relative": "../../outside.xsd", "file-uri": outside.as_uri(),
                "http": "http://127.0.0.1:9/outside.xsd"}[where]
    found = _contracts_at(tmp_path / "contracts", _importing(location))
    with pytest.raises(contracts.ContractError):
        found.schema_for("probe")


def test_a_dtd_in_a_contract_is_refused(tmp_path: Path) -> None:
    doctype = '<!DOCTYPE xs:schema [<!ENTITY e "x">]>'
    found = _contracts_at(tmp_path, f'{doctype}<xs:schema xmlns:xs="{XS}" targetNamespace="urn:p"/>')
    with pytest.raises(contracts.ContractError):
        found.schema_for("probe")


def test_a_missing_contract_is_a_clear_error(tmp_path: Path) -> None:
    empty = contracts.ContractSet(tmp_path)
    with pytest.raises(contracts.ContractError, match="does not exist"):
        empty.wsdl_path("sbb-erkenningen")
    with pytest.raises(contracts.ContractError, match="not a contract name"):
        contracts.wsdl_path("../wsdl/sbb-erkenningen")


def test_the_contracts_ship_inside_the_package() -> None:
    import ketenserver

    package = Path(ketenserver.__file__).parent
    assert contracts.contracts_dir() == package / "contract_files"
    assert contracts.published().wsdl_names() == ("duo-verzuimloket", "sbb-erkenningen", "sbb-mutatieontvanger",
                                                  "werkplekduaal")


@pytest.mark.parametrize("capped", [True, False])
def test_a_capped_search_total_says_so_on_the_wire(capped: bool) -> None:
    from ketenserver.recognitions import search
    from ketenserver.recognitions.service import search_response

    result = search.SearchResult(search.SearchCode.GEVONDEN, "Meer dan 500 erkende leerbedrijven gevonden.",
                                 search.COUNT_CAP if capped else 7, (), "token", total_capped=capped)
    element = get_object_as_xml(search_response(result), wire.models().OpvragenErkenningenResponse)
    _assert_valid(element)
    assert element.findtext(ns.qn(TNS, "MeerDanTotaal")) == ("true" if capped else None)
    assert element.findtext(ns.qn(TNS, "Totaal")) == ("500" if capped else "7")
