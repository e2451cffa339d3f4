"""Spyne models derived from a published XSD: the XSD is the one hand-written statement of a message.

:func:`load` parses a contract schema and ``xsd/common.xsd`` with spyne's own schema parser
(:func:`spyne.util.xml.parse_schema_file`) and answers its types by their XSD names, so a
feature's ``wire.py`` restates nothing: ``load("sbb-erkenningen", NAMESPACE).Erkenning`` is the
``Erkenning`` complex type with the element order, occurrences and facets of the file. Every
feature's contract test compares the schema spyne generates from those models with the published
files. Contract files are read when :func:`load` is called, never on import.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

from ketencore import names as ns
from ketencore.xmlparse import parse_trusted
from ketenserver.contracts import xsd_path
from ketenserver.spyne_compat import load_spyne

XS = "http://www.w3.org/2001/XMLSchema"


class Models:
    """The types of one contract by their XSD names, its own namespace before ``common.xsd``'s."""

    def __init__(self, namespace: str, types: dict[str, Any], common: dict[str, Any]) -> None:
        self.namespace = namespace
        self._types = {**common, **types}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._types[name]
        except KeyError:
            raise AttributeError(f"{self.namespace} declares no type {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._types

    def operation(self, name: str) -> Any:
        """``@rpc`` of a document/literal bare operation: its request and response models are the
        contract's ``<name>`` and ``<name>Response`` elements."""
        from spyne import rpc

        return rpc(getattr(self, name), _returns=getattr(self, f"{name}Response"), _body_style="bare",
                   _in_message_name=ns.qn(self.namespace, name),
                   _out_message_name=ns.qn(self.namespace, f"{name}Response"))


def load(key: str, namespace: str) -> Models:
    """The models of ``xsd/<key>.xsd`` (target *namespace*), which imports ``common.xsd``."""
    load_spyne()
    from spyne.util.xml import parse_schema_file

    paths = {namespace: xsd_path(key), ns.COMMON: xsd_path("common")}
    with warnings.catch_warnings():  # spyne reads each schema file with an unclosed open()
        warnings.simplefilter("ignore", ResourceWarning)
        schemas = parse_schema_file(str(paths[namespace]), files={ns.COMMON: str(paths[ns.COMMON])})
    _complete(schemas, paths)
    return Models(namespace, schemas[namespace].types, schemas[ns.COMMON].types)


def _complete(schemas: dict[str, Any], paths: dict[str, Path]) -> None:
    """Correct what spyne 2.14's schema parser loses, so the models state exactly what the XSD does.

    1. It ignores ``minInclusive``/``maxInclusive`` (it reads only enumeration, length and pattern
       facets): each named ``xs:simpleType`` gets them from the file as ``ge``/``le``. Members are
       subclasses of the named type by then, so the type's ``Attributes`` are completed in place.
    2. It gives each member of a complex type its occurrences with ``customize``, which on a
       restriction of ``xs:string`` derives a new, anonymous type (the named one becomes its
       ``__extends__``): spyne would then generate an inline ``<xs:simpleType>`` instead of
       ``type="c:Crebo"``. Such a member is re-customised from the named type, keeping its
       occurrences. A complex member is a customised copy with its own members, hence the walk.

    These are the only corrections the parsed models need: the contract tests compare the schema
    spyne generates from them with the published files, and a message with the golden ones.
    """
    from spyne.model import ComplexModelBase, Integer, SimpleModel

    for tns, path in paths.items():
        types = schemas[tns].types
        for simple_type in parse_trusted(path.read_bytes()).iterfind(f"{{{XS}}}simpleType"):
            named = types[simple_type.get("name", "")]
            number = int if issubclass(named, Integer) else Decimal
            for facet, attribute in (("minInclusive", "ge"), ("maxInclusive", "le")):
                bound = simple_type.find(f"{{{XS}}}restriction/{{{XS}}}{facet}")
                if bound is not None:
                    setattr(named.Attributes, attribute, number(bound.get("value", "")))
    seen: set[int] = set()
    pending = [model for schema in schemas.values() for model in schema.types.values()]
    while pending:
        model = pending.pop()
        if id(model) in seen or not issubclass(model, ComplexModelBase):
            continue
        seen.add(id(model))
        for member, member_type in list(model._type_info.items()):
            named = member_type.__extends__
            if (issubclass(member_type, SimpleModel) and not isinstance(member_type.get_type_name(), str)
                    and named is not None and isinstance(named.get_type_name(), str)):
                attributes = member_type.Attributes
                model._type_info[member] = named.customize(
                    min_occurs=attributes.min_occurs, max_occurs=attributes.max_occurs, nillable=attributes.nillable,
                    type_name=named.get_type_name(), __namespace__=named.get_namespace(),
                )
            else:
                pending.append(member_type)
