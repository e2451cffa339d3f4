"""The rules of a recognition request (requests_rules.check): each code with its field, each able to fail."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from ketencore.errors import RuleError
from ketenserver.werkplekduaal import errors, requests, requests_rules
from ketenserver.werkplekduaal.kbo import Address, Enterprise, Establishment
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings
from tests.werkplekduaal import factories

TODAY = dt.date(2026, 3, 9)
SETTINGS = WerkplekduaalSettings()
ENTERPRISE, OTHER_ENTERPRISE = factories.enterprise_number(), factories.enterprise_number()
ESTABLISHMENT, OTHERS_ESTABLISHMENT = factories.establishment_number(), factories.establishment_number()
STOPPED_ENTERPRISE, STOPPED_ESTABLISHMENT = factories.enterprise_number(), factories.establishment_number()
_ADDRESS = Address("Veldstraat", "12", None, "9000", "Gent")


class FakeKbo:
    """The counter's KBO with one active company (two establishments, one stopped), another, and a stopped one."""

    def __init__(self) -> None:
        self.enterprises = {
            n: Enterprise(n, "Bedrijf", status, dt.date(2010, 1, 1), "118")
            for n, status in ((ENTERPRISE, "AC"), (OTHER_ENTERPRISE, "AC"), (STOPPED_ENTERPRISE, "ST"))}
        self.establishments = {
            n: Establishment(n, owner, "Vestiging", _ADDRESS, status, dt.date(2010, 1, 1))
            for n, owner, status in ((ESTABLISHMENT, ENTERPRISE, "AC"), (STOPPED_ESTABLISHMENT, ENTERPRISE, "ST"),
                                     (OTHERS_ESTABLISHMENT, OTHER_ENTERPRISE, "AC"))}

    def enterprise(self, number: str) -> Enterprise | None:
        return self.enterprises.get(number)

    def establishment(self, number: str) -> Establishment | None:
        return self.establishments.get(number)

    def establishments_of(self, enterprise_number: str) -> list[Establishment]:
        return [e for e in self.establishments.values() if e.enterprise_number == enterprise_number]


def doc(size: int = 400) -> requests.Document:
    return requests.Document("d.pdf", factories.pdf(size))


def mentor(*, age: int = 35, birth: dt.date | None = None, **changes: Any) -> requests.Mentor:
    birth = birth or factories.born(age, TODAY, days_later=-10)
    made = requests.Mentor(
        rijksregisternummer=factories.test_rijksregisternummer(birth, factories.serial()), given_name="An",
        surname="Peeters", birth_date=birth, years_experience=8, relevant_prior_education=False,
        extract=requests.Extract("596.2", TODAY - dt.timedelta(days=10), doc()), commits_to_training=True)
    return dataclasses.replace(made, **changes)


def new_request(**changes: Any) -> requests.NewRequest:
    made = requests.NewRequest(enterprise_number=ENTERPRISE, establishment_number=ESTABLISHMENT, opleiding="BAKKER",
                               mandate=doc(), declaration_version=SETTINGS.declaration_version, declaration=doc(),
                               mentors=(mentor(), mentor()))
    return dataclasses.replace(made, **changes)


def check(new: requests.NewRequest, *, today: dt.date = TODAY) -> requests_rules.Checked:
    return requests_rules.check(new, today=today, settings=SETTINGS, kbo=FakeKbo())


def refused(code: str, field: str, new: requests.NewRequest, *, today: dt.date = TODAY) -> RuleError:
    with pytest.raises(errors.WerkplekduaalError) as caught:
        check(new, today=today)
    assert (caught.value.code, caught.value.field) == (code, field), caught.value.message
    return caught.value


def test_a_valid_request_passes_with_its_numbers_normalised_and_every_document_kept() -> None:
    grouped = f"{ENTERPRISE[:4]}.{ENTERPRISE[4:7]}.{ENTERPRISE[7:]}"
    given = new_request(enterprise_number=grouped)
    checked = check(given)
    assert (checked.enterprise_number, checked.establishment_number, checked.joint_committee) == (
        ENTERPRISE, ESTABLISHMENT, "118")
    assert [m.rijksregisternummer for m in checked.mentors] == [m.rijksregisternummer for m in given.mentors]
    kinds = [(d.kind, d.mentor) for d in checked.documents]
    assert kinds == [(requests.MANDATE, None), (requests.DECLARATION, None)] + [
        (requests.EXTRACT, m.rijksregisternummer) for m in given.mentors]
    assert all(d.size == len(d.content) for d in checked.documents)


