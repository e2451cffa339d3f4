"""The organisations that own a development certificate: the demo parties and the test parties."""

from __future__ import annotations

from dataclasses import dataclass

from ketenserver.pki.names import kvk_oin, school_oin


@dataclass(frozen=True)
class Party:
    """An organisation that owns a development certificate."""

    key: str
    """Short file key, e.g. ``school-25LX``; the files are ``DEV-ONLY-<key>.*``."""
    oin: str
    """OIN placed in the certificate subject's serialNumber."""
    name: str
    """Organisation name (subject O and CN)."""
    kind: str
    """``school``, ``vendor``, ``company`` or ``government``."""
    brin: str | None = None
    kvk: str | None = None


DEMO_PARTIES: tuple[Party, ...] = (
    Party("school-25LX", school_oin("25LX"), "ROC Demo Noord", "school", brin="25LX"),
    Party("school-30AB", school_oin("30AB"), "Demo College Zuid", "school", brin="30AB"),
    # An intermediary that hosts school software and may sign on behalf of the schools.
    Party("vendor-hosting", kvk_oin("12345678"), "Demo Hosting B.V.", "vendor", kvk="12345678"),
)
"""Parties with a valid certificate, meant to be registered in the demo data."""

TEST_PARTIES: tuple[Party, ...] = (
    Party("test-expired", school_oin("41EX"), "Verlopen School", "school", brin="41EX"),
    Party("test-revoked", school_oin("42RV"), "Ingetrokken School", "school", brin="42RV"),
    Party("test-rogue", "00000099000000000666", "Rogue Test Party", "company"),
    # Same OIN as school 25LX, but from a CA nobody trusts: an impersonation attempt.
    Party("test-foreign", school_oin("25LX"), "ROC Demo Noord", "school", brin="25LX"),
)
"""Parties whose certificates must be refused (or, for test-rogue, not authorised)."""

_ALL_PARTIES = {p.key: p for p in DEMO_PARTIES + TEST_PARTIES}
