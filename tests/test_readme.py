"""The README's client example works as written, against a real server with the dev PKI."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _client_example() -> str:
    text = README.read_text()
    section = text.split("## A client in twenty lines", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README lost its client example"
    return match.group(1)


def test_readme_client_example_runs(base_url, pki):
    code = _client_example()
    assert len(code.strip().splitlines()) <= 25
    code = code.replace("https://127.0.0.1:8443", base_url).replace("certs-dev/", f"{pki.directory}/")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - our own README, on purpose
    printed = output.getvalue()
    assert printed.startswith("0 ")  # signaalcode 0: recognised
    assert "100000001 Bakkerij De Vries B.V. Amsterdam" in printed
    assert "refused: 0004 Postcode" in printed
