"""Actualiseren erkenning by push: SBB offers each school its mutations at its Afleveradres.

One pass (:meth:`MutationDeliverer.run_once`) finds the subscriptions that have a delivery
address, an unacknowledged mutation and are due, and for each:

1. claims it (:func:`bpv_storage.claim_delivery`, committed at once: no transaction stays open
   while the school's server is called, and two server processes never offer the same mutation
   at the same time);
2. offers the *first* unacknowledged mutation as ``AanbiedenMutatie``
   (``wsdl/sbb-mutatieontvanger.wsdl``), signed, over mutual TLS with the server's certificate;
3. counts it delivered only on a signed answer from the school's own certificate that relates
   to the request, confirms its signature, validates against the contract and names the same
   Volgnummer: then the mutation is acknowledged and the next one is due at once. Anything else
   is a failed attempt: the same mutation is due again after :func:`agreements.retry_delay`
   (``delivery_backoff`` seconds, doubling per attempt, at most ``delivery_backoff_max``);
4. journals the attempt (outcome ``delivered`` or ``failed``, the reason, both messages).

So mutations arrive in order and at least once: a school whose answer got lost receives the
same Volgnummer again. A server process running ``ketenserver serve`` or ``sandbox`` runs a pass
every ``delivery_interval`` seconds; ``ketenserver sbb bezorgen`` runs one by hand.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from ketencore import names as ns
from ketenserver import contracts
from ketenserver.background import BackgroundContext
from ketenserver.exchange.journal import Exchange, Journal
from ketenserver.exchange.outbound import OutboundError, SignedCaller
from ketenserver.logs import new_request_id, request_scope
from ketenserver.recognitions import NAMESPACE, agreements, bpv_storage
from ketenserver.recognitions.settings import RecognitionsSettings

log = logging.getLogger(__name__)

RECEIVER_CONTRACT = "sbb-mutatieontvanger"
RECEIVER_NS = "urn:ketenserver:sbb:whitelabel:mutatieontvanger:2.1"
OPERATION = "AanbiedenMutatie"
ACTION = f"{RECEIVER_NS}:{OPERATION}"
PASS_LIMIT = 100
"""Subscriptions looked at per pass; the rest wait for the next pass."""


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt did (returned by a pass, for the command and the tests)."""

    organisation_oin: str
    sequence: int
    attempt: int
    delivered: bool
    reason: str
    next_attempt: datetime | None


def offer_payload(delivery: agreements.Delivery) -> etree._Element:
    """The ``AanbiedenMutatie`` element for one delivery (validated against the contract before it leaves)."""
    mutation = delivery.mutation

    def sub(parent: etree._Element, namespace: str, name: str, text: str) -> None:
        etree.SubElement(parent, ns.qn(namespace, name)).text = text

    root = etree.Element(ns.qn(RECEIVER_NS, OPERATION), nsmap={"sbbm": RECEIVER_NS, "sbb": NAMESPACE})
    sub(root, RECEIVER_NS, "AbonnementId", str(delivery.subscription_id))
    element = etree.SubElement(root, ns.qn(RECEIVER_NS, "Mutatie"))
    for name, value in (("Volgnummer", str(mutation.sequence)), ("LeerbedrijfId", mutation.leerbedrijf_id),
                        ("Crebo", mutation.crebo), ("Soort", mutation.kind.value), ("Reden", mutation.reason),
                        ("Ingangsdatum", mutation.effective.isoformat())):
        sub(element, NAMESPACE, name, value)
    return root


