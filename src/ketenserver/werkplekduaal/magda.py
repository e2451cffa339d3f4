"""The MAGDA message shape: reading a ``Verzoek``, writing its ``Repliek``, and refusals as ``Uitzondering``.

Every operation of the counter reads its request through :func:`question` and answers through
:func:`answer`, so the Context rules live here once:

- ``Context/Naam`` is the operation's name and ``Versie`` is :data:`VERSION` (WPD-1001);
- ``Bericht/Type`` is VRAAG (WPD-1001);
- ``Afzender/Identificatie`` is the KBO enterprise number in the caller's certificate (WPD-1002);
- ``Afzender/Hoedanigheid`` is a capacity the operation accepts (WPD-1003) and the registry knows
  the sender as an organisation of that kind (WPD-1004).

The reply's Context names the counter as Afzender (:data:`COUNTER_KBO`, its own fresh Referte) and
the sender as Ontvanger with the request's Referte, so a client can match the two. A broken rule
becomes a ``Repliek`` with an ``Uitzondering`` (:func:`refusal`, ``Feature.refusal``): in the
``Antwoord`` of the Vraag, or for a Context rule (WPD-1001..1004) in ``Repliek/Uitzonderingen``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from ketencore.errors import RuleError
from ketenserver.context import CallContext
from ketenserver.dates import BELGIAN_TIME
from ketenserver.exchange import storage as exchange_storage
from ketenserver.werkplekduaal import NAMESPACE, errors
from ketenserver.werkplekduaal.wire import models

VERSION = "02.00.0000"
"""The one version of the contract the counter answers."""
COUNTER_KBO = "0316200006"
"""The counter's own KBO enterprise number (the dev party ``loket-0316200006``), Afzender of every reply."""
ORIGIN = "WERKPLEKDUAAL"
"""``Uitzondering/Oorsprong`` of the counter's own exceptions."""

PROVIDER = "OPLEIDINGSVERSTREKKER"
COACH = "TRAJECTBEGELEIDER"
_KINDS = {PROVIDER: frozenset({"provider"}), COACH: frozenset({"provider", "coach"})}
"""Which organisations (registry kinds) may act in a capacity: a coach works for a provider or for
a trajectory-coach organisation."""

CONTEXT_ERRORS = (errors.UnknownService, errors.SenderNotCaller, errors.CapacityNotAllowed, errors.UnknownSender)
"""Refusals about the Context itself: answered in ``Repliek/Uitzonderingen``, not in an Antwoord."""


@dataclass(frozen=True)
class Question:
    """One checked Vraag of a Verzoek."""

    operation: str
    sender: str
    """The sender's KBO enterprise number (equal to the certificate's)."""
    capacity: str
    reference: str
    """``Afzender/Referte``: the message's identity (retries, the journal)."""
    question_reference: str
    """``Vraag/Referte``, echoed in the Antwoord."""
    content: Any
    """The spyne value of ``Vraag/Inhoud``."""


def question(request: Any, call: CallContext, *, operation: str, capacities: frozenset[str]) -> Question:
    """Check the Context of ``request`` (the spyne value of the ``<operation>`` element) and
    return its one Vraag. Raises the Context's :data:`CONTEXT_ERRORS`."""
    verzoek = request.Verzoek
    context = verzoek.Context
    if context.Naam != operation:
        raise errors.UnknownService(f"Context/Naam must be the operation's name, {operation}.", field="Naam")
    if context.Versie != VERSION:
        raise errors.UnknownService(f"Context/Versie must be {VERSION}; the counter answers no other version.",
                                    field="Versie")
    bericht = context.Bericht
    if bericht.Type != "VRAAG":
        raise errors.UnknownService("Context/Bericht/Type of a request is VRAAG.", field="Type")
    afzender = bericht.Afzender
    if afzender.Identificatie != call.organisation_oin:
        raise errors.SenderNotCaller("Afzender/Identificatie is not the KBO enterprise number in the certificate "
                                     "the message came with.")
    if afzender.Hoedanigheid not in capacities:
        raise errors.CapacityNotAllowed(f"{operation} is asked as " + " or ".join(sorted(capacities)) + ".")
    organisation = exchange_storage.find_organisation(call.session, afzender.Identificatie)
    if organisation is None or organisation.kind not in _KINDS.get(afzender.Hoedanigheid, frozenset()):
        raise errors.UnknownSender(f"The counter knows the sender as no organisation that may act as "
                                   f"{afzender.Hoedanigheid}.")
    vraag = verzoek.Vragen.Vraag
    return Question(operation=operation, sender=afzender.Identificatie, capacity=afzender.Hoedanigheid,
                    reference=afzender.Referte, question_reference=vraag.Referte, content=vraag.Inhoud)


