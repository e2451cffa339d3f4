"""Available workplaces (ZoekWerkplekken): recognised establishments with room, paged by postcode."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ketenserver.werkplekduaal import errors, requests_storage, sync, workplaces
from ketenserver.werkplekduaal.kbo import FLEMISH_PLACES
from ketenserver.werkplekduaal.kbo_storage import EstablishmentRow
from ketenserver.werkplekduaal.storage import SqlWorkplaceIndex
from tests.werkplekduaal import agreement_builders as builders
from tests.werkplekduaal import factories

KEY = b"test-token-key-of-thirty-two-by!"
TODAY = dt.date(2026, 12, 2)
POSTCODE = "9991"  # no generated company lives there: only this test's
assert POSTCODE not in {code for code, _ in FLEMISH_PLACES}


def _recognise(session: Session, company: factories.Company, index: int, *, places: int, opleiding: str = "KOK",
               valid_until: dt.date = dt.date(2030, 1, 1)) -> str:
    return requests_storage.add_recognition(
        session, establishment_number=company.establishments[index], enterprise_number=company.enterprise,
        opleiding=opleiding, valid_from=dt.date(2025, 1, 1), valid_until=valid_until, places=places,
        mentors=[builders.person(40)[0]]).number


def _search(session: Session, **query: str | None) -> workplaces.WorkplacePage:
    return workplaces.search(workplaces.WorkplaceQuery(**query), index=SqlWorkplaceIndex(session), on=TODAY,  # type: ignore[arg-type]
                             token_key=KEY)


def test_only_running_recognitions_with_room_of_active_establishments_are_found(db_session: Session) -> None:
    company = factories.kbo_company(db_session, establishments=5, postcode=POSTCODE)
    _recognise(db_session, company, 0, places=2)                               # found
    _recognise(db_session, company, 1, places=2, opleiding="BAKKER")           # another opleiding
    _recognise(db_session, company, 2, places=2, valid_until=dt.date(2026, 1, 1))  # expired
    withdrawn = _recognise(db_session, company, 3, places=2)
    requests_storage.withdraw_recognition(db_session, withdrawn, "test", today=TODAY)
    _recognise(db_session, company, 4, places=2)
    db_session.get(EstablishmentRow, company.establishments[4]).status = "ST"  # type: ignore[union-attr]
    db_session.flush()
    page = _search(db_session, opleiding="KOK", postcode=POSTCODE)
    assert [(w.establishment_number, w.free_places) for w in page.workplaces] == [(company.establishments[0], 2)]
    assert page.token is None


def test_agreements_running_there_take_places(db_session: Session) -> None:
    place = builders.workplace(db_session, opleiding="KOK")
    db_session.get(EstablishmentRow, place.establishment).postcode = POSTCODE  # type: ignore[union-attr]
    requests_storage.copy_postcodes(db_session, [place.establishment])
    before = _search(db_session, opleiding="KOK", postcode=POSTCODE).workplaces
    assert [w.free_places for w in before] == [4]
    from ketenserver.werkplekduaal import agreements
    from ketenserver.werkplekduaal.agreements_storage import SqlAgreementBook, SqlTaskBoard, SqlTrajectoryBook
    from ketenserver.werkplekduaal.kbo_storage import SqlKboRegister

    provider = "0412345614"
    agreements.register(builders.terms(place, start=TODAY - dt.timedelta(days=10), end=TODAY + dt.timedelta(days=200)),
                        today=TODAY, kbo=SqlKboRegister(db_session),
                        register=requests_storage.SqlRecognitionRegister(db_session),
                        book=SqlAgreementBook(db_session, provider), board=SqlTaskBoard(db_session, provider),
                        trajectories=SqlTrajectoryBook(db_session, provider))
    after = _search(db_session, opleiding="KOK", postcode=POSTCODE).workplaces
    assert [w.free_places for w in after] == [3]


def test_pages_follow_each_other_in_postcode_order_without_gaps(db_session: Session) -> None:
    company = factories.kbo_company(db_session, establishments=workplaces.PAGE_SIZE + 3, postcode=POSTCODE)
    for index in range(len(company.establishments)):
        _recognise(db_session, company, index, places=1, opleiding="KAPPER")
    first = _search(db_session, opleiding="KAPPER", postcode=POSTCODE)
    assert len(first.workplaces) == workplaces.PAGE_SIZE and first.token is not None
    second = _search(db_session, opleiding="KAPPER", postcode=POSTCODE, token=first.token)
    found = [w.establishment_number for w in first.workplaces + second.workplaces]
    assert found == sorted(company.establishments) and second.token is None


def test_a_province_filters_on_its_postcodes(db_session: Session) -> None:
    page = _search(db_session, opleiding="BAKKER", province="LIMBURG")
    assert page.workplaces and all(3500 <= int(w.address.postcode) <= 3999 for w in page.workplaces)
    assert all(w.address.province == "Limburg" for w in page.workplaces)
    assert _search(db_session, opleiding="BAKKER", province="LIMBURG", postcode="9000").workplaces == ()


def test_a_token_of_another_search_or_forged_is_refused(db_session: Session) -> None:
    page = _search(db_session, opleiding="BAKKER")
    assert page.token is not None
    with pytest.raises(errors.PageTokenInvalid):
        _search(db_session, opleiding="KOK", token=page.token)
    with pytest.raises(errors.PageTokenInvalid):
        _search(db_session, opleiding="BAKKER", token=page.token[:-2] + ("AA" if page.token[-2:] != "AA" else "BB"))


@pytest.mark.parametrize(("query", "error"), [({"opleiding": "ASTRONAUT"}, errors.UnknownOpleiding),
                                              ({"opleiding": "KOK", "province": "LUIK"}, errors.UnknownRegion)])
def test_an_unknown_opleiding_or_region_is_refused(db_session: Session, query: dict[str, str], error: type) -> None:
    with pytest.raises(error):
        _search(db_session, **query)


def test_a_move_in_kbo_moves_the_workplace_in_the_search(db_session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ketenserver.werkplekduaal import kbo

    company = factories.kbo_company(db_session, establishments=1, postcode=POSTCODE)
    _recognise(db_session, company, 0, places=2)
    columns = kbo.HEADERS["address"]
    number = company.establishments[0]
    kbo.write_file(tmp_path / "address_delete.csv", columns[:1], [(kbo.written_number(number),)])
    kbo.write_file(tmp_path / "address_insert.csv", columns, [(kbo.written_number(number), "BAET", "België", "Belgique",
                                                              "9992", "Ertvelde", "Ertvelde", "Kerkstraat",
                                                              "Kerkstraat", "3", "", "", "")])
    result = sync.apply_changes(db_session, tmp_path, TODAY)
    assert result.moved == 1
    assert _search(db_session, opleiding="KOK", postcode=POSTCODE).workplaces == ()
    [moved] = _search(db_session, opleiding="KOK", postcode="9992").workplaces
    assert (moved.establishment_number, moved.address.municipality) == (number, "Ertvelde")
