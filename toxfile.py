"""tox inline plugin: find every CPython 3.11-3.13 that pyenv installed.

pyenv's shims only answer for the versions that are "active", so with one global version tox
cannot find ``python3.12`` or ``python3.13`` even when pyenv has them. Appending those versions'
``bin`` directories to PATH (after everything already there, so nothing the user chose is
shadowed) lets tox's interpreter discovery find them; without pyenv this does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tox.plugin import impl

WANTED = (("3", "11"), ("3", "12"), ("3", "13"))


def _add_pyenv_interpreters() -> None:
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return
    root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False).stdout.strip()
    versions = Path(root) / "versions"
    if not root or not versions.is_dir():
        return
    path = os.environ.get("PATH", "").split(os.pathsep)
    for version in sorted(versions.iterdir()):
        bin_dir = str(version / "bin")
        if tuple(version.name.split(".")[:2]) in WANTED and bin_dir not in path:
            path.append(bin_dir)
    os.environ["PATH"] = os.pathsep.join(path)


_add_pyenv_interpreters()  # at import: tox loads this file before it looks for interpreters


@impl
def tox_add_option(parser: Any) -> None:
    """Nothing to add; the hook makes tox treat this module as its inline plugin."""
