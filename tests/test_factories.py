"""The factories make valid rows with values nobody else has, written as production writes them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketenserver import identifiers
from ketenserver.exchange.storage import find_organisation
from ketenserver.pki import DEMO_PARTIES, TEST_PARTIES
from ketenserver.recognitions import domain, storage
from ketenserver.recognitions.storage import CompanyWordModel
from tests import factories


def test_identifiers_are_valid_and_fresh_on_every_call() -> None:
    brins = [factories.fresh_brin() for _ in range(300)]
    assert len(set(brins)) == len(brins) and all(identifiers.brin(b) == b for b in brins)
    assert not set(brins) & {p.brin for p in (*DEMO_PARTIES, *TEST_PARTIES)}
    bsns = [factories.bsn() for _ in range(300)]
    assert len(set(bsns)) == len(bsns) and all(identifiers.bsn(b) == b for b in bsns)
    words = [factories.unique_word() for _ in range(300)]
    assert len(set(words)) == len(words) and all(w.isalpha() and w.islower() for w in words)
    assert len({factories.student_number() for _ in range(300)}) == 300


def test_a_school_is_registered_under_the_oin_of_its_brin(db_session: Session) -> None:
    school = factories.school(db_session)
    assert school.brin is not None and school.oin == f"00000007000{school.brin}00000"
    assert find_organisation(db_session, school.oin) is school
    assert factories.school(db_session).oin != school.oin


def test_a_company_is_found_by_its_name_and_postcode_and_recognised_as_asked(db_session: Session) -> None:
    crebo = factories.qualification(db_session)
    made = factories.company(db_session, postcode="1012 ab", recognised_for=[crebo])
    assert made.postcode == "1012AB" and made.leerbedrijf_id >= str(factories.FIRST_LEERBEDRIJF_ID)
    (found,) = storage.find_companies(db_session, name_key=domain.name_key(made.name), postcode="1012AB")
    assert found.leerbedrijf_id == made.leerbedrijf_id
    assert [(r.crebo, r.start, r.end) for r in found.recognitions] == [(crebo.crebo, factories.RECOGNISED_FROM, None)]
    assert found.recognitions[0].is_current_on(dt.date.today())
    words = db_session.scalars(select(CompanyWordModel.word)
                               .where(CompanyWordModel.leerbedrijf_id == made.leerbedrijf_id)).all()
    expected = [row["word"] for row in storage.word_rows(made.leerbedrijf_id, made.name, made.place)]
    assert expected and sorted(words) == sorted(expected)  # what search reads
    other = factories.company(db_session)
    assert other.leerbedrijf_id > made.leerbedrijf_id and other.name_key != made.name_key