# ------------------------------------------------------------------------------ the workplace
def test_the_enterprise_number_needs_its_check_digits() -> None:
    broken = ENTERPRISE[:8] + f"{(int(ENTERPRISE[8:]) % 97) + 1:02d}"
    refused("WPD-1011", "Ondernemingsnummer", new_request(enterprise_number=broken))


def test_the_establishment_number_needs_its_check_digits() -> None:
    broken = ESTABLISHMENT[:8] + f"{(int(ESTABLISHMENT[8:]) % 97) + 1:02d}"
    refused("WPD-1012", "Vestigingsnummer", new_request(establishment_number=broken))


def test_an_enterprise_number_is_no_establishment_number() -> None:
    refused("WPD-1012", "Vestigingsnummer", new_request(establishment_number=OTHER_ENTERPRISE))


def test_the_opleiding_is_one_of_the_catalogue() -> None:
    refused("WPD-1015", "Opleiding", new_request(opleiding="ASTRONAUT"))


@pytest.mark.parametrize("enterprise", ["unknown", "stopped"])
def test_the_enterprise_is_active_in_kbo(enterprise: str) -> None:
    number = factories.enterprise_number() if enterprise == "unknown" else STOPPED_ENTERPRISE
    refused("WPD-1013", "Ondernemingsnummer", new_request(enterprise_number=number))


@pytest.mark.parametrize("establishment", ["unknown", "stopped", "of another enterprise"])
def test_the_establishment_is_an_active_one_of_the_enterprise(establishment: str) -> None:
    number = {"unknown": factories.establishment_number(), "stopped": STOPPED_ESTABLISHMENT,
              "of another enterprise": OTHERS_ESTABLISHMENT}[establishment]
    refused("WPD-1014", "Vestigingsnummer", new_request(establishment_number=number))


# ---------------------------------------------------------------- mandate and declaration
def test_a_coach_files_only_with_the_companys_mandate() -> None:
    refused("WPD-1020", "Machtiging", new_request(mandate=None))


@pytest.mark.parametrize("version", ["01.09.2018", "01.01.2030"])
def test_the_declaration_is_the_current_version_and_the_refusal_names_it(version: str) -> None:
    error = refused("WPD-1021", "VerklaringOpEer/Versie", new_request(declaration_version=version))
    assert SETTINGS.declaration_version in error.message
    assert version not in error.message  # never echoes what was sent


# ----------------------------------------------------------------------------------- mentors
def test_a_request_names_a_mentor() -> None:
    refused("WPD-1022", "Mentoren", new_request(mentors=()))


def test_a_mentors_rijksregisternummer_needs_its_check_digits() -> None:
    good = mentor()
    number = good.rijksregisternummer
    broken = number[:9] + f"{(int(number[9:]) % 97) + 1:02d}"
    refused("WPD-1010", "Mentor[2]/Rijksregisternummer",
            new_request(mentors=(mentor(), dataclasses.replace(good, rijksregisternummer=broken))))


def test_a_mentors_rijksregisternummer_encodes_the_birth_date_given() -> None:
    good = mentor(age=40)
    refused("WPD-1010", "Mentor[1]/Rijksregisternummer",
            new_request(mentors=(dataclasses.replace(good, birth_date=good.birth_date - dt.timedelta(days=1)),)))


def test_each_mentor_is_named_once() -> None:
    first = mentor()
    refused("WPD-1027", "Mentor[3]/Rijksregisternummer", new_request(mentors=(first, mentor(), first)))


@pytest.mark.parametrize(("age", "days_later", "relevant", "passes"), [
    (25, 0, False, True),     # 25 on the day of filing
    (25, 1, False, False),    # 25 tomorrow
    (24, -200, False, False),
    (23, 0, True, True),      # 23 with relevant prior education
    (23, 1, True, False),
])
def test_a_mentor_is_25_or_23_with_relevant_prior_education(age: int, days_later: int, relevant: bool,
                                                            passes: bool) -> None:
    birth = factories.born(age, TODAY, days_later=days_later)
    young = mentor(birth=birth, relevant_prior_education=relevant)
    if passes:
        check(new_request(mentors=(young,)))
    else:
        refused("WPD-1023", "Mentor[1]/Geboortedatum", new_request(mentors=(young,)))


