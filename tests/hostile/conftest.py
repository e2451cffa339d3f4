"""Every hostile message sent through ``post`` is also checked where the wire cannot show it.

The wrapper below stands in for the shared ``post`` fixture in this folder: when the answer is a
fault, the refusal must be in the journal (outcome ``refused``, the fault's code, the request
kept at most up to the journal's cap), and nothing the operation could have written (stored
replies, agreements, nominations, subscriptions, mutations, absence reports, werkplekduaal's
requests, agreements and tasks) may have changed.
"""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketenserver.absence.storage import AttachmentRow, DayRow, ReplyRow, ReportRow
from ketenserver.exchange.storage import JournalEntry, StoredReply
from ketenserver.recognitions.bpv_storage import AgreementModel, MutationModel, NominationModel, SubscriptionModel
from ketenserver.testing import fault_code
from ketenserver.werkplekduaal.agreements_storage import AgreementRow as WpdAgreementRow
from ketenserver.werkplekduaal.agreements_storage import TaskRow, TrajectoryRow
from ketenserver.werkplekduaal.requests_storage import DocumentRow, RequestRow

_WRITTEN = (StoredReply, AgreementModel, NominationModel, SubscriptionModel, MutationModel, ReportRow, AttachmentRow,
            DayRow, ReplyRow, RequestRow, DocumentRow, WpdAgreementRow, TrajectoryRow, TaskRow)


def _state(engine) -> tuple[int, tuple[int, ...]]:
    with Session(engine) as session:
        last = session.scalar(select(func.max(JournalEntry.id))) or 0
        counts = tuple(session.scalar(select(func.count()).select_from(model)) or 0 for model in _WRITTEN)
    return last, counts


def _code(content: bytes) -> str | None:
    try:
        return fault_code(content)
    except etree.XMLSyntaxError:
        return None


@pytest.fixture
def post(post, engine):  # the session-wide ``post`` of tests/conftest.py, checked
    def send(data: bytes, *args, **kwargs):
        last, counts = _state(engine)
        response = post(data, *args, **kwargs)
        code = _code(response.content)
        if code is not None:
            with Session(engine) as session:
                entries = session.scalars(select(JournalEntry).where(JournalEntry.id > last)).all()
            refused = [e for e in entries if e.outcome == "refused" and e.fault_code == code]
            assert refused, f"fault {code} is not in the journal"
            assert all(len(e.request) <= e.body_cap for e in refused)
            assert _state(engine)[1] == counts, "a refused message changed stored data"
        return response

    return send
