"""Durable file writes shared by the spool and the forwarder's state (steps 7-9 of 10).

The crash rules of both rest on three moves: write everything (os.write may
write less than asked), fsync a file, and fsync its directory so a create,
rename or unlink survives a power cut. `replace_file` combines them into the
atomic replace both use for small state files: a reader sees the old content
or the new, never a mix. Errors are OSError; callers name their file in their
own error type.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    """os.write until every byte is written."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def fsync_dir(directory: Path) -> None:
    """Make the directory's entries (creates, renames, unlinks) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes, *, mode: int = 0o640, fsync: bool = True) -> None:
    """Atomically replace `path` with `data`: write a temporary file, fsync, rename, fsync the directory."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        write_all(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if fsync:
        fsync_dir(path.parent)
