"""tox inline plugin: find every CPython that pyenv installed.

pyenv's shims only answer for the versions that are "active", so with one global version tox
cannot find ``python3.12`` or ``python3.13`` even when pyenv has them. Activating all installed
3.11-3.13 versions for tox's own process (unless the user chose with ``PYENV_VERSION``) lets
interpreter discovery work unchanged; without pyenv this does nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from tox.plugin import impl


def _activate_pyenv_versions() -> None:
    pyenv = shutil.which("pyenv")
    if pyenv is None or os.environ.get("PYENV_VERSION"):
        return
    listed = subprocess.run([pyenv, "versions", "--bare", "--skip-aliases"], capture_output=True,
                            text=True, check=False).stdout.split()
    wanted = [v for v in listed if v.split(".")[:2] in (["3", "11"], ["3", "12"], ["3", "13"])]
    if wanted:
        os.environ["PYENV_VERSION"] = ":".join(wanted)


@impl
def tox_add_option(parser: Any) -> None:
    _activate_pyenv_versions()
