"""Creating the development PKI (:func:`init_dev_pki`) and temporary test certificates from it.

Also writes the README that explains every file of the directory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from ketenserver.pki.issue import _BACKDATE, _LEAF_VALIDITY, _LOCALHOST, _ca, _client_leaf, _crl, _leaf, _now
from ketenserver.pki.layout import (
    _PARTY_FILE_KINDS,
    DevPki,
    PartyFiles,
    _load_issuer,
    _party_files,
    _pem,
    _write,
    _write_issuer,
    _write_party,
)
from ketenserver.pki.names import FOREIGN_ROOT_CN, INTERMEDIATE_CN, ROOT_CN, SERVER_OIN, _name, validate_oin
from ketenserver.pki.parties import DEMO_PARTIES, TEST_PARTIES


def init_dev_pki(
    directory: Path,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DevPki:
    """Create the development PKI in ``directory`` unless it is already complete.

    Idempotent: when every file exists and ``force`` is False nothing is written. When any file
    is missing (or ``force`` is True) the whole PKI is generated again, because a partial set
    would mix certificates of different CAs. Not safe against two processes generating into the
    same directory at the same moment.
    """
    pki = DevPki.in_directory(directory)
    if pki.is_complete() and not force:
        return pki
    say = progress or (lambda _message: None)
    pki.directory.mkdir(parents=True, exist_ok=True)
    now = _now()
    start, end = now - _BACKDATE, now + _LEAF_VALIDITY

    say("root and intermediate CA")
    root = _ca(ROOT_CN, issuer=None, path_length=None)
    ca = _ca(INTERMEDIATE_CN, issuer=root, path_length=0)
    _write_issuer(pki.root_cert, pki.root_key, root)
    _write_issuer(pki.intermediate_cert, pki.intermediate_key, ca)
    _write(pki.trust_bundle, _pem(root.cert) + _pem(ca.cert))

    say("server certificate for localhost")
    localhost = list(_LOCALHOST)
    # clientAuth too: the server is a TLS client when it pushes callbacks.
    usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    server = _leaf(
        ca, _name("localhost", "ketenserver", SERVER_OIN), localhost, usages,
        not_before=start, not_after=end,
    )
    _write_issuer(pki.server_cert, pki.server_key, server)
    _write(pki.server_chain, _pem(server.cert) + _pem(ca.cert))

    revoked: list[x509.Certificate] = []
    for party in (*DEMO_PARTIES, *TEST_PARTIES):
        if party.key == "test-foreign":
            continue
        say(f"certificate {party.key} ({party.oin})")
        valid = (start, end)
        if party.key == "test-expired":
            valid = (now - dt.timedelta(days=366), now - dt.timedelta(days=1))
        leaf = _client_leaf(ca, party.oin, party.name, not_before=valid[0], not_after=valid[1],
                            endpoint=party in DEMO_PARTIES, country=party.country)
        _write_party(pki.party(party.key), leaf, ca.cert)
        if party.key == "test-revoked":
            revoked.append(leaf.cert)

    say("foreign root CA and test-foreign")
    foreign = _ca(FOREIGN_ROOT_CN, issuer=None, path_length=None)
    _write(pki.foreign_root_cert, _pem(foreign.cert))  # its key is thrown away: never needed
    files = pki.party("test-foreign")
    leaf = _client_leaf(foreign, files.oin, files.name, not_before=start, not_after=end)
    _write_party(files, leaf, foreign.cert)

    say("CRL")
    _write(pki.crl, _crl(ca, revoked).public_bytes(serialization.Encoding.PEM))
    # README last: together with the rest it completes the set that is_complete() checks.
    (pki.directory / "README.md").write_text(_readme(pki), encoding="utf-8")
    return pki


def issue_test_certificate(
    pki_dir: Path,
    *,
    oin: str,
    name: str,
    out_dir: Path | None = None,
    days: int = 30,
) -> PartyFiles:
    """Issue a temporary certificate from the dev intermediate, as DUO does for its test setup.

    Writes ``DEV-ONLY-temp-<oin>.crt.pem/.key.pem/.chain.pem/.p12`` into ``out_dir`` (default:
    ``pki_dir``). Raises ``ValueError`` for a malformed OIN, a name that is empty or longer
    than 64 characters (the X.520 limit) or days below 1, and ``FileNotFoundError`` when
    ``pki_dir`` holds no development PKI.
    """
    validate_oin(oin)
    if not name.strip() or len(name) > 64:
        raise ValueError(f"the organisation name must have 1 to 64 characters, got {name!r}")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    pki = DevPki.in_directory(pki_dir)
    if not (pki.intermediate_cert.is_file() and pki.intermediate_key.is_file()):
        raise FileNotFoundError(
            f"no development PKI in {pki.directory}; create it first with init_dev_pki()"
        )
    ca = _load_issuer(pki.intermediate_cert, pki.intermediate_key)
    target = Path(out_dir) if out_dir is not None else pki.directory
    target.mkdir(parents=True, exist_ok=True)
    now = _now()
    leaf = _client_leaf(
        ca, oin, name, not_before=now - _BACKDATE, not_after=now + dt.timedelta(days=days)
    )
    files = _party_files(target, f"temp-{oin}", oin, name)
    _write_party(files, leaf, ca.cert)
    return files


_PURPOSES = {
    "test-expired": "expired yesterday: refused as expired",
    "test-revoked": "listed in the CRL: refused as revoked",
    "test-rogue": "valid, same CA, registered nowhere: signer not authorised",
    "test-foreign": "claims school 25LX's OIN, issued by the foreign root: unknown issuer",
    "loket-0316200006": "demo government: the werkplekduaal counter itself",
}


def _readme(pki: DevPki) -> str:
    files = [
        (pki.root_cert, f"root CA certificate \"{ROOT_CN}\" (O=DEV-ONLY ketenserver)"),
        (pki.root_key, "root CA private key"),
        (pki.intermediate_cert, f"intermediate CA \"{INTERMEDIATE_CN}\", pathlen 0; issues "
         "every trusted leaf and the CRL"),
        (pki.intermediate_key, "intermediate CA private key"),
        (pki.crl, "CRL of the intermediate (next update in 1 year); lists test-revoked"),
        (pki.trust_bundle, "root + intermediate: the trust anchor of clients (for the server) "
         "and of the server (for clients)"),
        (pki.server_cert, f"server certificate: localhost, 127.0.0.1, ::1; serverAuth + "
         f"clientAuth; OIN {SERVER_OIN}"),
        (pki.server_key, "server private key"),
        (pki.server_chain, "server certificate + intermediate"),
        (pki.foreign_root_cert, "a foreign root CA, NOT in the trust bundle"),
    ]
    for party in (*DEMO_PARTIES, *TEST_PARTIES):
        pf = pki.party(party.key)
        paths = (pf.cert, pf.key, pf.chain, pf.p12)
        files += [(path, f"{party.key}: {kind}") for path, kind in zip(paths, _PARTY_FILE_KINDS, strict=True)]
    lines = [
        "# DEV-ONLY development PKI of ketenserver",
        "",
        "**For development and tests only.** These certificates imitate the PKIoverheid hierarchy",
        "(Staat der Nederlanden Private Root -> Private Services CA -> leaves) but nobody outside",
        "this project trusts them. The private keys are **unencrypted on purpose** (tests and a",
        "local server must start without a passphrase) and the `.p12` files (key, certificate and",
        "issuing CA) have **no password**. Never use any of this in production. Regenerate with",
        "`init_dev_pki(directory, force=True)`. Temporary certificates made by",
        "`issue_test_certificate()` are named `DEV-ONLY-temp-<OIN>.*`.",
        "",
        "## Files",
        "",
        *(f"- `{path.name}`: {what}" for path, what in files),
        "",
        "## Parties (identifier in the certificate subject's serialNumber)",
        "",
        "A Dutch party's subject names C=NL and its OIN; a Flemish party's (the werkplekduaal",
        "parties) names C=BE and its KBO enterprise number, as Flemish government B2B certificates",
        "do. Both come from the same dev intermediate: ketenserver trusts one development chain for",
        "both countries, so the one trust bundle above accepts them all.",
        "",
        "| key | C | identifier | name | purpose |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {p.key} | {p.country} | {p.oin} | {p.name} | {_PURPOSES.get(p.key, f'demo {p.kind}')} |"
          for p in (*DEMO_PARTIES, *TEST_PARTIES)),
        "",
        "The demo parties' certificates carry clientAuth and serverAuth and the names localhost,",
        "127.0.0.1 and ::1 besides `urn:oin:<OIN>` (`urn:kbo:<KBO number>` for a Flemish party):",
        "with the same certificate a demo school can also serve its own SOAP endpoint on this",
        "machine (the receiver of pushed SBB mutations). The test parties' certificates are for",
        "clients only.",
        "",
    ]
    return "\n".join(lines)
