"""What the end-to-end tests share: recognitions to work on, one each, so tests stay apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ketenserver.recognitions import domain
from ketenserver.recognitions.storage import RecognitionModel, current_on

TODAY = domain.dutch_date(dt.datetime.now(dt.UTC))
PAST = TODAY - dt.timedelta(days=60)
START = TODAY + dt.timedelta(days=7)
END = START + dt.timedelta(days=180)


@pytest.fixture(scope="session")
def recognitions(engine: Engine) -> Iterator[tuple[str, str]]:
    """(leerbedrijf_id, crebo) recognised from PAST until after END, one per generated company
    (ids from 100000100): withdrawing one changes nothing another test relies on."""
    with Session(engine) as session:
        rows = session.execute(
            select(RecognitionModel.leerbedrijf_id, RecognitionModel.crebo)
            .where(RecognitionModel.leerbedrijf_id >= "100000100", current_on(PAST), current_on(TODAY),
                   current_on(END))
            .order_by(RecognitionModel.leerbedrijf_id.desc(), RecognitionModel.crebo)
        ).all()
    pairs = list({r[0]: (r[0], r[1]) for r in rows}.values())
    assert len(pairs) > 20
    return iter(pairs)
