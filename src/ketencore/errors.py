"""Domain errors: what a rule says when a message breaks it.

Every error the server can answer with derives from :class:`KetenError` and carries a stable
code from the catalogue in :mod:`ketencore.faults`, the field or rule it is about, and a
message written for the vendor reading it. Nothing here knows about SOAP: the pipeline turns
these into faults in one place (:func:`ketencore.faults.fault_for`).

    KetenError
    ├── ExchangeError       technical: envelope, addressing, security (Digikoppeling numbers)
    └── BusinessError       a service's own rule (e.g. SBB-1001 unknown leerbedrijf-id)
        └── RuleError       one catalogued rule per subclass (SbbError, VerzuimError, ...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from ketencore.faults import FaultSpec


class KetenError(Exception):
    """A refusal with a catalogued code. ``field`` names the element or rule concerned."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, field={self.field!r})"


class ExchangeError(KetenError):
    """Refused before any service saw the message: envelope, addressing, security, size."""


class BusinessError(KetenError):
    """Refused by a service's own rule; the Body caused it, so the fault carries a detail."""


class RuleError(BusinessError):
    """A refusal by one catalogued rule of a service: the subclass fixes the code (``spec``) and the
    field it is usually about (``default_field``)."""

    spec: ClassVar[FaultSpec]
    default_field: ClassVar[str | None] = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(self.spec.code, message, field=field or self.default_field)
