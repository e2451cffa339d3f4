"""The one verification recipe of a signed WUS message, for every side that receives one.

The server runs it on requests, the school's receiver (``ketenclient.receiver``) on SBB's pushed
mutations, the client (``ketenclient.WusSignature``) on responses, and the tests on both. Each
side adds only what is its own to decide afterwards: who may sign for whom, replay memory,
RelatesTo and SignatureConfirmation.

:func:`verify_message` checks, in this order, and refuses with the code of the first rule broken:

1. a ``wsse:Security`` header is present (WB013, 0110);
2. its ``wsu:Timestamp`` is well formed and fresh (WB002, 0115);
3. the signature covers the Body, the Timestamp, every WS-Addressing header (in a profile with
   WS-Addressing) and any further part the caller names, each at its own place, with allowed
   algorithms, and verifies (WB004-WB010, 0110-0118; :func:`ketencore.wsse.verify`);
4. the signer's certificate chains to the trust store, is within its dates and not revoked (WT004,
   0114), and carries an OIN.

What passes is a :class:`VerifiedMessage`: read values from it ("see what is signed"), never from
the tree beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from lxml import etree

from ketencore import wsse
from ketencore.envelope import Envelope
from ketencore.errors import ExchangeError
from ketencore.profiles import DIGIKOPPELING_2W_BE_S, Profile
from ketencore.trust import TrustStore, UntrustedCertificate


class SignerNotTrusted(ExchangeError):
    """0114: the signature verified, but its certificate is not trusted (kept for the journal)."""

    def __init__(self, message: str, certificate: x509.Certificate) -> None:
        super().__init__("0114", message, field="BinarySecurityToken")
        self.certificate = certificate


@dataclass(frozen=True)
class VerifiedMessage:
    """A message whose signature and signer verified."""

    envelope: Envelope
    timestamp: wsse.Timestamp
    certificate: x509.Certificate
    """The signer's certificate (from the BinarySecurityToken; its chain verified)."""
    signer_oin: str
    """The OIN in the signer's certificate subject (serialNumber)."""
    signature_value: str
    """The SignatureValue without whitespace: the replay key and the SignatureConfirmation value."""
    signed_parts: Mapping[str, etree._Element]
    """Each required part by name (``Body``, ``Timestamp``, ``wsa:Action``, ...): the element whose
    digest verified."""

    @property
    def payload(self) -> etree._Element:
        """The signed Body's single child: the request or response itself."""
        return self.signed_parts["Body"][0]


def verify_message(
    envelope: Envelope,
    *,
    trust: TrustStore,
    now: datetime,
    max_age: int,
    max_skew: int,
    also_signed: Mapping[str, etree._Element] | None = None,
    profile: Profile = DIGIKOPPELING_2W_BE_S,
) -> VerifiedMessage:
    """Verify a signed envelope (see the module docstring); an :class:`ExchangeError` names the rule.

    ``now`` is real time: Timestamps are always checked against the wall clock, whatever a
    sandbox's business clock says. ``also_signed`` names further parts that must be signed at
    their place (a response's SignatureConfirmation). *profile* says whether the WS-Addressing
    headers are among the parts (see :mod:`ketencore.profiles`)."""
    security = envelope.security
    if security is None:
        raise ExchangeError("0110", f"Profile {profile.name} requires a wsse:Security header with a signature "
                            "(WB013).", field="Security")
    stamp = wsse.read_timestamp(security)
    wsse.check_freshness(stamp, now=now, max_age=max_age, max_skew=max_skew)
    required = {"Body": envelope.body, "Timestamp": stamp.element}
    if profile.addressing:
        required.update({f"wsa:{name}": element for name, element in envelope.addressing.items()})
    required.update(also_signed or {})
    verified = wsse.verify(envelope.root, security, required)
    try:
        signer_oin = trust.verify(verified.certificate)  # cached per certificate, dates always checked
    except UntrustedCertificate as error:
        raise SignerNotTrusted(f"The signing certificate is not trusted: {error.message}",
                               verified.certificate) from None
    return VerifiedMessage(envelope, stamp, verified.certificate, signer_oin, verified.signature_value,
                           verified.signed_parts)
