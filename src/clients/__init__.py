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

Flemish (MAGDA) services are secured by :class:`MagdaSignature`: a signed Body and Timestamp and
no WS-Addressing. The Flemish dual-learning counter has :class:`WerkplekduaalClient`: a training
provider registers agreements and trajectories, resolves its dashboard tasks and searches
workplaces; a trajectory coach files recognition requests. Its models are exported here, except
``Leerling``, ``Adres`` and ``Erkenning`` (names the Dutch services use): import those from
:mod:`ketenclient.werkplekduaal_models`.

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
from .errors import (
    ClientFault,
    KetenClientError,
    NoSoapAnswer,
    RequestNotValid,
    ResponseNotTrusted,
    ServerFault,
    SoapFault,
)
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
from .security import MagdaSignature, WusAddressing, WusSignature
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
from .werkplekduaal import WerkplekduaalClient
from .werkplekduaal_models import (
    AanvraagStatus,
    Aanvraagstatus,
    Addendum,
    Addendumstatus,
    Afhandeling,
    Beeindiging,
    Beslissing,
    Document,
    Erkenningsaanvraag,
    Erkenningsstatus,
    Hoedanigheid,
    LeertrajectBevestiging,
    Lesdag,
    Mentor,
    Overeenkomst,
    OvereenkomstGegevens,
    Overeenkomstsoort,
    Overeenkomststatus,
    Partnerschap,
    Provincie,
    Strafregisteruittreksel,
    Taak,
    Taakoptie,
    Taaksoort,
    Taakstatus,
    Takenpagina,
    Uurrooster,
    VerklaringOpEer,
    Weekdag,
    Werkplaats,
    Werkplek,
    Werkplekkenpagina,
    Wijziging,
)

__all__ = [
    "AanvraagStatus",
    "Aanvraagstatus",
    "Addendum",
    "Addendumstatus",
    "Adres",
    "Afhandeling",
    "Beeindiging",
    "Behandelaar",
    "Beslissing",
    "Bijlage",
    "BijlageGegevens",
    "BpvOvereenkomst",
    "BpvOvereenkomsten",
    "ClientFault",
    "Contactpersoon",
    "Credentials",
    "Dagspecificatie",
    "Detailgegevens",
    "Document",
    "Erkenning",
    "Erkenningsaanvraag",
    "Erkenningsstatus",
    "Erkenningsvoordracht",
    "Gemeente",
    "GevondenLeerbedrijf",
    "Hoedanigheid",
    "Intrekking",
    "KetenClientError",
    "Leerbedrijf",
    "Leerling",
    "LeertrajectBevestiging",
    "Lesdag",
    "MagdaSignature",
    "Melder",
    "Meldingstatus",
    "Mentor",
    "Mutatie",
    "MutatieOntvanger",
    "MutatiePagina",
    "Mutatieabonnement",
    "NatrekResultaat",
    "NatrekSignaalcode",
    "NieuweVerzuimmelding",
    "NoSoapAnswer",
    "OntvangerServer",
    "Overeenkomst",
    "OvereenkomstGegevens",
    "Overeenkomstsoort",
    "Overeenkomststatus",
    "Pagina",
    "Partnerschap",
    "Periode",
    "Provincie",
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
    "Strafregisteruittreksel",
    "Synchronisatie",
    "Taak",
    "Taakoptie",
    "Taaksoort",
    "Taakstatus",
    "Takenpagina",
    "Terugmelding",
    "Uurrooster",
    "VaststellenResultaat",
    "VerklaringOpEer",
    "VerzuimSynchroniser",
    "Verzuimdag",
    "VerzuimloketClient",
    "Verzuimmelding",
    "Verzuimsoort",
    "Weekdag",
    "Werkplaats",
    "Werkplek",
    "WerkplekduaalClient",
    "Werkplekkenpagina",
    "Wijziging",
    "Woonadres",
    "WusAddressing",
    "WusSignature",
    "ZoekResultaat",
    "serve_ontvanger",
]
