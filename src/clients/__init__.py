"""ketenclient: typed SOAP clients for the ketenserver chain services (Digikoppeling WUS).

A school system calls an SBB or DUO service through one of these clients; mutual TLS, the
WS-Addressing headers, the WS-Security signature (profile 2W-be-S) and the checks on every
response all happen inside, and results arrive as plain frozen dataclasses::

    from ketenclient import ClientFault, Credentials, SbbErkenningenClient

    credentials = Credentials.from_pkcs12("school.p12", "secret", trust="trust-bundle.pem",
                                          crls=["private-services-ca.crl.pem"])
    with SbbErkenningenClient("https://localhost:8443/sbb-erkenningen/2W-be-S", credentials) as sbb:
        try:
            result = sbb.vaststellen_leerbedrijf("Bakkerij De Korenschoof", "1234AB", huisnummer=12)
        except ClientFault as fault:
            print(fault.code, fault.field, fault.message)   # e.g. SBB-1002 Postcode ...
        else:
            print(result.signaalcode, result.erkend, [b.leerbedrijf_id for b in result.leerbedrijven])

A school that wants its recognition mutations pushed runs :class:`MutatieOntvanger` (a WSGI
application; :func:`serve_ontvanger` serves it over mutual TLS) and subscribes with its address.

DUO's absence counter has :class:`VerzuimloketClient`: submit a :class:`NieuweVerzuimmelding`,
send its day specification, clone, withdraw, read back; :class:`VerzuimSynchroniser` keeps a
local SQLite mirror of the school's reports and the municipalities' replies up to date.

What is checked, and why, is described in :mod:`ketenclient.security` (messages) and
:mod:`ketenclient.base` (TLS and contract loading); the exceptions in :mod:`ketenclient.errors`.
"""

from .base import ServiceClient
from .bpv import (
    BpvOvereenkomst,
    BpvOvereenkomsten,
    Erkenningsvoordracht,
    Mutatie,
    Mutatieabonnement,
    MutatiePagina,
)
from .credentials import Credentials
from .errors import ClientFault, KetenClientError, RequestNotValid, ResponseNotTrusted, ServerFault, SoapFault
from .receiver import MutatieOntvanger, OntvangerServer, serve_ontvanger
from .recognitions import (
    Adres,
    Contactpersoon,
    Detailgegevens,
    Erkenning,
    GevondenLeerbedrijf,
    Leerbedrijf,
    NatrekResultaat,
    NatrekSignaalcode,
    SbbErkenningenClient,
    Signaalcode,
    Stageplaats,
    VaststellenResultaat,
    ZoekResultaat,
)
from .security import WusAddressing, WusSignature
from .verzuim import VerzuimloketClient
from .verzuim_models import (
    Behandelaar,
    Bijlage,
    BijlageGegevens,
    Dagspecificatie,
    Gemeente,
    Intrekking,
    Leerling,
    Melder,
    Meldingstatus,
    NieuweVerzuimmelding,
    Pagina,
    Periode,
    Registratie,
    Statuswijziging,
    Terugmelding,
    Verzuimdag,
    Verzuimmelding,
    Verzuimsoort,
    Woonadres,
)
from .verzuim_sync import Synchronisatie, VerzuimSynchroniser

__all__ = [
    "Adres",
    "Behandelaar",
    "Bijlage",
    "BijlageGegevens",
    "BpvOvereenkomst",
    "BpvOvereenkomsten",
    "ClientFault",
    "Contactpersoon",
    "Credentials",
    "Dagspecificatie",
    "Detailgegevens",
    "Erkenning",
    "Erkenningsvoordracht",
    "Gemeente",
    "GevondenLeerbedrijf",
    "Intrekking",
    "KetenClientError",
    "Leerbedrijf",
    "Leerling",
    "Melder",
    "Meldingstatus",
    "Mutatie",
    "MutatieOntvanger",
    "MutatiePagina",
    "Mutatieabonnement",
    "NatrekResultaat",
    "NatrekSignaalcode",
    "NieuweVerzuimmelding",
    "OntvangerServer",
    "Pagina",
    "Periode",
    "Registratie",
    "RequestNotValid",
    "ResponseNotTrusted",
    "SbbErkenningenClient",
    "ServerFault",
    "ServiceClient",
    "Signaalcode",
    "SoapFault",
    "Stageplaats",
    "Statuswijziging",
    "Synchronisatie",
    "Terugmelding",
    "VaststellenResultaat",
    "VerzuimSynchroniser",
    "Verzuimdag",
    "VerzuimloketClient",
    "Verzuimmelding",
    "Verzuimsoort",
    "Woonadres",
    "WusAddressing",
    "WusSignature",
    "ZoekResultaat",
    "serve_ontvanger",
]
