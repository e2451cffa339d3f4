"""Imports every storage module so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from __future__ import annotations

from ketenserver.absence import storage as absence_storage
from ketenserver.exchange import storage as exchange_storage
from ketenserver.recognitions import bpv_storage as recognitions_bpv_storage
from ketenserver.recognitions import storage as recognitions_storage

__all__ = ["absence_storage", "exchange_storage", "recognitions_bpv_storage", "recognitions_storage"]
