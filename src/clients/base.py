"""The base of every service client: zeep over a mutual-TLS session, with WUS security attached.

A service client (:class:`~ketenclient.recognitions.SbbErkenningenClient`, ...) only names its
operations and maps results to plain objects; everything below is shared and happens here:

* **TLS**: a :class:`requests.Session` that presents the organisation's certificate and
  trusts *only* the configured CA bundle. ``trust_env`` is switched off, because otherwise
  ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (or a proxy from the environment) silently replace
  the trust anchor the caller chose. Only ``https://`` endpoints are accepted: every WUS
  profile is two-way TLS.
* **Contract**: the WSDL is loaded from ``<endpoint>?wsdl`` (the server publishes it with the
  address used and its schemas beside it). zeep parses it with DTDs and entities refused and
  without huge-tree mode. zeep's own ``forbid_external`` would also refuse the schemas the WSDL
  imports from the same server, so instead the transport refuses to load anything (WSDL,
  schema, local file) from outside the endpoint's origin (scheme, host and port): a contract
  can never make the client fetch from elsewhere or read local files.
* **Profile**: the endpoint path says which one: ``.../2W-be-S`` signs (:class:`WusSignature`),
  ``.../2W-be`` relies on TLS alone (:class:`WusAddressing`), ``.../MAGDA`` signs Body and
  Timestamp without WS-Addressing (:class:`MagdaSignature`, Flemish services). Requests are always sent to the
  endpoint given, whatever address the WSDL names, so that ``wsa:To`` and the URL agree.
* **Faults**: a SOAP fault (verified like any response) becomes :class:`ClientFault` or
  :class:`ServerFault` with the server's stable code; zeep's exception never escapes.
"""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
import zeep
import zeep.exceptions
from zeep.proxy import ServiceProxy
from zeep.transports import Transport
from zeep.wsdl.bindings.soap import Soap11Binding

from .credentials import Credentials
from .errors import KetenClientError, NoSoapAnswer, RequestNotValid, SoapFault, fault_from_parts
from .security import MagdaSignature, MessageSecurity, WusAddressing, WusSignature

__all__ = ["ZEEP_SETTINGS", "ServiceClient", "fault_from_zeep", "profile_security"]

ZEEP_SETTINGS = zeep.Settings(
    strict=True,
    forbid_dtd=True,
    forbid_entities=True,
    # False only because the same-origin transport below enforces a narrower rule itself; see
    # the module docstring. Never construct a client with this off and an unrestricted transport.
    forbid_external=False,
    xml_huge_tree=False,
)
"""zeep parser settings of every client: DTDs and entities refused, no huge trees."""

_DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port


class _SameOriginTransport(Transport):
    """A zeep transport that loads contract documents only from the endpoint's own origin."""

    def __init__(self, endpoint: str, *, session: requests.Session, timeout: float) -> None:
        super().__init__(session=session, timeout=timeout, operation_timeout=timeout)
        self._origin = _origin(endpoint)

    def load(self, url: str) -> bytes:
        if _origin(url) != self._origin:
            raise KetenClientError(f"The contract refers to {url!r}, outside the server it came from; "
                                   "only documents from the endpoint's own origin are loaded.")
        content: bytes = super().load(url)
        return content

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> requests.Response:
        """As zeep's, but an error status without a SOAP message is :class:`NoSoapAnswer` (zeep's
        own TransportError would leak the library's type and lose ``Retry-After``)."""
        response: requests.Response = super().post(address, message, headers)
        if response.status_code >= 400 and not response.content.lstrip().startswith(b"<"):
            wait = (response.headers.get("Retry-After") or "").strip()
            raise NoSoapAnswer(response.status_code, float(wait) if wait.isdigit() else None)
        return response


