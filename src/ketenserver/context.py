"""What a service operation knows about the exchange it is answering.

The pipeline builds one :class:`CallContext` per accepted request, after transport and message
security checks, and hands it to the service (spyne's ``ctx.udc``, see
:func:`ketenserver.soap.call_context`). Services never look at certificates or headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ketenserver.settings import Settings


@dataclass(frozen=True)
class CallContext:
    session: Session
    """The request's unit of work; the pipeline commits or rolls it back, never the service."""
    organisation_oin: str
    """The organisation the message is for: the TLS client, or the one an intermediary acts for."""
    message_id: str
    now: datetime
    """Business time: the arrival time (UTC, timezone-aware, whole seconds) on the organisation's
    sandbox clock (real time until a tester moves it, ``ketenserver clock``). Every time-dependent
    rule of every feature reads this, never the wall clock."""
    profile: str
    """The name of the endpoint's profile (``"2W-be-S"``, ``"2W-be"``, ``"MAGDA"``: :mod:`ketencore.profiles`)."""
    token_key: bytes = b""
    """Key for opaque tokens the server hands out and must recognise again (search page tokens).

    The same in every server process: :func:`ketenserver.app.token_key` derives it from the
    server's private key. Empty only where no server runs (a test builds its own)."""
    settings: Settings = field(default_factory=Settings)
    """The server's settings; a feature reads its own section with ``settings.of(...)``."""
