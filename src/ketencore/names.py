"""Every namespace URI and qualified name the server speaks, in one place."""

from __future__ import annotations

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
WSAM = "http://www.w3.org/2007/05/addressing/metadata"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSSE11 = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
WS_POLICY = "http://www.w3.org/ns/ws-policy"

X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"  # noqa: S105 (a URI)
BASE64_BINARY = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)
WSA_ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"

FAULT = "urn:ketenserver:fault:1"
COMMON = "urn:ketenserver:common:1"

WSA_HEADERS = ("To", "From", "ReplyTo", "FaultTo", "Action", "MessageID", "RelatesTo")


def qn(namespace: str, local: str) -> str:
    """Clark notation, as lxml uses it."""
    return f"{{{namespace}}}{local}"


ENVELOPE = qn(SOAP_ENV, "Envelope")
HEADER = qn(SOAP_ENV, "Header")
BODY = qn(SOAP_ENV, "Body")
FAULT_TAG = qn(SOAP_ENV, "Fault")
SECURITY = qn(WSSE, "Security")
TIMESTAMP = qn(WSU, "Timestamp")
BINARY_SECURITY_TOKEN = qn(WSSE, "BinarySecurityToken")
SIGNATURE = qn(DS, "Signature")
