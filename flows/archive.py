"""Where a night's files live: a local folder, or any URL that fsspec opens.

``[archive] dir`` is a path (``wiredupe-data``, ``/mnt/shared/wiredupe``) or a URL
(``s3://bucket/wiredupe``, ``gs://…``; the protocol's package, such as s3fs, is
installed beside wiredupe). Each run has a folder ``runs/NNNNNN`` there holding,
per source, the WARC archive, the fetch log, the statistics and the crawl log,
and the seen-URL files and the ``sources.toml`` the night ran with.

Scrapy and the fetch-log reader work on local files, so a crawl or a reader on a
remote archive works on a local copy: :func:`local_copy` fetches a file (a local
archive's files are used where they are), :func:`publish` puts one back.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from crawler.run import crawl_outputs
from flows.errors import ConfigError

__all__ = [
    "absolute",
    "crawl_file",
    "exists",
    "is_remote",
    "join",
    "local_copy",
    "local_path",
    "publish",
    "read_text",
    "run_location",
    "staging",
]


def is_remote(location: str) -> bool:
    """Whether ``location`` is a URL of a file system other than the local disk.

    Raises:
        ConfigError: the URL's protocol is unknown, or its package is not installed.
    """
    return not _on_disk(_fs(location)[0])


def local_path(location: str) -> Path:
    """The folder or file on this disk that a local ``location`` names (``file://`` too).

    Raises:
        ConfigError: ``location`` is not on the local disk, or cannot be opened.
    """
    fs, path = _fs(location)
    if not _on_disk(fs):
        raise ConfigError("archive", "dir", f"{location!r} is not on this machine's disk")
    return Path(path)


def absolute(location: str) -> str:
    """``location`` as another process started elsewhere can use it: a path made absolute.

    A URL of a remote file system is returned as it is.
    """
    return location if is_remote(location) else str(local_path(location))


def join(base: str, *parts: str) -> str:
    """``base`` with ``parts`` appended, with ``/`` for a URL and the OS's way for a path."""
    if "://" in base:
        return "/".join([base.rstrip("/"), *parts])
    return str(Path(base, *parts))


def crawl_file(run_dir: str, source: str, kind: str) -> str:
    """Where a crawl's file is in its run's folder.

    Args:
        run_dir: the run's folder or URL (:func:`run_location`).
        source: the source's name.
        kind: ``warc``, ``fetch_log`` or ``stats`` (see :class:`crawler.CrawlOutputs`).
    """
    name: Path = getattr(crawl_outputs(Path(), source), kind)
    return join(run_dir, name.name)


def exists(location: str) -> bool:
    """Whether there is a file at ``location``."""
    fs, path = _fs(location)
    return bool(fs.exists(path))


def run_location(archive_dir: str, run_id: int) -> str:
    """The folder (or URL prefix) of run ``run_id``'s files."""
    return join(archive_dir, "runs", f"{run_id:06d}")


def read_text(location: str) -> str | None:
    """The text (UTF-8, bad bytes replaced) at ``location``; None when there is no file."""
    fs, path = _fs(location)
    if not fs.exists(path):
        return None
    with fs.open(path, "r", encoding="utf-8", errors="replace") as fh:
        return str(fh.read())


@contextmanager
def staging(location: str) -> Iterator[Path]:
    """A local folder to write a run's files in: the folder itself when it is local.

    For a remote ``location`` it is a new temporary folder, removed when the block
    ends; :func:`publish` what must be kept before then.
    """
    fs, path = _fs(location)
    if _on_disk(fs):
        Path(path).mkdir(parents=True, exist_ok=True)
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="wiredupe-") as tmp:
        yield Path(tmp)


@contextmanager
def local_copy(location: str, folder: Path | None = None) -> Iterator[Path | None]:
    """A local file with the content of ``location``; None when there is no file.

    A local ``location`` is used where it is. A remote one is copied into
    ``folder`` (kept), or into a temporary file removed when the block ends.
    """
    fs, path = _fs(location)
    if not fs.exists(path):
        yield None
        return
    if _on_disk(fs):
        yield Path(path)
        return
    into: AbstractContextManager[str] = (
        nullcontext(str(folder))
        if folder is not None
        else tempfile.TemporaryDirectory(prefix="wiredupe-")
    )
    with into as where:
        target = Path(where) / Path(path).name
        fs.get_file(path, str(target))
        yield target


def publish(local: Path, location: str) -> None:
    """Put the local file ``local`` at ``location`` (nothing to do when it is there already)."""
    fs, path = _fs(location)
    if _on_disk(fs):
        if Path(path).resolve() != local.resolve():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local, path)
        return
    fs.put_file(str(local), path)


def _on_disk(fs: fsspec.AbstractFileSystem) -> bool:
    return isinstance(fs, LocalFileSystem)


def _fs(location: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The file system of ``location`` and the path in it.

    Raises:
        ConfigError: the URL's protocol is unknown, or its package is not installed.
    """
    try:
        fs, path = fsspec.core.url_to_fs(location)
    except (ImportError, ValueError) as exc:
        raise ConfigError("archive", "dir", f"cannot open {location!r}: {exc}") from None
    return fs, str(path)