def profile_security(endpoint: str) -> type[MessageSecurity]:
    """The security class for the profile named by the endpoint's last path segment."""
    path = urlsplit(endpoint).path.rstrip("/")
    if path.endswith("/2W-be-S"):
        return WusSignature
    if path.endswith("/2W-be"):
        return WusAddressing
    if path.endswith("/MAGDA"):
        return MagdaSignature
    raise ValueError(f"{endpoint!r} names no supported profile: the path must end in /2W-be-S (Digikoppeling, "
                     "signed), /2W-be (Digikoppeling, TLS only) or /MAGDA (Flemish, signed)")


def fault_from_zeep(fault: zeep.exceptions.Fault) -> SoapFault:
    """The typed fault for a zeep Fault (faultcode, faultstring and detail)."""
    return fault_from_parts(fault.code, fault.message, fault.detail)


class ServiceClient:
    """A client for one service endpoint, e.g. ``https://host/sbb-erkenningen/2W-be-S``.

    ``server_oin`` (2W-be-S only) pins the OIN the response signer must carry. Connection and
    TLS errors arrive as :mod:`requests` exceptions; faults as :class:`SoapFault` subclasses;
    a response failing a security check as :class:`ResponseNotTrusted`.
    One client may serve several threads: each thread's response is matched to its own
    request (MessageID and SignatureValue are kept per thread). Close it (or use ``with``) when
    done, which also removes any temporary key files.
    """

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        *,
        timeout: float = 30,
        server_oin: str | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise ValueError(f"{endpoint!r} is not an https URL; every WUS profile uses two-way TLS")
        if parts.query or parts.fragment:
            raise ValueError(f"{endpoint!r}: give the endpoint without query or fragment")
        security_class = profile_security(endpoint)
        self.endpoint = endpoint
        self.credentials = credentials
        self._resources = ExitStack()
        try:
            certfile, keyfile = self._resources.enter_context(credentials.tls_files())
            session = requests.Session()
            self._resources.callback(session.close)
            session.trust_env = False
            session.verify = str(credentials.trust_bundle)
            session.cert = (certfile, keyfile)
            self.security: MessageSecurity
            if security_class is WusSignature:
                self.security = WusSignature(endpoint, credentials, server_oin=server_oin)
            elif security_class is MagdaSignature:
                self.security = MagdaSignature(endpoint, credentials, server_oin=server_oin)
            else:
                self.security = WusAddressing(endpoint, credentials)
            transport = _SameOriginTransport(endpoint, session=session, timeout=timeout)
            self._client = zeep.Client(f"{endpoint}?wsdl", transport=transport, settings=ZEEP_SETTINGS,
                                       wsse=self.security)
            self._service = self._bind(self._client)
        except BaseException:
            self._resources.close()
            raise

    def _bind(self, client: zeep.Client) -> ServiceProxy:
        for service in client.wsdl.services.values():
            for port in service.ports.values():
                if isinstance(port.binding, Soap11Binding):
                    proxy: ServiceProxy = client.create_service(port.binding.name, self.endpoint)
                    return proxy
        raise KetenClientError("The WSDL offers no SOAP 1.1 port (WW001).")

    @property
    def profile(self) -> str:
        """``2W-be-S``, ``2W-be`` or ``MAGDA``."""
        return self.security.profile

    @property
    def last_message_id(self) -> str | None:
        """The MessageID of this thread's last request: log it, or pass it again to retry."""
        return self.security.last_message_id

    def _call(self, operation_name: str, message_id: str | None = None, **kwargs: Any) -> Any:
        """Invoke an operation; ``message_id`` resends an earlier request as a retry.

        Returns zeep's result for the response element; raises :class:`SoapFault` subclasses.
        """
        operation = getattr(self._service, operation_name)
        with self.security.exchange(message_id):
            try:
                return operation(**kwargs)
            except zeep.exceptions.Fault as fault:
                raise fault_from_zeep(fault) from fault
            except zeep.exceptions.ValidationError as error:
                field = next((str(step) for step in reversed(error.path) if isinstance(step, str)), None)
                raise RequestNotValid(f"{operation_name}: {error.message}", field=field) from None

    def close(self) -> None:
        """Close the HTTP session and remove any temporary key files."""
        self._resources.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
