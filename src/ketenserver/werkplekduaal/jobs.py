"""The counter's background job: :func:`ketenserver.werkplekduaal.sync.run_pass` on the counter's sandbox clock."""

from __future__ import annotations

import logging

from ketenserver.background import BackgroundContext
from ketenserver.dates import belgian_date
from ketenserver.exchange.storage import business_now
from ketenserver.werkplekduaal import sync
from ketenserver.werkplekduaal.magda import COUNTER_KBO
from ketenserver.werkplekduaal.settings import WerkplekduaalSettings

log = logging.getLogger(__name__)


class CounterJob:
    """Every ``kbo_interval`` seconds: due decisions, the weeks' KBO syncs, the 20-training-day check."""

    def __init__(self, context: BackgroundContext) -> None:
        self._context = context
        self._settings = context.settings.of(WerkplekduaalSettings)

    def run_once(self) -> sync.PassResult:
        with self._context.writes(), self._context.sessions.begin() as session:
            today = belgian_date(business_now(session, COUNTER_KBO, self._context.clock()))
            done = sync.run_pass(session, today, self._settings)
        if done.decided or done.syncs or done.missing:
            log.info("werkplekduaal: %d decisions, %d KBO syncs, %d missing-agreement tasks",
                     done.decided, done.syncs, done.missing)
        return done

    def close(self) -> None:
        """Nothing held between passes."""


def make_counter_job(context: BackgroundContext) -> CounterJob:
    return CounterJob(context)