def _context(operation: str, now: datetime, sender: str, reference: str) -> Any:
    m = models()
    local = now.astimezone(BELGIAN_TIME)
    return m.Context(
        Naam=operation, Versie=VERSION,
        Bericht=m.Bericht(
            Type="ANTWOORD", Tijdstip=m.Tijdstip(Datum=local.date(), Tijd=local.time().replace(microsecond=0,
                                                                                               tzinfo=None)),
            Afzender=m.Afzender(Identificatie=COUNTER_KBO, Referte=uuid.uuid4().hex, Hoedanigheid=ORIGIN),
            Ontvanger=m.Ontvanger(Identificatie=sender, Referte=reference)))


def answer(asked: Question, call: CallContext, content: Any) -> Any:
    """The ``<operation>Response`` for ``asked``: its Context and one Antwoord holding ``content``."""
    m = models()
    op = asked.operation
    antwoord = getattr(m, f"{op}Antwoord")(Referte=asked.question_reference, Inhoud=content)
    repliek = getattr(m, f"{op}Repliek")(Context=_context(op, call.now, asked.sender, asked.reference),
                                         Antwoorden=getattr(m, f"{op}Antwoorden")(Antwoord=antwoord))
    return getattr(m, f"{op}Response")(Repliek=repliek)


# ------------------------------------------------------------------------- refusals (lxml)
def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _q(name))
    if text is not None:
        child.text = text
    return child


def _uitzonderingen(parent: etree._Element, error: RuleError) -> None:
    uitzondering = _sub(_sub(parent, "Uitzonderingen"), "Uitzondering")
    _sub(uitzondering, "Identificatie", error.code)
    _sub(uitzondering, "Oorsprong", ORIGIN)
    _sub(uitzondering, "Type", "FOUT")
    _sub(uitzondering, "Diagnose", error.message[:500])
    if error.field:
        _sub(uitzondering, "Veld", error.field[:64])


def refusal(error: RuleError, body: etree._Element, *, now: datetime | None = None) -> etree._Element:
    """The Repliek refusing the request ``body`` (its validated Body element) for ``error``."""
    op = etree.QName(body).localname
    verzoek = body.find(_q("Verzoek"))
    assert verzoek is not None  # validated against the XSD before any operation ran
    afzender = verzoek.find(f"{_q('Context')}/{_q('Bericht')}/{_q('Afzender')}")
    assert afzender is not None
    moment = (now or datetime.now(BELGIAN_TIME)).astimezone(BELGIAN_TIME)
    response = etree.Element(_q(f"{op}Response"), nsmap={"wpd": NAMESPACE})
    repliek = _sub(response, "Repliek")
    context = _sub(repliek, "Context")
    _sub(context, "Naam", op)
    _sub(context, "Versie", VERSION)
    bericht = _sub(context, "Bericht")
    _sub(bericht, "Type", "ANTWOORD")
    tijdstip = _sub(bericht, "Tijdstip")
    _sub(tijdstip, "Datum", moment.date().isoformat())
    _sub(tijdstip, "Tijd", moment.time().replace(microsecond=0).isoformat())
    counter = _sub(bericht, "Afzender")
    _sub(counter, "Identificatie", COUNTER_KBO)
    _sub(counter, "Referte", uuid.uuid4().hex)
    _sub(counter, "Hoedanigheid", ORIGIN)
    ontvanger = _sub(bericht, "Ontvanger")
    _sub(ontvanger, "Identificatie", afzender.findtext(_q("Identificatie")))
    _sub(ontvanger, "Referte", afzender.findtext(_q("Referte")))
    if isinstance(error, CONTEXT_ERRORS):
        _uitzonderingen(repliek, error)
    else:
        antwoord = _sub(_sub(repliek, "Antwoorden"), "Antwoord")
        _sub(antwoord, "Referte", verzoek.findtext(f"{_q('Vragen')}/{_q('Vraag')}/{_q('Referte')}"))
        _uitzonderingen(antwoord, error)
    return response


def referte(body: etree._Element) -> str:
    """The message's identity, ``Verzoek/Context/Bericht/Afzender/Referte`` (``Feature.reference``)."""
    return body.findtext("/".join(_q(n) for n in ("Verzoek", "Context", "Bericht", "Afzender", "Referte"))) or ""
