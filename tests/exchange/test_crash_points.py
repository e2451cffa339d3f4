"""A serving process that dies at any point of an exchange leaves its work and its journal entry
together or not at all (issue 14: "the journal tells the truth").

For each point between reading a request and sending its reply, a fresh process builds the app
on the test database, is made to die right there (``os._exit``: no cleanup, no commit, no
``finally``, as a SIGKILL), and handles one signed IndienenVerzuimmelding. Afterwards the
database holds either the report, its stored reply and one journal entry, or none of them; and
the retry the client then sends (same MessageID, a fresh signature) is answered with one report
in all, and one journal entry more.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ketenserver.absence.storage import ReportRow
from ketenserver.exchange.storage import JournalEntry, StoredReply
from ketenserver.testing import fault_code
from tests import factories
from tests.absence.test_verzuimloket_pipeline import PATH, TNS, submission

pytestmark = pytest.mark.slow

# point: (what is patched, whether it dies before or after the original runs, whether the work is stored)
POINTS = {
    "request read": ("ketenserver.exchange.pipeline:Pipeline._read", "after", False),
    "signature verified": ("ketenserver.exchange.pipeline:Pipeline._verify", "after", False),
    "operation done, nothing committed": ("ketenserver.exchange.pipeline:Pipeline._commit", "before", False),
    "journal entry added, not committed": ("ketenserver.exchange.journal:Journal.add", "after", False),
    "committed, reply not sent": ("ketenserver.exchange.pipeline:Pipeline._commit", "after", True),
}

DIE = textwrap.dedent("""
    import importlib, io, os, pickle, sys
    settings = pickle.loads(open(sys.argv[1], "rb").read())
    target, when = sys.argv[2], sys.argv[3]
    data, pem = open(sys.argv[4], "rb").read(), open(sys.argv[5]).read()
    from ketenserver.app import create_app
    app = create_app(settings)
    module_name, qualified = target.split(":")
    owner = importlib.import_module(module_name)
    class_name, name = qualified.split(".")
    owner = getattr(owner, class_name)
    original = getattr(owner, name)
    def dying(*args, **kwargs):
        if when == "before":
            os._exit(137)
        result = original(*args, **kwargs)
        os._exit(137)
    setattr(owner, name, dying)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": sys.argv[6], "CONTENT_LENGTH": str(len(data)),
               "CONTENT_TYPE": "text/xml; charset=utf-8", "wsgi.input": io.BytesIO(data), "SSL_CLIENT_CERT": pem}
    b"".join(app(environ, lambda status, headers: None))
    sys.exit(3)  # it must not get here: the patched point was not reached
""")


def _state(engine, message_id: str) -> tuple[int, int, list[str]]:
    with Session(engine) as session:
        reports = session.scalar(select(func.count()).select_from(ReportRow))
        stored = session.scalar(select(func.count()).select_from(StoredReply)
                                .where(StoredReply.message_id == message_id))
        outcomes = list(session.scalars(select(JournalEntry.outcome).where(JournalEntry.message_id == message_id)
                                        .order_by(JournalEntry.id)))
    return reports, stored, outcomes


@pytest.mark.parametrize("point", POINTS)
def test_a_process_dying_at_each_point_leaves_work_and_journal_together(point, settings, engine, pki, builder_for,
                                                                        post, tmp_path: Path):
    target, when, stored_work = POINTS[point]
    school = pki.party("school-25LX")
    message_id = f"urn:uuid:{uuid.uuid4()}"
    body = submission(factories.bsn())
    request = tmp_path / "request.xml"
    request.write_bytes(builder_for("school-25LX", PATH).build(
        body, action=f"{TNS}:IndienenVerzuimmelding", message_id=message_id).bytes())
    pickled = tmp_path / "settings.pickle"
    pickled.write_bytes(pickle.dumps(settings))
    reports_before, _, _ = _state(engine, message_id)

    died = subprocess.run([sys.executable, "-c", DIE, str(pickled), target, when, str(request), str(school.cert),
                           PATH], capture_output=True, text=True, timeout=120)
    assert died.returncode == 137, died.stderr[-2000:]

    reports, stored, outcomes = _state(engine, message_id)
    if stored_work:  # the transaction committed: the report, its reply and its journal entry are all there
        assert (reports - reports_before, stored, outcomes) == (1, 1, ["accepted"])
    else:  # nothing of it: no report, no stored reply, no journal entry
        assert (reports - reports_before, stored, outcomes) == (0, 0, [])

    retry = post(builder_for("school-25LX", PATH).build(body, action=f"{TNS}:IndienenVerzuimmelding",
                                                        message_id=message_id).bytes(), PATH)
    assert retry.status_code == 200 and fault_code(retry.content) is None, retry.text[-600:]
    assert etree.fromstring(retry.content).findtext(f".//{{{TNS}}}Meldingnummer")
    reports, stored, outcomes = _state(engine, message_id)
    assert reports - reports_before == 1 and stored == 1
    assert outcomes == (["accepted", "retried"] if stored_work else ["accepted"])
