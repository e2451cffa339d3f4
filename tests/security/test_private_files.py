"""Every file the development PKI writes that holds a private key is the owner's only (0600), from
the moment it exists, whatever the umask; and writing them logs no key material."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketenserver.pki import init_dev_pki, issue_test_certificate


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _holds_a_key(path: Path) -> bool:
    """By name and by content, so that a key written under another name is noticed too."""
    return path.name.endswith((".key.pem", ".p12")) or b"PRIVATE KEY" in path.read_bytes()


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)  # everything world-writable unless the code asks otherwise
    try:
        yield
    finally:
        os.umask(previous)


def test_every_key_file_is_owner_only_even_with_an_open_umask(tmp_path, open_umask, caplog):
    caplog.set_level(logging.DEBUG)
    pki = init_dev_pki(tmp_path / "pki")
    issued = issue_test_certificate(pki.directory, oin="00000099000000000077", name="Tijdelijk",
                                    out_dir=tmp_path / "issued")
    files = [*pki.directory.iterdir(), *issued.key.parent.iterdir()]
    keys = [path for path in files if _holds_a_key(path)]
    assert {issued.key, issued.p12, pki.server_key, pki.root_key} <= set(keys)
    assert len(keys) >= 2 * 7 + 3  # a key and a PKCS#12 per party, three CA/server keys
    for path in keys:
        assert _mode(path) == 0o600, path.name
    assert _mode(issued.cert) & 0o004  # certificates stay readable: only keys are private
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "PRIVATE KEY" not in logged


def test_regenerating_tightens_a_key_file_that_was_loosened(tmp_path):
    pki = init_dev_pki(tmp_path / "pki")
    pki.server_key.chmod(0o644)
    init_dev_pki(pki.directory, force=True)
    assert _mode(pki.server_key) == 0o600
