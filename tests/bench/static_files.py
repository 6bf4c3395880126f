"""Production settings (DEBUG off) serve hashed static files from STATIC_ROOT: collecting
them for a bench or smoke run, in one place. Imports nothing of Django."""

from __future__ import annotations

import contextlib
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def static_collected(env: dict[str, str]):
    """``env`` with a temporary STATIC_ROOT holding the collected static files; removed
    afterwards."""
    with tempfile.TemporaryDirectory() as static_root:
        collected_env = {**env, "STATIC_ROOT": static_root}
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=collected_env,
            check=True,
        )
        yield collected_env
