"""Who a development certificate names: OINs (school, KvK, ketenserver's own), KBO enterprise
numbers (Flemish parties) and X.509 subjects.

The organisation's identifier rides in the subject's serialNumber attribute: a Dutch party's OIN,
as in PKIoverheid certificates (PKI001), or a Flemish party's KBO enterprise number, as in the
Flemish government's B2B (MAGDA) certificates, which also name C=BE.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

from ketenserver import identifiers

SERVER_OIN = "00000099000000000001"
"""ketenserver's own OIN: a test OIN (prefix 00000099), never a real organisation."""

# X.520 caps a commonName at 64 characters, so the root's "(ketenserver)" marker lives in O.
ROOT_CN = "DEV-ONLY Staat der Nederlanden Private Root CA - G1"
INTERMEDIATE_CN = "DEV-ONLY Private Services CA - G1 (ketenserver)"
FOREIGN_ROOT_CN = "DEV-ONLY Foreign Root CA (ketenserver, NOT trusted)"

_BRIN_RE = re.compile(r"[0-9A-Z]{4}")
"""Looser than :func:`ketenserver.identifiers.brin` on purpose: sandbox schools may use any 4."""


# --------------------------------------------------------------------------------------- OINs
def school_oin(brin: str) -> str:
    """OIN of a school: ``00000007000`` + BRIN (4 characters, upper case) + ``00000``."""
    code = brin.strip().upper()
    if not _BRIN_RE.fullmatch(code):
        raise ValueError(f"a BRIN code has 4 letters or digits, got {brin!r}")
    return f"00000007000{code}00000"


def kvk_oin(kvk: str) -> str:
    """OIN derived from a KvK number: ``00000003`` + 8-digit KvK number + ``0000``."""
    number = kvk.strip()
    try:
        identifiers.kvk_number(number)
    except identifiers.InvalidKvkNumber:
        raise ValueError(f"a KvK number has exactly 8 digits, got {kvk!r}") from None
    return f"00000003{number}0000"


def validate_oin(oin: str) -> str:
    """Return ``oin`` if it is 20 characters (8 digits, then 12 digits or capitals), else raise."""
    try:
        return identifiers.oin(oin)
    except identifiers.InvalidOin:
        raise ValueError(
            f"an OIN is 20 characters: an 8-digit prefix followed by 12 digits or capital "
            f"letters (e.g. 0000000700025LX00000), got {oin!r}"
        ) from None


def validate_kbo(kbo: str) -> str:
    """Return ``kbo`` if it is a bare KBO enterprise number that passes its mod-97 check, else raise.

    Bare only (``0412345614``, not ``0412.345.614``): the number is a certificate's serialNumber
    and the registry's key, so it must have one spelling.
    """
    try:
        bare = identifiers.kbo_enterprise_number(kbo)
    except identifiers.InvalidKboEnterpriseNumber as error:
        raise ValueError(f"{error} Got {kbo!r}.") from None
    if bare != kbo:
        raise ValueError(f"write the KBO enterprise number bare, as {bare}, not {kbo!r}")
    return kbo


IDENTIFIER_URNS = {"NL": "urn:oin:", "BE": "urn:kbo:"}
"""Per country, the URN prefix of the identifier in a leaf's subjectAltName (``urn:oin:<OIN>``)."""


def _name(cn: str, org: str, serial: str | None = None, *, country: str = "NL") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if serial is not None:
        # PKI001: the OIN rides in the subject serialNumber, as in PKIoverheid certificates; a
        # Flemish certificate carries the KBO enterprise number in the same attribute.
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, cn)])

