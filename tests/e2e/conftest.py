"""What the end-to-end tests share: recognitions to work on, one each, so tests stay apart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests import factories


@pytest.fixture(scope="session")
def recognitions(engine: Engine) -> Iterator[tuple[str, str]]:
    """``next(recognitions)``: (leerbedrijf_id, crebo) of a company of the tests' own, recognised for
    a qualification of its own since :data:`factories.RECOGNISED_FROM` and open-ended. Each is made when
    asked for and committed (the server must see it), so withdrawing one changes nothing another
    test relies on."""

    def made() -> Iterator[tuple[str, str]]:
        while True:
            with Session(engine, expire_on_commit=False) as session:
                qualification = factories.qualification(session)
                company = factories.company(session, recognised_for=[qualification])
                assert [r.end_date for r in company.recognitions] == [None]
                session.commit()
            yield company.leerbedrijf_id, qualification.crebo

    return made()
