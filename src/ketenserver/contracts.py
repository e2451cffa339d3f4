"""The contracts this server publishes, shipped inside the package (``ketenserver/contract_files``).

The files are the repository's top-level ``wsdl/`` and ``xsd/`` (``contract_files/wsdl`` and
``contract_files/xsd`` point there, and a built wheel carries copies), found with
:mod:`importlib.resources` and loaded once: a server installed anywhere serves the same files.
The functions below answer for that one :class:`~ketencore.contracts.ContractSet`.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from lxml import etree

from ketencore.contracts import ContractError, ContractSet, WsdlOperation

__all__ = [
    "ContractError", "ContractSet", "WsdlOperation", "contracts_dir", "fault_schema", "operations", "profiles",
    "published", "published_wsdl", "schema_for", "wsdl_path", "xsd_path",
]


@functools.cache
def published() -> ContractSet:
    """The server's contract set."""
    return ContractSet(Path(str(resources.files("ketenserver") / "contract_files")))


def contracts_dir() -> Path:
    """The directory holding ``wsdl/`` and ``xsd/``."""
    return published().root


def wsdl_path(key: str) -> Path:
    return published().wsdl_path(key)


def xsd_path(name: str) -> Path:
    return published().xsd_path(name)


def schema_for(key: str) -> etree.XMLSchema:
    return published().schema_for(key)


def fault_schema() -> etree.XMLSchema:
    return published().fault_schema()


def operations(key: str) -> tuple[WsdlOperation, ...]:
    return published().operations(key)


def profiles(key: str) -> tuple[str, ...]:
    return published().profiles(key)


def published_wsdl(key: str, profile: str, address: str) -> bytes:
    return published().published_wsdl(key, profile, address)
