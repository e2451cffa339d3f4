"""The security profiles an endpoint can offer: what a message must carry, and what its reply carries.

A profile is a value, not a code path: the pipeline, the receivers and the reply writer read its
fields and never compare its name. Every profile runs over mutual TLS (the client certificate
names the calling organisation); they differ in the SOAP headers:

============  =====================  ==============================  ===========================
profile       WS-Addressing          signed (WS-Security X.509)      SignatureConfirmation
============  =====================  ==============================  ===========================
``2W-be``     To, Action, MessageID  no                              no
``2W-be-S``   To, Action, MessageID  Body, Timestamp, every WS-A     yes (WB014)
                                     header
``MAGDA``     none (refused)         Body and Timestamp              no
============  =====================  ==============================  ===========================

The two Digikoppeling profiles are the WUS profiles of ``../shared/EXCHANGE.md``. ``MAGDA`` is
how Flemish government B2B services (MAGDA) secure a message: mutual TLS with a certificate whose
subject names the organisation, a ``wsse:Security`` header with a Timestamp and a signature over
the Body and that Timestamp, and no WS-Addressing: the message's identity (its *Referte*) and the
sender travel inside the Body, in the request's ``Context``, so the feature says where to read it
(:attr:`ketenserver.feature.Feature.reference`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """One way of securing an exchange, as an endpoint offers it at ``/<feature>/<name>``."""

    name: str
    """The last path segment of the endpoint and of the WSDL port's soap:address."""
    title: str
    addressing: bool
    """Requests carry WS-Addressing (To, Action, MessageID; From for state changes) and replies
    get Action, MessageID, RelatesTo and To. Without it, WS-Addressing headers are refused."""
    signed: bool
    """Requests and replies carry a ``wsse:Security`` header with a Timestamp and an X.509
    signature over the Body, the Timestamp and (with :attr:`addressing`) every WS-A header."""
    confirms_signature: bool = False
    """A signed reply confirms the request's SignatureValue (WS-Security 1.1, WB014)."""

    def __str__(self) -> str:
        return self.name


DIGIKOPPELING_2W_BE = Profile("2W-be", "Digikoppeling WUS 2W-be: mutual TLS and WS-Addressing",
                              addressing=True, signed=False)
DIGIKOPPELING_2W_BE_S = Profile("2W-be-S", "Digikoppeling WUS 2W-be-S: 2W-be with signed messages",
                                addressing=True, signed=True, confirms_signature=True)
MAGDA = Profile("MAGDA", "MAGDA (Flanders): mutual TLS, signed Body and Timestamp, no WS-Addressing",
                addressing=False, signed=True)

PROFILES: dict[str, Profile] = {p.name: p for p in (DIGIKOPPELING_2W_BE_S, DIGIKOPPELING_2W_BE, MAGDA)}
"""Every profile the kit knows, by name."""
