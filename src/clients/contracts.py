"""The schemas this library ships (``ketenclient/contract_files/xsd``, the repository's ``xsd/``):
what a school's receiver validates SBB's pushed messages against, wherever the library is installed."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from ketencore.contracts import ContractSet


@functools.cache
def shipped() -> ContractSet:
    return ContractSet(Path(str(resources.files("ketenclient") / "contract_files")))
