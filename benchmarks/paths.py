"""Where the published instances live: `../shared/instances` from the project root."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "DISPATCH_INSTANCES"


def instances_root() -> Path:
    """The instance folder: `$DISPATCH_INSTANCES`, else `../shared/instances` next to the repo."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared" / "instances"


def suite_dir(name: str) -> Path:
    """The folder of a published suite: `solomon`, `gehring_homberger_200`, `trsp_pillac2013`."""
    return instances_root() / name
