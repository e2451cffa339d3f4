"""Mutations pushed to a school's own receiver: over real sockets, both ways mutual TLS and signed.

The server's deliverer runs with a clock of the test's (moved forward to reach the next attempt);
the school's receiver (:class:`ketenclient.MutatieOntvanger`) uses the same clock, so both sides
judge each other's Timestamps consistently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ketenclient import ClientFault, Mutatie, MutatieOntvanger, SbbErkenningenClient, serve_ontvanger
from ketenserver.cli import main
from ketenserver.exchange.storage import JournalEntry
from ketenserver.pki import SERVER_OIN
from ketenserver.recognitions import domain
from ketenserver.recognitions.bpv_storage import MutationModel, SubscriptionModel
from ketenserver.recognitions.delivery import MutationDeliverer, make_deliverer
from ketenserver.testing import free_port
from tests import factories

TODAY = domain.dutch_date(dt.datetime.now(dt.UTC))
START = TODAY + dt.timedelta(days=7)
END = START + dt.timedelta(days=180)


class Clock:
    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


class School:
    """A school system: its SBB client, its receiver on a socket, and what the receiver processed."""

    def __init__(self, base_url, pki, party: str, clock: Clock) -> None:
        self.credentials = factories.credentials(pki, party)
        self.oin = self.credentials.oin
        self.client = SbbErkenningenClient(f"{base_url}/sbb-erkenningen/2W-be-S", self.credentials)
        self.received: list[Mutatie] = []
        self.failures_to_come = 0
        self.receiver = serve_ontvanger(
            MutatieOntvanger(self.credentials, self._process, sbb_oin=SERVER_OIN, clock=clock), self.credentials)

    def _process(self, mutatie: Mutatie) -> None:
        if self.failures_to_come:
            self.failures_to_come -= 1
            raise RuntimeError("the school's database is down")
        self.received.append(mutatie)

    def close(self) -> None:
        self.client.wijzigen_mutatieabonnement(None)  # back to pull: other tests deliver nothing here
        self.receiver.stop()
        self.client.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deliverer(app, clock):
    job = make_deliverer(replace(app.background_context, clock=clock))
    yield job
    job.close()


@pytest.fixture
def school(base_url, pki, clock):
    made = School(base_url, pki, "school-25LX", clock)
    made.client.aanmelden_mutatieabonnement()
    subscription = made.client.wijzigen_mutatieabonnement(made.receiver.url)
    assert (subscription.afleverwijze, subscription.afleveradres) == ("Aanbieden", made.receiver.url)
    yield made
    made.close()


@pytest.fixture
def other(base_url, pki, clock):
    made = School(base_url, pki, "school-30AB", clock)
    made.client.aanmelden_mutatieabonnement()
    made.client.wijzigen_mutatieabonnement(made.receiver.url)
    yield made
    made.close()


def _withdraw(settings, school: School, recognitions) -> tuple[str, str]:
    leerbedrijf_id, crebo = next(recognitions)
    school.client.registreren_bpv_overeenkomst(factories.student_number(), leerbedrijf_id, crebo, START, END, "BOL")
    assert main(["--database-url", settings.effective_database_url, "sbb", "intrekken", "--leerbedrijf-id",
                 leerbedrijf_id, "--crebo", crebo, "--reden", "geen begeleiding meer"]) == 0
    return leerbedrijf_id, crebo


def _until_idle(deliverer: MutationDeliverer) -> list:
    attempts = []
    for _ in range(50):
        done = deliverer.run_once()
        if not done:
            return attempts
        attempts += done
    raise AssertionError("deliveries did not come to rest")


def _pending(engine, oin: str) -> tuple[int, list[int]]:
    with Session(engine) as session:
        acknowledged = session.scalar(select(SubscriptionModel.acknowledged_up_to)
                                      .where(SubscriptionModel.organisation_oin == oin))
        sequences = session.scalars(select(MutationModel.sequence).where(
            MutationModel.organisation_oin == oin, MutationModel.sequence > acknowledged)
            .order_by(MutationModel.sequence)).all()
    return acknowledged or 0, list(sequences)


def _journal(engine, oin: str) -> list[JournalEntry]:
    with Session(engine) as session:
        return list(session.scalars(select(JournalEntry).where(
            JournalEntry.organisation_oin == oin, JournalEntry.operation == "AanbiedenMutatie")
            .order_by(JournalEntry.id)))


def test_a_withdrawal_is_pushed_in_order_to_the_school_with_the_agreement_only(
        school, other, deliverer, engine, settings, recognitions):
    leerbedrijf_id, crebo = _withdraw(settings, school, recognitions)
    _, expected = _pending(engine, school.oin)
    attempts = _until_idle(deliverer)
    assert all(a.delivered for a in attempts)
    assert [m.volgnummer for m in school.received] == expected  # every one, in order, once
    last = school.received[-1]
    assert (last.leerbedrijf_id, last.crebo, last.soort, last.ingangsdatum) == (
        leerbedrijf_id, crebo, "ingetrokken", TODAY)
    assert leerbedrijf_id not in {m.leerbedrijf_id for m in other.received}
    acknowledged, pending = _pending(engine, school.oin)
    assert (acknowledged, pending) == (expected[-1], [])
    assert school.client.opvragen_abonnementen()[0].bevestigd_tot == expected[-1]
    assert school.client.ophalen_mutaties().mutaties == ()  # acknowledged by the answer
    entry = _journal(engine, school.oin)[-1]
    assert (entry.outcome, entry.signer_oin, entry.endpoint) == ("delivered", school.oin, school.receiver.url)
    assert b"AanbiedenMutatie" in entry.request and b"SignatureConfirmation" in entry.response
    assert _until_idle(deliverer) == []  # nothing is offered twice once acknowledged


def test_a_failed_delivery_is_retried_with_growing_pauses_until_acknowledged(
        school, deliverer, clock, engine, settings, recognitions):
    _until_idle(deliverer)  # earlier mutations out of the way
    _withdraw(settings, school, recognitions)
    _, [sequence] = _pending(engine, school.oin)
    school.failures_to_come = 2
    first = deliverer.run_once()
    assert [(a.sequence, a.attempt, a.delivered) for a in first] == [(sequence, 1, False)]
    assert "fault" in first[0].reason and "next in 5 s" in first[0].reason
    assert deliverer.run_once() == []  # not due yet
    clock.offset += dt.timedelta(seconds=6)
    second = deliverer.run_once()
    assert [(a.attempt, a.delivered) for a in second] == [(2, False)]
    assert second[0].next_attempt is not None
    assert second[0].next_attempt - clock() == pytest.approx(dt.timedelta(seconds=10), abs=dt.timedelta(seconds=2))
    clock.offset += dt.timedelta(seconds=6)
    assert deliverer.run_once() == []
    clock.offset += dt.timedelta(seconds=5)
    third = deliverer.run_once()
    assert [(a.attempt, a.delivered) for a in third] == [(3, True)]
    assert [m.volgnummer for m in school.received] == [sequence]
    outcomes = [(e.outcome, e.fault_code) for e in _journal(engine, school.oin)[-3:]]
    assert outcomes == [("failed", None), ("failed", None), ("delivered", None)]
    assert _pending(engine, school.oin) == (sequence, [])


def test_an_unreachable_address_fails_and_a_new_address_is_tried_at_once(
        school, deliverer, engine, settings, recognitions):
    _until_idle(deliverer)
    closed = f"https://127.0.0.1:{free_port()}/sbb-mutaties/2W-be-S"  # a port nobody listens on
    school.client.wijzigen_mutatieabonnement(closed)
    _withdraw(settings, school, recognitions)
    failed = deliverer.run_once()
    assert [a.delivered for a in failed] == [False] and "could not be reached" in failed[0].reason
    assert _journal(engine, school.oin)[-1].outcome == "failed"
    school.client.wijzigen_mutatieabonnement(school.receiver.url)
    assert [a.delivered for a in deliverer.run_once()] == [True]
    assert school.received and school.received[-1].volgnummer == _pending(engine, school.oin)[0]


@pytest.mark.parametrize(("address", "code"), [
    ("https://user:secret@school.example/mutaties", "SBB-1018"),
    ("https://school.example/mutaties#fragment", "SBB-1018"),
    ("https://school.example:0/mutaties", "SBB-1018"),
    ("http://school.example/mutaties", "0004"),  # the schema already asks for https
])
def test_an_address_sbb_cannot_deliver_to_is_refused(base_url, pki, address, code):
    credentials = factories.credentials(pki, "school-25LX")
    with SbbErkenningenClient(f"{base_url}/sbb-erkenningen/2W-be-S", credentials) as client:
        client.aanmelden_mutatieabonnement()
        with pytest.raises(ClientFault) as caught:
            client.wijzigen_mutatieabonnement(address)
    assert (caught.value.code, caught.value.field) == (code, "Afleveradres")


def test_changing_the_address_needs_a_subscription(base_url, pki):
    credentials = factories.credentials(pki, "vendor-hosting")
    with SbbErkenningenClient(f"{base_url}/sbb-erkenningen/2W-be-S", credentials) as client, \
            pytest.raises(ClientFault) as caught:
        client.wijzigen_mutatieabonnement("https://vendor.example/mutaties")
    assert (caught.value.code, caught.value.field) == ("SBB-1016", "Mutatieabonnement")


def test_an_answer_signed_by_another_party_does_not_acknowledge(school, deliverer, clock, engine, settings, pki,
                                                                 recognitions):
    """A receiver at the school's address that answers with someone else's certificate (here school 30AB's)
    is not the school: the offer stays unacknowledged and is offered again."""
    _until_idle(deliverer)
    impostor_credentials = factories.credentials(pki, "school-30AB")
    impostor_received: list[Mutatie] = []
    impostor = serve_ontvanger(MutatieOntvanger(impostor_credentials, impostor_received.append,
                                                sbb_oin=SERVER_OIN, clock=clock), impostor_credentials)
    try:
        school.client.wijzigen_mutatieabonnement(impostor.url)
        _withdraw(settings, school, recognitions)
        acknowledged, [sequence] = _pending(engine, school.oin)
        [attempt] = deliverer.run_once()
        assert not attempt.delivered and "not trusted" in attempt.reason
        assert [m.volgnummer for m in impostor_received] == [sequence]  # it was sent, but not acknowledged
        assert _pending(engine, school.oin) == (acknowledged, [sequence])
        assert _journal(engine, school.oin)[-1].outcome == "failed"
    finally:
        impostor.stop()
    school.client.wijzigen_mutatieabonnement(school.receiver.url)
    assert [a.delivered for a in deliverer.run_once()] == [True]
