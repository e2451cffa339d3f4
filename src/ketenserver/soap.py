"""The seam between spyne services and the rest of the server: one dispatch, in process.

The pipeline has parsed, verified and validated the request already; :class:`SpyneOperations`
hands the verified Body element straight to spyne's protocol (no second parse, no WSGI environ,
no serialised round trip) and takes spyne's response element back as a tree. spyne is used for
what it does well: deserialising the request into its models, calling the service method, and
serialising the returned models.

Services are thin: they read the :class:`~ketenserver.context.CallContext` (:func:`call_context`),
call domain code and map results to wire models. A domain error simply propagates: the service
method raises it, it comes out of :meth:`SpyneOperations.call` unchanged, and the pipeline answers
with the catalogued fault (:mod:`ketencore.faults`), the one place that writes faults.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from lxml import etree

from ketencore.faults import internal_error
from ketenserver.context import CallContext
from ketenserver.spyne_compat import load_spyne

log = logging.getLogger(__name__)


def call_context(ctx: Any) -> CallContext:
    """The CallContext of a spyne method context (spyne's user-defined context, ``ctx.udc``)."""
    context: CallContext = ctx.udc
    return context


class SpyneOperations:
    """A feature's spyne services as one callable: ``call(payload, context) -> response element``."""

    def __init__(self, services: Sequence[type], *, namespace: str, name: str) -> None:
        load_spyne()
        from spyne import Application
        from spyne.protocol.soap import Soap11
        from spyne.server import ServerBase

        class InProcess(ServerBase):
            transport = "http://schemas.xmlsoap.org/soap/http"  # what spyne's own WSDL then names

        # validator=None: the pipeline validated the Body against the published XSD already
        self.application = Application(list(services), tns=namespace, name=name,
                                       in_protocol=Soap11(validator=None), out_protocol=Soap11())
        self._server = InProcess(self.application)

    def call(self, payload: etree._Element, context: CallContext) -> etree._Element:
        """Run the operation the Body element names; return its response element.

        A :class:`~ketencore.errors.KetenError` the service raises propagates unchanged; anything
        else unexpected (including a message spyne cannot read, which the XSD should have
        stopped) is logged and becomes fault 0500."""
        from spyne import BODY_STYLE_BARE, BODY_STYLE_EMPTY, BODY_STYLE_WRAPPED, MethodContext
        from spyne.model.fault import Fault

        protocol = self.application.in_protocol
        ctx = MethodContext(self._server, MethodContext.SERVER)
        ctx.udc = context
        ctx.in_header_doc, ctx.in_body_doc = None, payload
        ctx.method_request_string = payload.tag
        try:
            (ctx,) = protocol.generate_method_contexts(ctx)
            protocol.deserialize(ctx, message=protocol.REQUEST)
        except Fault:
            log.exception("spyne could not read a validated %s", etree.QName(payload).localname)
            raise internal_error() from None
        if ctx.in_error is not None:
            log.error("spyne could not read a validated %s: %s", etree.QName(payload).localname, ctx.in_error)
            raise internal_error()
        # arguments and results as sequences, as spyne's own process_request arranges them
        style = ctx.descriptor.body_style
        if style is BODY_STYLE_BARE:
            ctx.in_object = [ctx.in_object]
        elif style is BODY_STYLE_EMPTY:
            ctx.in_object = []
        result = self.application.call_wrapper(ctx)
        wraps = style is BODY_STYLE_WRAPPED and len(ctx.descriptor.out_message._type_info) > 1
        ctx.out_object = result if wraps else [result]
        ctx.protocol = ctx.outprot_ctx
        self.application.out_protocol.serialize(ctx, message=protocol.RESPONSE)
        body = ctx.out_body_doc
        if body is None or len(body) != 1:
            log.error("spyne answered %s with no single response element", etree.QName(payload).localname)
            raise internal_error()
        response: etree._Element = body[0]
        return response
