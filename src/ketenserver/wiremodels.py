"""What every feature's ``wire.py`` shares: occurrence helpers and the ``urn:ketenserver:common:1`` types.

Each model restates one type of ``xsd/common.xsd`` with the same name, namespace and facets, so
that spyne serialises exactly what the XSD declares; every feature's contract test compares the
common components spyne generates with ``common.xsd``. Only the types some service uses are
restated here; a new one copies its facets from ``common.xsd`` exactly.

Spyne defaults members to ``minOccurs="0" nillable="true"``: :func:`required`,
:func:`optional` and :func:`repeated` state the occurrences explicitly, and keep a named simple
type named (a bare ``customize`` would derive an anonymous type).
"""

from __future__ import annotations

from typing import Any

from spyne import ComplexModel, Integer32, Unicode
from spyne.model import ComplexModelBase, SimpleModel

from ketencore import names as ns


def simple(base: Any, name: str, namespace: str, **facets: Any) -> Any:
    """A named restriction of *base*, declared in *namespace* (an ``xs:simpleType name=...``)."""
    return base.customize(type_name=name, __namespace__=namespace, **facets)


def _occurs(model: Any, min_occurs: int, max_occurs: int | str) -> Any:
    options: dict[str, Any] = {"min_occurs": min_occurs, "max_occurs": max_occurs, "nillable": False}
    is_named_simple = (
        issubclass(model, SimpleModel)
        and not issubclass(model, ComplexModelBase)
        and model.__extends__ is not None
    )
    if is_named_simple:
        options.update(type_name=model.get_type_name(), __namespace__=model.get_namespace())
    return model.customize(**options)


def required(model: Any) -> Any:
    """Exactly once (``minOccurs="1" maxOccurs="1"``)."""
    return _occurs(model, 1, 1)


def optional(model: Any) -> Any:
    """At most once (``minOccurs="0"``)."""
    return _occurs(model, 0, 1)


def repeated(model: Any, max_occurs: int | str = "unbounded", *, min_occurs: int = 0) -> Any:
    """A list of *min_occurs* (default 0) to *max_occurs* (default unbounded) elements."""
    return _occurs(model, min_occurs, max_occurs)


# --- urn:ketenserver:common:1

C = ns.COMMON

# Dutch organisations and schools
Brin = simple(Unicode, "Brin", C, pattern="[0-9]{2}[A-Z]{2}")
Crebo = simple(Unicode, "Crebo", C, pattern="[0-9]{5}")
LeerbedrijfId = simple(Unicode, "LeerbedrijfId", C, pattern="[0-9]{9}")
KvkNummer = simple(Unicode, "KvkNummer", C, pattern="[0-9]{8}")
KvkVestigingsnummer = simple(Unicode, "KvkVestigingsnummer", C, pattern="[0-9]{12}")

# Dutch persons (check digits are checked in code)
Bsn = simple(Unicode, "Bsn", C, pattern="[0-9]{9}")
Onderwijsnummer = simple(Unicode, "Onderwijsnummer", C, pattern="10[0-9]{7}")

# Addresses
Postcode = simple(
    Unicode, "Postcode", C, pattern="[1-9][0-9]{3} ?([A-RT-Za-rt-z][A-Za-z]|[Ss][B-CE-RT-Zb-ce-rt-z])"
)
AdresPostcode = simple(Unicode, "AdresPostcode", C, min_len=1, max_len=10)
Landcode = simple(Unicode, "Landcode", C, pattern="[A-Z]{2}")
Huisnummer = simple(Integer32, "Huisnummer", C, ge=1, le=99999)
HuisnummerToevoeging = simple(Unicode, "HuisnummerToevoeging", C, min_len=1, max_len=10)
Straatnaam = simple(Unicode, "Straatnaam", C, min_len=1, max_len=100)
Plaatsnaam = simple(Unicode, "Plaatsnaam", C, min_len=1, max_len=80)

# Outcome of a business answer
Signaalcode = simple(Integer32, "Signaalcode", C, ge=0)
Melding = simple(Unicode, "Melding", C, max_len=255)


class Adres(ComplexModel):
    __namespace__ = C
    _type_info = (
        ("Straat", required(Straatnaam)),
        ("Huisnummer", required(Huisnummer)),
        ("HuisnummerToevoeging", optional(HuisnummerToevoeging)),
        ("Postcode", required(AdresPostcode)),
        ("Plaats", required(Plaatsnaam)),
        ("Landcode", required(Landcode)),
    )
