"""The counter's demo data: the KBO register, recognised workplaces, and one ready workplace for the README.

At the sandbox's default of 3,000 companies the register holds 50,000 enterprises (it scales with
``--companies``: :data:`ENTERPRISES_PER_COMPANY`); about 30% of their establishments hold running
recognitions. The demo companies of :mod:`~ketenserver.werkplekduaal.kbo_seed` are kept out of the
random recognitions: the README flow recognises Bakkerij De Gouden Korst (Gent) itself, and Brasserie
't Pleintje in Brugge is recognised for KOK with the mentor :data:`DEMO_MENTOR`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ketenserver.dates import belgian_date
from ketenserver.werkplekduaal import kbo_seed, requests, requests_storage, sync
from ketenserver.werkplekduaal.kbo_storage import EstablishmentRow

ENTERPRISES_PER_COMPANY = 50_000 / 3_000
DEMO_MENTOR = requests_storage.test_person_number(dt.date(1980, 5, 17), 11)
"""The recognised mentor of the demo workplace Brasserie 't Pleintje (Brugge, 2678901260), opleiding KOK."""


def seed(session: Session, seed_number: int, *, companies: int,
         progress: Callable[[int, int], None] | None = None) -> int:
    """Fill the counter (``Feature.seed``); 0 and nothing written when the register holds data."""
    enterprises = max(20, round(companies * ENTERPRISES_PER_COMPANY))
    say = progress or (lambda _done, _total: None)
    added = kbo_seed.seed_kbo(session, seed_number, enterprises=enterprises,
                              progress=lambda done, total: say(done, total + total // 5))
    if not added:
        return 0
    today = belgian_date(dt.datetime.now(dt.UTC))
    demo = {number for company in kbo_seed.DEMO for number, _address in company.establishments}
    pairs = [(number, enterprise) for number, enterprise in session.execute(
        select(EstablishmentRow.number, EstablishmentRow.enterprise_number).order_by(EstablishmentRow.number))
        if number not in demo]
    recognised = requests_storage.seed_recognitions(session, seed_number, establishments=pairs, today=today)
    valid_from, valid_until = requests.validity(today - dt.timedelta(days=200), 5)
    requests_storage.add_recognition(session, establishment_number="2678901260", enterprise_number="0678901218",
                                     opleiding="KOK", valid_from=valid_from, valid_until=valid_until, places=2,
                                     mentors=frozenset({DEMO_MENTOR}))
    sync.start_syncs(session, today)
    say(added + added // 5, added + added // 5)
    return added + recognised + 1
