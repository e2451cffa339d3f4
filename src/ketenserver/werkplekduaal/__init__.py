"""The Flemish dual-learning counter (werkplekduaal) as a MAGDA-style machine interface.

The real counter (app.werkplekduaal.be) is a web portal with no published machine interface: the
contract (``wsdl/werkplekduaal.wsdl``, ``xsd/werkplekduaal.xsd``) is ketenserver's own, modelled on
how Flemish government services exchange data (MAGDA: ``Verzoek``/``Repliek`` with a ``Context``,
mutual TLS with a certificate naming the KBO enterprise number, a signed Body and Timestamp).

Roles, as in every feature (docs/adding-an-exchange.md):

- ``errors``: the Uitzonderingen (WPD-10xx) and the rules they enforce;
- ``kbo``, ``kbo_storage``, ``kbo_seed``: the counter's copy of the enterprise register KBO;
- ``requests``, ``agreements``, ``tasks``, ``workplaces``: the rules (no spyne, no SQL);
- ``storage``: the counter's tables and the adapters implementing the rules' ports;
- ``magda``: the Context and Uitzondering rules of the MAGDA message shape;
- ``wire``, ``service``: the spyne side, thin translation;
- ``settings``, ``commands``, ``feature``: what the feature contributes to the server.
"""

NAMESPACE = "urn:ketenserver:werkplekduaal:02.00"
"""The target namespace of ``xsd/werkplekduaal.xsd``."""
