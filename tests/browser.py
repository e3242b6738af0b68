"""Debian's headless Chromium for the page tests: where it is and how it is started.

The flags keep it off the network this machine does not have (no background requests, no
component updates, no sync) and give each run its own profile. Without Chromium the tests that
need it are skipped with a reason that says so; `.ci/run` installs it.
"""

from __future__ import annotations

import shutil

import pytest


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="no chromium on this machine (.ci/run installs Debian's chromium)"
)


def chromium_flags(profile: str, *extra: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        *extra,
        f"--user-data-dir={profile}",
    ]