@pytest.mark.parametrize(("years", "passes"), [(5, True), (4, False), (0, False)])
def test_a_mentor_has_five_years_of_experience(years: int, passes: bool) -> None:
    given = new_request(mentors=(mentor(), mentor(years_experience=years)))
    if passes:
        check(given)
    else:
        refused("WPD-1024", "Mentor[2]/JarenErvaring", given)


@pytest.mark.parametrize("model", [None, "596.1"])
def test_a_mentor_brings_the_extract_model_596_2(model: str | None) -> None:
    extract = None if model is None else requests.Extract(model, TODAY, doc())
    refused("WPD-1025", "Mentor[1]/Strafregisteruittreksel", new_request(mentors=(mentor(extract=extract),)))


def test_the_extract_is_required_since_2_september_2019_only() -> None:
    before = dt.date(2019, 9, 1)
    old = mentor(birth=factories.born(40, before), extract=None)
    check(new_request(mentors=(old,)), today=before)
    refused("WPD-1025", "Mentor[1]/Strafregisteruittreksel", new_request(mentors=(old,)),
            today=before + dt.timedelta(days=1))


def test_a_mentor_commits_to_a_mentor_training() -> None:
    refused("WPD-1026", "Mentor[1]/EngagementMentoropleiding",
            new_request(mentors=(mentor(commits_to_training=False),)))


# ---------------------------------------------------------------------------------- documents
NOT_PDF = b"\x89PNG\r\n\x1a\n" + b"x" * 400


@pytest.mark.parametrize(("changes", "field"), [
    ({"mandate": requests.Document("m.pdf", NOT_PDF)}, "Machtiging/Inhoud"),
    ({"declaration": requests.Document("v.pdf", NOT_PDF)}, "VerklaringOpEer/Document/Inhoud"),
    ({"mentors": (mentor(extract=requests.Extract("596.2", TODAY, requests.Document("u.pdf", NOT_PDF))),)},
     "Mentor[1]/Strafregisteruittreksel/Document/Inhoud"),
])
def test_every_document_is_a_pdf_by_its_content_whatever_its_name(changes: dict[str, Any], field: str) -> None:
    refused("WPD-1028", field, new_request(**changes))


@pytest.mark.parametrize(("size", "passes"), [
    (SETTINGS.attachment_min_bytes, True), (SETTINGS.attachment_min_bytes - 1, False),
    (SETTINGS.attachment_max_bytes, True), (SETTINGS.attachment_max_bytes + 1, False),
])
def test_every_document_lies_within_the_size_bounds(size: int, passes: bool) -> None:
    for changes, field in (({"mandate": doc(size)}, "Machtiging/Inhoud"),
                           ({"declaration": doc(size)}, "VerklaringOpEer/Document/Inhoud"),
                           ({"mentors": (mentor(), mentor(extract=requests.Extract("596.2", TODAY, doc(size))))},
                            "Mentor[2]/Strafregisteruittreksel/Document/Inhoud")):
        if passes:
            check(new_request(**changes))
        else:
            refused("WPD-1029", field, new_request(**changes))


# ------------------------------------------------------------------------------ values and dates
def test_a_recognition_reads_expired_after_its_last_day_only_when_running_or_under_appeal() -> None:
    made = requests.Recognition("ER00000001", ESTABLISHMENT, ENTERPRISE, "BAKKER", TODAY, TODAY, requests.RUNNING, 2,
                                frozenset())
    after = TODAY + dt.timedelta(days=1)
    assert made.on(TODAY).status == requests.RUNNING and made.runs_on(TODAY)
    assert made.on(after).status == requests.EXPIRED and not made.runs_on(after)
    assert dataclasses.replace(made, status=requests.IN_APPEAL).on(after).status == requests.EXPIRED
    assert dataclasses.replace(made, status=requests.WITHDRAWN).on(after).status == requests.WITHDRAWN
    assert not dataclasses.replace(made, status=requests.IN_APPEAL).runs_on(TODAY)


@pytest.mark.parametrize(("day", "years"), [(dt.date(2026, 3, 9), 5), (dt.date(2024, 2, 29), 5),
                                            (dt.date(2025, 1, 1), 1)])
def test_a_recognition_is_valid_for_its_years_its_last_day_included(day: dt.date, years: int) -> None:
    valid_from, valid_until = requests.validity(day, years)
    assert valid_from == day
    next_start = valid_until + dt.timedelta(days=1)
    assert next_start.year == day.year + years
    assert (next_start.month, next_start.day) == ((day.month, day.day) if (day.month, day.day) != (2, 29) else (3, 1))
