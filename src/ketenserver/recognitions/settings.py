"""The SBB feature's settings: ``[ketenserver.recognitions]`` in the TOML file, or
``KETENSERVER_RECOGNITIONS_<NAME>`` variables (e.g. ``KETENSERVER_RECOGNITIONS_DELIVERY_INTERVAL=0``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class RecognitionsSettings:
    SECTION: ClassVar[str] = "recognitions"

    delivery_interval: float = 2.0
    """Seconds between passes that push due mutations to schools' delivery addresses; 0 means
    only ``ketenserver sbb bezorgen`` delivers."""
    delivery_backoff: float = 5.0
    """Seconds before the second attempt at an undelivered mutation; doubles per attempt."""
    delivery_backoff_max: float = 3600.0
    """The longest pause between two attempts."""
    delivery_timeout: float = 10.0
    """Seconds a school's receiver may take to answer one delivery."""
