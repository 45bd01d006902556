"""
What an image holds, read from its files as a tar stream: the OS release
(through the link Debian makes), the dpkg status, the Python distributions
of site-packages only; a stream that is not a tar is one line, not a
traceback.
"""

from __future__ import annotations

import io
import tarfile

import pytest

from luggage_tools.audit.contents import read_filesystem
from luggage_tools.audit.debian import CannotCheck

DIST = "twisted-26.10.0.dist-info"


def _tar(files: dict[str, bytes], links: dict[str, str]) -> io.BytesIO:
    stream = io.BytesIO()
    with tarfile.open(fileobj=stream, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    stream.seek(0)
    return stream


def test_the_files_the_audit_reads() -> None:
    metadata = b"Metadata-Version: 2.1\nName: Twisted\nVersion: 26.10.0\n"
    stream = _tar(
        {
            "./usr/lib/os-release": b"ID=debian\nVERSION_CODENAME=trixie\n",
            "./var/lib/dpkg/status": b"Package: libc6\nStatus: install ok installed\n",
            f"./opt/s/lib/python3.13/site-packages/{DIST}/METADATA": metadata,
            "./usr/lib/python3/dist-packages/yaml-6.0.dist-info/METADATA": metadata,
        },
        {"./etc/os-release": "../usr/lib/os-release"},
    )
    contents = read_filesystem(stream)
    assert "VERSION_CODENAME=trixie" in contents.os_release
    assert contents.dpkg_status.startswith("Package: libc6")
    assert contents.python == [
        ("Twisted", "26.10.0", "/opt/s/lib/python3.13/site-packages")
    ]


@pytest.mark.parametrize("data", [b"", b"not a tar at all" * 100])
def test_what_is_not_a_tar_stream_could_not_be_checked(data: bytes) -> None:
    with pytest.raises(CannotCheck, match="not a tar stream"):
        read_filesystem(io.BytesIO(data))


def test_an_empty_archive_holds_nothing() -> None:
    # Zero blocks end an archive: no file, so no status and no Python.
    contents = read_filesystem(io.BytesIO(b"\x00" * 1024))
    assert (contents.dpkg_status, contents.python) == ("", [])