class MutationDeliverer:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        caller: SignedCaller,
        journal: Journal,
        clock: Callable[[], datetime],
        backoff: float,
        backoff_max: float,
        lease: float,
        writes: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        self._sessions = sessions
        self._caller = caller
        self._journal = journal
        self._clock = clock
        self._backoff = backoff
        self._backoff_max = backoff_max
        self._lease = timedelta(seconds=lease)
        self._writes = writes
        self._schema = contracts.schema_for(RECEIVER_CONTRACT)

    def run_once(self) -> list[Attempt]:
        """One pass over the due subscriptions; each gets at most one attempt."""
        now = self._clock()
        with self._sessions() as session:
            due = bpv_storage.due_subscriptions(session, now, limit=PASS_LIMIT)
        attempts = []
        for subscription_id in due:
            delivery = self._claim(subscription_id)
            if delivery is not None:
                with request_scope(new_request_id()):  # log lines of the attempt lead to its journal entry
                    attempts.append(self._attempt(delivery))
        return attempts

    def _claim(self, subscription_id: int) -> agreements.Delivery | None:
        now = self._clock()
        with self._writes(), self._sessions() as session:
            delivery = bpv_storage.claim_delivery(session, subscription_id, now, lease_until=now + self._lease)
            session.commit()
        return delivery

    def _attempt(self, delivery: agreements.Delivery) -> Attempt:
        started = time.perf_counter()
        exchange = Exchange(arrived_at=self._clock(), endpoint=delivery.address, profile="2W-be-S",
                            organisation_oin=delivery.organisation_oin, operation=OPERATION)
        mutation = delivery.mutation
        try:
            payload = offer_payload(delivery)
            self._schema.assertValid(payload)
            answer = self._caller.call(delivery.address, ACTION, payload, schema=self._schema,
                                       expect_signer=delivery.organisation_oin)
            exchange.request, exchange.response = answer.request, answer.response
            exchange.message_id, exchange.signer_oin = answer.message_id, delivery.organisation_oin
            confirmed = answer.payload.findtext(ns.qn(RECEIVER_NS, "Volgnummer"))
            code = answer.payload.findtext(ns.qn(RECEIVER_NS, "Signaalcode"))
            if code != "0" or confirmed != str(mutation.sequence):
                raise OutboundError(f"the receiver answered signaalcode {code} for Volgnummer {confirmed}, "
                                    f"not 0 for {mutation.sequence}")
            delivered, reason = True, f"Volgnummer {mutation.sequence} delivered and acknowledged"
        except OutboundError as error:
            exchange.request = error.request or exchange.request
            exchange.response = error.response or exchange.response
            exchange.signer_oin = error.signer_oin or exchange.signer_oin
            delivered, reason = False, f"Volgnummer {mutation.sequence} not delivered: {error.reason}"
        except Exception:  # a bug must not stop deliveries to every other school
            log.exception("delivery of mutation %s to %s failed unexpectedly", mutation.sequence,
                          delivery.organisation_oin)
            delivered, reason = False, f"Volgnummer {mutation.sequence} not delivered: internal error"
        next_attempt = None
        if not delivered:
            delay = agreements.retry_delay(delivery.attempt, base=self._backoff, cap=self._backoff_max)
            next_attempt = self._clock() + delay
            reason += f"; attempt {delivery.attempt}, next in {delay.total_seconds():g} s"
        with self._writes(), self._sessions() as session:
            bpv_storage.finish_delivery(session, delivery, delivered=delivered, next_attempt=next_attempt)
            session.commit()
        exchange.outcome, exchange.verdict = ("delivered" if delivered else "failed"), reason
        self._journal.record(exchange, (time.perf_counter() - started) * 1000)
        log.info("mutation delivery to %s: %s", delivery.organisation_oin, reason)
        return Attempt(delivery.organisation_oin, mutation.sequence, delivery.attempt, delivered, reason,
                       next_attempt)

    def close(self) -> None:
        self._caller.close()


def make_deliverer(context: BackgroundContext) -> MutationDeliverer:
    """The feature's background job (see :attr:`ketenserver.feature.Feature.jobs`)."""
    settings, own = context.settings, context.settings.of(RecognitionsSettings)
    caller = SignedCaller(cert_chain=settings.server_cert_path, key=settings.server_key_path,
                          trust_bundle=settings.trust_bundle_path, trust=context.trust,
                          timeout=own.delivery_timeout, clock=context.clock)
    return MutationDeliverer(
        sessions=context.sessions, caller=caller, journal=context.journal, clock=context.clock,
        backoff=own.delivery_backoff, backoff_max=own.delivery_backoff_max,
        lease=2 * own.delivery_timeout + 30, writes=context.writes,
    )
