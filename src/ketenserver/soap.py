"""The seam between spyne services and the rest of the server.

Services are thin: they read the :class:`~ketenserver.context.CallContext`, call domain code and
map results to wire models. Domain errors are not serialised by spyne: :func:`domain_errors` stores
the error in the environ and raises a bare spyne fault; the pipeline then answers with the
catalogued fault (:mod:`ketenserver.faults`), so there is exactly one place that writes faults.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ketencore.errors import KetenError
from ketenserver.context import ENVIRON_KEY, CallContext
from ketenserver.spyne_compat import load_spyne

load_spyne()

from spyne.model.fault import Fault as SpyneFault  # noqa: E402

ERROR_KEY = "ketenserver.error"


def call_context(ctx: Any) -> CallContext:
    """The CallContext of a spyne method context."""
    context: CallContext = ctx.transport.req_env[ENVIRON_KEY]
    return context


@contextlib.contextmanager
def domain_errors(ctx: Any) -> Iterator[None]:
    """Inside a spyne method: let domain errors reach the pipeline untouched by spyne.

    (A context manager rather than a decorator: spyne reads parameter names from the function's
    code object, which a wrapper would hide.)
    """
    try:
        yield
    except KetenError as error:
        ctx.transport.req_env[ERROR_KEY] = error
        raise SpyneFault(faultcode="Client", faultstring=error.code) from None
