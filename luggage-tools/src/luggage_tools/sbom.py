"""
The CycloneDX 1.6 bill of materials of a whole image, from what
L{luggage_tools.audit.contents} read of it (JSON on standard input)::

    python -m luggage_tools.sbom --name NAME --version VERSION --timestamp EPOCH \
        < contents.json

It lists the OS (the image's os-release), every installed Debian package
(C{pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-N}, its source
package as a property) and every Python distribution
(C{pkg:pypi/NAME@VERSION}), and describes the image itself (by its ID).
The output is validated against the strict CycloneDX 1.6 JSON schema
before it is written, and is the same bytes for the same image and
arguments: the serial number derives from the image's ID, the time is
the one given (the commit's), and components are sorted.

It needs the CycloneDX library (C{cyclonedx-python-lib}, with its JSON
validation); the build image has it, hash-locked.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import uuid
from collections.abc import Sequence

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL
from packaging.utils import canonicalize_name

from luggage_tools.audit.contents import Contents
from luggage_tools.audit.debian import installed, os_release

#: The namespace of the serial numbers (a UUID 5 of the image's ID).
SERIALS = uuid.UUID("4b0c8ad2-6a43-5e0f-9c1e-2f6b1d0a7e53")


def bill(contents: Contents, name: str, version: str, timestamp: int) -> str:
    """
    The bill of materials of the image C{contents} describes, as JSON.
    """
    release = os_release(contents.os_release)
    distro = f"{release.get('ID', 'linux')}-{release.get('VERSION_ID', '')}".rstrip("-")
    bom = Bom()
    bom.serial_number = uuid.uuid5(SERIALS, contents.image_id or name)
    bom.metadata.timestamp = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    bom.metadata.component = Component(
        name=name,
        version=version,
        type=ComponentType.CONTAINER,
        bom_ref=f"image:{contents.image_id or name}",
        properties=[Property(name="oci:image:id", value=contents.image_id)]
        if contents.image_id else [],
    )  # fmt: skip
    if release:
        bom.components.add(
            Component(
                name=release.get("ID", "linux"),
                version=release.get("VERSION_ID", ""),
                description=release.get("PRETTY_NAME"),
                type=ComponentType.OPERATING_SYSTEM,
                bom_ref=f"os:{distro}",
            )
        )
    for package in sorted(
        installed(contents.dpkg_status), key=lambda p: (p.name, p.architecture)
    ):
        purl = PackageURL(
            type="deb",
            namespace="debian",
            name=package.name,
            version=package.version,
            qualifiers={"arch": package.architecture, "distro": distro},
        )
        bom.components.add(
            Component(
                name=package.name,
                version=package.version,
                type=ComponentType.LIBRARY,
                purl=purl,
                bom_ref=purl.to_string(),
                properties=[Property(name="debian:source", value=package.source)],
            )
        )
    for dist_name, dist_version, where in sorted(contents.python):
        purl = PackageURL(
            type="pypi", name=canonicalize_name(dist_name), version=dist_version
        )
        bom.components.add(
            Component(
                name=dist_name,
                version=dist_version,
                type=ComponentType.LIBRARY,
                purl=purl,
                bom_ref=f"{purl.to_string()}#{where}",
                properties=[Property(name="python:location", value=where)],
            )
        )
    # The image holds every component: its dependency graph, one level.
    bom.register_dependency(bom.metadata.component, bom.components)
    text: str = JsonV1Dot6(bom).output_as_string(indent=2)
    problem = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if problem is not None:
        raise ValueError(f"the bill of materials is not valid CycloneDX 1.6: {problem}")
    return text + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """
    The command; its exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m luggage_tools.sbom",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument(
        "--timestamp", required=True, type=int, help="seconds since 1970"
    )
    arguments = parser.parse_args(argv)
    try:
        contents = Contents.from_json(sys.stdin.read())
        sys.stdout.write(
            bill(contents, arguments.name, arguments.version, arguments.timestamp)
        )
    except (ValueError, KeyError) as problem:
        print(f"sbom: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
