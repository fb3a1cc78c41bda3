"""``wiredupe demo``: the whole pipeline on the bundled offline demo web."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console

import storage
from demo.server import DEFAULT_ROOT, serve_web
from flows.archive import is_remote, local_path
from flows.config import Settings, load_settings
from flows.stages import open_store

__all__ = ["DEMO_SOURCES", "run_demo"]

DEMO_SOURCES = DEFAULT_ROOT.parent / "sources.toml"


def run_demo(settings: Settings, console: Console) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Serve the demo web, crawl it with the nightly flow, return the summary and groups.

    The demo's sources file names its sites by placeholder; it is written out with
    the ports the sites got, under the archive folder, so the run can be repeated
    with ``wiredupe run --sources`` while a demo web is served.
    """
    from flows.pipeline import run_night

    with open_store(settings.database.url):  # fail early if the database is unreachable
        pass
    with serve_web() as web:
        # A local file either way: the demo's sources.toml is for `wiredupe run` here.
        archive = settings.archive.dir
        folder = (Path("wiredupe-data") if is_remote(archive) else local_path(archive)) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        sources_file = folder / "sources.toml"
        sources_file.write_text(
            web.substitute(DEMO_SOURCES.read_text(encoding="utf-8")), encoding="utf-8"
        )
        demo_settings = replace(
            load_settings(sources_file, require_sources=True), database=settings.database
        )
        console.print(
            f"demo web: {len(web.bases)} sites on 127.0.0.1 "
            f"({', '.join(sorted(web.bases))}); crawling them now",
            markup=False,
        )
        # The demo web is local: no politeness delay is needed.
        summary = run_night(demo_settings, crawl_delay=0.0)
    with open_store(settings.database.url) as sessions, sessions() as session:
        found = storage.list_groups(session, limit=20)
    return summary, found
