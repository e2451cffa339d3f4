"""The counter's settings: ``[ketenserver.werkplekduaal]`` in the TOML file, or
``KETENSERVER_WERKPLEKDUAAL_<NAME>`` variables (e.g. ``KETENSERVER_WERKPLEKDUAAL_KBO_INTERVAL=0``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class WerkplekduaalSettings:
    SECTION: ClassVar[str] = "werkplekduaal"

    attachment_min_bytes: int = 200
    """The smallest document (decoded bytes) a request accepts: a smaller PDF holds nothing (WPD-1029)."""
    attachment_max_bytes: int = 2 * 1024 * 1024
    """The largest document (decoded bytes) a request accepts (WPD-1029); keep the documents of one
    message together below ``max_request_bytes`` / 1.37."""
    declaration_version: str = "02.09.2019"
    """The current version of the declaration on honour (VerklaringOpEer/Versie, WPD-1021), the
    one adapted to the mentor rules of 2 September 2019, written as its date dd.mm.yyyy."""
    decision_days: int = 14
    """Days on the sandbox clock within which the partnership decides a request."""
    recognition_years: int = 5
    """How long a recognition runs."""
    students_per_mentor: int = 2
    """A recognised workplace takes this many students per recognised mentor (its places)."""
    kbo_interval: float = 5.0
    """Seconds between the serving process's passes of the counter's jobs (partnership decisions
    that fell due, the weekly KBO sync when a week passed on the sandbox clock, the 20-training-day
    check); 0 means only ``ketenserver werkplekduaal`` commands run them."""
    signing_chain: str = ""
    """The certificate chain (PEM) that signs the counter's replies: the counter signs as itself,
    KBO 0316200006. Empty: the development PKI's ``DEV-ONLY-loket-0316200006.chain.pem``."""
    signing_key: str = ""
    """Its private key (PEM); empty: the development PKI's ``DEV-ONLY-loket-0316200006.key.pem``."""
    kbo_weekly_changes: int = 25
    """How many changes the weekly KBO sync generates when no change files are given."""
