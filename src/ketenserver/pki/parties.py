"""The organisations that own a development certificate: the demo parties and the test parties.

Dutch and Flemish parties share one development chain: ketenserver trusts a single dev root and
intermediate for both countries, so the server's one trust store accepts a Flemish party's
certificate exactly as a Dutch one's. Real Flemish certificates come from other CAs than
PKIoverheid; only the subject's shape is imitated here (C=BE, the KBO enterprise number in
serialNumber), not the Belgian hierarchy.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketenserver.pki.names import kvk_oin, school_oin, validate_kbo


@dataclass(frozen=True)
class Party:
    """An organisation that owns a development certificate.

    A Flemish party (one with :attr:`kbo`) gets a subject with C=BE and its KBO enterprise number
    in serialNumber; every other party C=NL and its OIN there. Build one with :meth:`flemish`.
    """

    key: str
    """Short file key, e.g. ``school-25LX``; the files are ``DEV-ONLY-<key>.*``."""
    oin: str
    """The identifier in the certificate subject's serialNumber: a Dutch party's OIN, a Flemish
    party's KBO enterprise number (equal to :attr:`kbo`). The server reads this value back from the
    certificate (:func:`ketencore.trust.oin_of`) and keys the organisations registry on it, so
    both countries' parties pass through the same code."""
    name: str
    """Organisation name (subject O and CN)."""
    kind: str
    """``school``, ``vendor``, ``company``, ``government``, ``provider`` (a Flemish training
    provider) or ``coach`` (a Flemish trajectory-coach organisation); see
    :data:`ketenserver.exchange.storage.ORGANISATION_KINDS`."""
    brin: str | None = None
    kvk: str | None = None
    kbo: str | None = None
    """A Flemish party's KBO enterprise number (10 digits, bare); None for a Dutch party."""

    def __post_init__(self) -> None:
        if self.kbo is None:
            return
        validate_kbo(self.kbo)
        if self.oin != self.kbo:
            raise ValueError(f"a Flemish party's serialNumber identifier is its KBO number {self.kbo}, "
                             f"not {self.oin!r}")

    @classmethod
    def flemish(cls, key: str, kbo: str, name: str, kind: str) -> Party:
        """A Flemish party: its KBO enterprise number is the identifier in its certificate."""
        return cls(key, kbo, name, kind, kbo=kbo)

    @property
    def country(self) -> str:
        """The subject's countryName: ``BE`` for a Flemish party, else ``NL``."""
        return "BE" if self.kbo is not None else "NL"


FLEMISH_PARTIES: tuple[Party, ...] = (
    # The parties of werkplekduaal: training providers (opleidingsverstrekkers), a trajectory-coach
    # organisation, and the counter itself (Departement Onderwijs en Vorming).
    Party.flemish("provider-0412345614", "0412345614", "GO! Campus Demo Gent", "provider"),
    Party.flemish("provider-0423456765", "0423456765", "Syntra Demo Antwerpen", "provider"),
    Party.flemish("coach-0834567808", "0834567808", "Demo Trajectbegeleiding vzw", "coach"),
    Party.flemish("loket-0316200006", "0316200006",
                  "Departement Onderwijs en Vorming - werkplekduaal (DEV-ONLY)", "government"),
)
"""The Flemish demo parties (C=BE, KBO enterprise number in serialNumber); also in DEMO_PARTIES."""

DEMO_PARTIES: tuple[Party, ...] = (
    Party("school-25LX", school_oin("25LX"), "ROC Demo Noord", "school", brin="25LX"),
    Party("school-30AB", school_oin("30AB"), "Demo College Zuid", "school", brin="30AB"),
    # An intermediary that hosts school software and may sign on behalf of the schools.
    Party("vendor-hosting", kvk_oin("12345678"), "Demo Hosting B.V.", "vendor", kvk="12345678"),
    *FLEMISH_PARTIES,
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
