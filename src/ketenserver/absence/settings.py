"""The Verzuimloket's settings: ``[ketenserver.absence]`` in the TOML file, or
``KETENSERVER_ABSENCE_<NAME>`` variables (e.g. ``KETENSERVER_ABSENCE_MUNICIPALITY_INTERVAL=0``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class AbsenceSettings:
    SECTION: ClassVar[str] = "absence"

    attachment_max_bytes: int = 1024 * 1024
    """The largest attachment (decoded bytes) a report may carry (fault VZL-1010)."""
    report_attachments_max_bytes: int = 5 * 512 * 1024
    """All attachments of one message together (decoded bytes, fault VZL-1011). Keep it below
    ``max_request_bytes`` / 1.37 (base64 and the envelope around it)."""
    municipality_intake_hours: float = 48.0
    """Hours on the sandbox clock before the municipality takes a report up (status In behandeling,
    or Ter kennisgeving aangenomen for kind OVERIG) and replies."""
    municipality_close_days: float = 14.0
    """Days on the sandbox clock from taking a report up to closing it (Afgesloten)."""
    cleanup_days: float = 180.0
    """Clean-up (schoning): days on the sandbox clock after which a closed report (Afgesloten, Ter
    kennisgeving aangenomen, Ingetrokken) is removed from the counter."""
    municipality_interval: float = 2.0
    """Seconds between the serving process's passes of the municipalities' rules; 0 means only
    ``ketenserver duo gemeenten`` runs them."""
