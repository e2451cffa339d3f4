"""Development PKI that imitates the PKIoverheid hierarchy (development and tests only).

Production Digikoppeling certificates chain up to the *Staat der Nederlanden Private Root CA*
through a "Private Services CA" and carry the organisation's OIN in the subject's serialNumber
attribute (PKI001). This package builds the same shape with :mod:`cryptography` alone, so tests
and a local server can run mutual TLS and WS-Security without any real certificate:

    DEV-ONLY Staat der Nederlanden Private Root CA - G1                    (self-signed root)
      └── DEV-ONLY Private Services CA - G1 (ketenserver)                  (pathlen 0, CRL issuer)
            ├── localhost server certificate (ketenserver's own test OIN)
            ├── one client certificate per demo party (schools, a hosting vendor, and the
            │   Flemish werkplekduaal parties: C=BE, KBO enterprise number in serialNumber)
            └── test certificates: expired, revoked, rogue (unregistered OIN)
    DEV-ONLY Foreign Root CA (ketenserver, NOT trusted)                     (self-signed)
      └── test-foreign: claims school 25LX's OIN

Every file name starts with ``DEV-ONLY-`` and every private key is written *unencrypted* on
purpose (tests and a dev server must start without a passphrase); that is exactly why none of
this may ever be used outside development. The certificates are strict RFC 5280 so that
:mod:`cryptography.x509.verification` (a web-PKI-strict verifier) and OpenSSL both accept them.

ketenserver trusts this one development chain for both countries: a Flemish party's certificate
(see :data:`FLEMISH_PARTIES`) is issued by the same intermediate as a Dutch one's, so the server's
single trust store accepts both and reads either identifier from serialNumber.

The package, by concern: :mod:`.names` (OINs, KBO numbers and certificate subjects), :mod:`.parties` (who
gets a certificate), :mod:`.issue` (keys, certificates and the CRL), :mod:`.layout` (the files
of a PKI directory and how they are written) and :mod:`.dev` (:func:`init_dev_pki` and
:func:`issue_test_certificate`). Import from the package itself; names with a leading
underscore are shared between its modules only.
"""

from ketenserver.pki.dev import init_dev_pki, issue_test_certificate
from ketenserver.pki.layout import DevPki, PartyFiles
from ketenserver.pki.names import SERVER_OIN, kvk_oin, school_oin, validate_kbo, validate_oin
from ketenserver.pki.parties import DEMO_PARTIES, FLEMISH_PARTIES, TEST_PARTIES, Party

__all__ = [
    "DEMO_PARTIES", "FLEMISH_PARTIES", "SERVER_OIN", "TEST_PARTIES", "DevPki", "Party", "PartyFiles",
    "init_dev_pki", "issue_test_certificate", "kvk_oin", "school_oin", "validate_kbo", "validate_oin",
]
