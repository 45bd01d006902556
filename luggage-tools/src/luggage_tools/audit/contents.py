"""
What an image holds, read from its files with no shell or tool inside it:
its OS release, its Debian packages (the dpkg status file) and its Python
distributions (each C{*.dist-info} folder of a C{site-packages}, the
Python packages Debian ships in C{dist-packages} being its packages).

The image's filesystem is read as a stream (C{docker export} of a
container created, never started, and removed after), file names only
but for the few files read.
"""

from __future__ import annotations

import email.parser
import json
import subprocess
import tarfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import IO

from .debian import CannotCheck

#: A dpkg status or METADATA file larger than this is refused.
MAX_FILE_BYTES = 32 * 1024 * 1024


@dataclass
class Contents:
    """
    An image's OS release fields, dpkg status text, and Python
    distributions (name, version, where).
    """

    image_id: str = ""
    os_release: str = ""
    dpkg_status: str = ""
    python: list[tuple[str, str, str]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Contents:
        data = json.loads(text)
        return cls(
            image_id=data["image_id"],
            os_release=data["os_release"],
            dpkg_status=data["dpkg_status"],
            python=[(str(n), str(v), str(w)) for n, v, w in data["python"]],
        )


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    if member.size > MAX_FILE_BYTES:
        raise CannotCheck(f"/{member.name}: larger than {MAX_FILE_BYTES} bytes")
    file = tar.extractfile(member)
    return b"" if file is None else file.read().decode("utf-8", errors="replace")  # type: ignore[return-value]


def read_filesystem(stream: IO[bytes]) -> Contents:
    """
    The contents of a filesystem given as a tar stream.
    """
    try:
        return _read_filesystem(stream)
    except (tarfile.TarError, EOFError) as problem:
        raise CannotCheck(
            f"the image's files are not a tar stream: {problem}"
        ) from None


def _read_filesystem(stream: IO[bytes]) -> Contents:
    contents = Contents()
    links: dict[str, str] = {}
    release: dict[str, str] = {}
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            name = member.name.lstrip("./")
            if name in ("etc/os-release", "usr/lib/os-release"):
                if member.issym():
                    links[name] = member.linkname
                elif member.isfile():
                    release[name] = _read(tar, member)
            elif name == "var/lib/dpkg/status" and member.isfile():
                contents.dpkg_status = _read(tar, member)
            elif (
                name.endswith(".dist-info/METADATA")
                and "/site-packages/" in f"/{name}"
                and member.isfile()
            ):
                headers = email.parser.Parser().parsestr(
                    _read(tar, member), headersonly=True
                )
                if headers["Name"] and headers["Version"]:
                    where = "/" + name.rsplit("/", 2)[0]
                    contents.python.append((headers["Name"], headers["Version"], where))
    # /etc/os-release is a link to ../usr/lib/os-release on Debian.
    contents.os_release = release.get("etc/os-release") or release.get(
        "usr/lib/os-release", ""
    )
    contents.python.sort()
    return contents


def _docker(argv: Sequence[str]) -> str:
    done = subprocess.run(
        ["docker", *argv], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CannotCheck(f"docker {argv[0]}: {last}")
    return done.stdout.strip()


def of_image(image: str, labels: Sequence[str] = ()) -> Contents:
    """
    The contents of C{image} (pulled if the engine lacks it), through a
    container created for it and removed after, labelled with C{labels}
    (KEY=VALUE).
    """
    label_args = [arg for label in labels for arg in ("--label", label)]
    inspect = ["docker", "image", "inspect", "--format", "{{.Id}}", image]
    found = subprocess.run(inspect, capture_output=True, text=True, check=False)
    if found.returncode == 0:
        image_id = found.stdout.strip()
    else:
        _docker(["pull", "--quiet", image])
        image_id = _docker(inspect[1:])
    # A container needs a command to be created: any will do, none runs.
    container = _docker(["create", *label_args, "--entrypoint", "/nonexistent", image])
    try:
        export = subprocess.Popen(
            ["docker", "export", container],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert export.stdout is not None
        try:
            contents = read_filesystem(export.stdout)
        finally:
            export.stdout.close()
            _, err = export.communicate()
        if export.returncode not in (0, None) and not contents.dpkg_status:
            raise CannotCheck(f"docker export: {err.decode(errors='replace').strip()}")
    finally:
        _docker(["rm", container])
    contents.image_id = image_id
    return contents


def main(argv: Sequence[str] | None = None) -> int:
    """
    C{python -m luggage_tools.audit.contents IMAGE [KEY=VALUE...]}: what IMAGE
    holds, as JSON on standard output (its container labelled so).
    """
    import sys

    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        print(
            "usage: python -m luggage_tools.audit.contents IMAGE [LABEL...]",
            file=sys.stderr,
        )
        return 2
    try:
        print(of_image(arguments[0], arguments[1:]).to_json())
    except CannotCheck as problem:
        print(f"contents: {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
