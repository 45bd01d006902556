"""
Build one reproducible pex from hash-locked requirements::

    python -m luggage_tools.pex lock                      # write the locks
    python -m luggage_tools.pex fetch --wheelhouse DIR    # fill a wheelhouse once
    python -m luggage_tools.pex build [--wheelhouse DIR]  # build, offline with DIR

Parameters come from a TOML file (default C{deploy/pex.toml}). Every
dependency is downloaded by pip in hash-checking mode, wheels only, into a
wheelhouse; the pex is then built from that wheelhouse with no index at
all. A build without C{--wheelhouse} fetches into a temporary one first, so
the hashes are checked in either case, and a build with one needs no
network. The project's own wheel is built from its tracked files only, with
normalised file modes and C{SOURCE_DATE_EPOCH} set to the commit's time, so
two builds of one commit give the same bytes; a working tree whose tracked
files differ from the commit, or with untracked files in a package's
folder, is refused, naming them. Outside a git checkout (a container
building from C{git archive} of a commit), every file there is taken, and
C{SOURCE_DATE_EPOCH} must be given. The requirements are the project's
C{[project]} table in C{pyproject.toml} (PEP 621), or its C{setup.cfg};
environments shipped as package data are optional. Projects of the same
repository that the project depends on (C{local_projects}, each a folder
with a C{pyproject.toml}) are built into wheels the same way and go into
the pex beside it; the lock holds their requirements, not them.

Every step that installs or resolves runs on the Python the pex targets
(C{python_version}): this one if it is that version, else C{pythonX.Y} on
the C{PATH}; a missing one fails the build, saying so.

It needs only the standard library, pip, and (to build) pex; (to lock) uv.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BuildError(Exception):
    """
    A build step that failed, and what it said.
    """

    step: str
    problem: str

    def __str__(self) -> str:
        return f"{self.step}: {self.problem}"


@dataclass(frozen=True)
class PexConfig:
    """
    A deployment's build parameters (see C{deploy/pex.toml}).
    """

    project: Path
    output: Path
    console_script: str
    interpreter_constraint: str
    python_version: str
    pip_version: str
    requirements_lock: Path
    build_requirements_lock: Path
    build_requirements: tuple[str, ...]
    #: The folder of environments (TOML files) shipped as package data, and
    #: which of them go in; none if the project ships none.
    package_data: str | None
    environments: tuple[str, ...]
    #: Folders of this repository holding projects the project depends on
    #: (relative to it), built from their tracked files as it is.
    local_projects: tuple[str, ...] = ()

    @classmethod
    def read(cls, path: Path) -> PexConfig:
        """
        The parameters in C{path}; relative paths are the project's (the
        folder holding C{pyproject.toml} above C{path}).
        """
        try:
            with open(path, "rb") as file:
                table = tomllib.load(file)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
            raise BuildError(str(path), str(problem)) from None
        project = path.resolve().parent
        while not (project / "pyproject.toml").exists():
            if project == project.parent:
                raise BuildError(str(path), "no pyproject.toml above it")
            project = project.parent
        try:
            return cls(
                project=project,
                output=project / table["output"],
                console_script=table["console_script"],
                interpreter_constraint=table["interpreter_constraint"],
                python_version=table["python_version"],
                pip_version=table["pip_version"],
                requirements_lock=project / table["requirements_lock"],
                build_requirements_lock=project / table["build_requirements_lock"],
                build_requirements=tuple(table["build_requirements"]),
                package_data=table.get("package_data"),
                environments=tuple(table.get("environments", ())),
                local_projects=tuple(table.get("local_projects", ())),
            )
        except KeyError as missing:
            raise BuildError(str(path), f"missing {missing}") from None


def requirements_source(project: Path) -> str:
    """
    The file naming the project's requirements: C{pyproject.toml} when it
    has a C{[project]} table (PEP 621), else C{setup.cfg}.
    """
    try:
        with open(project / "pyproject.toml", "rb") as file:
            if "project" in tomllib.load(file):
                return "pyproject.toml"
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise BuildError("lock", f"pyproject.toml: {problem}") from None
    if (project / "setup.cfg").exists():
        return "setup.cfg"
    raise BuildError(
        "lock", "pyproject.toml has no [project] table and there is no setup.cfg"
    )


def lock(config: PexConfig) -> None:
    """
    Resolve the project's requirements (from C{pyproject.toml}'s
    C{[project]}, or C{setup.cfg}) and the build backend's, for every
    platform, and write them pinned with hashes.
    """
    source = requirements_source(config.project)
    _say(f"locking the requirements of {config.project / source}")
    # The local projects resolve from their folders, and their own
    # requirements are locked; they themselves are built, not locked.
    names = [local_project_name(config, folder) for folder in config.local_projects]
    _compile(
        config,
        source,
        config.requirements_lock,
        extra=[
            "-",
            *(argument for name in names for argument in ("--no-emit-package", name)),
        ]
        if names
        else [],
        stdin="".join(f"./{folder}\n" for folder in config.local_projects) or None,
    )
    _say(f"locking the build requirements: {', '.join(config.build_requirements)}")
    _compile(
        config,
        "-",
        config.build_requirements_lock,
        stdin="\n".join(config.build_requirements) + "\n",
    )
    _say(f"wrote {config.requirements_lock} and {config.build_requirements_lock}")


def local_project_name(config: PexConfig, folder: str) -> str:
    """
    The distribution name of the local project in C{folder}, from its
    C{pyproject.toml}.
    """
    path = config.project / folder / "pyproject.toml"
    try:
        with open(path, "rb") as file:
            return str(tomllib.load(file)["project"]["name"])
    except (
        OSError,
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        KeyError,
        TypeError,
    ) as problem:
        raise BuildError(
            "lock", f"local project {folder}: no [project] name in {path}: {problem}"
        ) from None


def _compile(
    config: PexConfig,
    source: str,
    output: Path,
    stdin: str | None = None,
    extra: Sequence[str] = (),
) -> None:
    # For every platform, pinned with the hashes of every file; the output
    # named relative to the project, as its header records the command.
    _run(
        "lock",
        [
            *_uv(), "pip", "compile", source, *extra, "--generate-hashes",
            "--universal", "--python-version", config.python_version, "--quiet",
            "-o", str(output.relative_to(config.project)),
        ],
        cwd=config.project,
        stdin=stdin,
    )  # fmt: skip


def fetch(config: PexConfig, wheelhouse: Path, source: Path | None = None) -> None:
    """
    Download every locked requirement into C{wheelhouse}, checking hashes;
    wheels only, for this platform and Python.

    @param source: take them from this wheelhouse, not from the index.
    """
    wheelhouse.mkdir(parents=True, exist_ok=True)
    python = target_python(config)
    origin = [] if source is None else ["--no-index", "--find-links", str(source)]
    for requirements in (config.requirements_lock, config.build_requirements_lock):
        where = "the index" if source is None else str(source)
        _say(f"fetching {requirements.name} from {where} (hashes checked)")
        _run(
            "fetch",
            [
                python,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "--no-deps",
                "--only-binary=:all:",
                "-r",
                str(requirements),
                "-d",
                str(wheelhouse),
                *origin,
            ],
        )


def build(config: PexConfig, wheelhouse: Path | None = None) -> Path:
    """
    Build the pex; offline from C{wheelhouse} if given, else from a
    wheelhouse fetched first. Return its path.
    """
    started = time.monotonic()
    # Before anything is fetched: a tree unlike its commit is refused, and
    # outside git, a build with no time to stamp it with.
    _check_sources(config)
    _source_date_epoch(config)
    with tempfile.TemporaryDirectory(prefix="luggage-pex-") as scratch:
        work = Path(scratch)
        # Whether from the index or from a wheelhouse filled earlier, every
        # file is hash-checked on its way into this one, which the build uses.
        checked = work / "wheelhouse"
        if wheelhouse is not None:
            _say(f"building offline from {wheelhouse}")
        fetch(config, checked, source=wheelhouse)
        wheelhouse = checked
        pins = work / "pins.txt"
        pins.write_text(_pins(config.requirements_lock))
        wheels = _project_wheels(config, wheelhouse, work)
        config.output.parent.mkdir(parents=True, exist_ok=True)
        _say(f"building {config.output}, which runs {config.console_script}")
        _run(
            "pex",
            [
                sys.executable,
                "-m",
                "pex",
                *map(str, wheels),
                "-r",
                str(pins),
                "--no-pypi",
                "--find-links",
                str(wheelhouse),
                "--interpreter-constraint",
                config.interpreter_constraint,
                "--python",
                target_python(config),
                # The pip the build requirements lock (so it comes from the
                # wheelhouse, hash-checked), not one pex would fetch.
                "--pip-version",
                config.pip_version,
                "--console-script",
                config.console_script,
                # The pex tools let a deployment unpack the pex into a venv
                # once (PEX_TOOLS=1 ./x.pex venv DIR), to run read-only.
                "--include-tools",
                "--pex-root",
                str(work / "pex-root"),
                "--output-file",
                str(config.output),
            ],
        )
    size = config.output.stat().st_size / 1e6
    took = time.monotonic() - started
    _say(f"built {config.output}: {size:.1f} MB in {took:.0f} s")
    return config.output


def target_python(config: PexConfig) -> str:
    """
    The Python the pex is for: this one if it is C{config.python_version},
    else C{pythonX.Y} on the C{PATH}, checked to be that version.
    """
    wanted = config.python_version
    if f"{sys.version_info.major}.{sys.version_info.minor}" == wanted:
        return sys.executable
    found = shutil.which(f"python{wanted}")
    said = ""
    if found is not None:
        done = subprocess.run(  # noqa: S603 (the Python found, asked its version)
            [found, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        said = done.stdout.strip()
        if done.returncode == 0 and said == wanted:
            return found
    raise BuildError(
        "python",
        f"the pex is for CPython {wanted}, and this is"
        f" {sys.version_info.major}.{sys.version_info.minor}; no working"
        f" python{wanted} on the PATH"
        + (f" ({found} did not run as {wanted})" if found else ""),
    )


def _pins(lock_file: Path) -> str:
    # The lock without its hashes: pip checks hashes for a whole resolve or
    # for none, and the project's own wheel has none to give. The files the
    # pins name are the ones already checked into the build's wheelhouse.
    pins = []
    for line in lock_file.read_text().replace("\\\n", " ").splitlines():
        requirement = line.split("#", 1)[0].split("--hash=")[0].strip()
        if requirement:
            pins.append(requirement)
    return "\n".join(pins) + "\n"


def _project_wheels(config: PexConfig, wheelhouse: Path, work: Path) -> list[Path]:
    # The project's wheel, then each local project's, from staged copies.
    staged = _stage(config, work)
    epoch = _source_date_epoch(config)
    builder = work / "builder"
    _say(
        "building the project's wheel"
        + "".join(f", and {folder}'s" for folder in config.local_projects)
        + f" from their tracked files (SOURCE_DATE_EPOCH={epoch})"
    )
    _run("wheel", [target_python(config), "-m", "venv", str(builder)])
    python = str(builder / "bin" / "python")
    _run(
        "wheel",
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "-r",
            str(config.build_requirements_lock),
        ],
    )
    built = []
    names = ("the project", *config.local_projects)
    for index, (name, folder) in enumerate(zip(names, staged, strict=True)):
        wheels = work / "wheels" / str(index)
        if not (folder / "pyproject.toml").exists():
            raise BuildError("wheel", f"local project {name}: no pyproject.toml")
        _run(
            "wheel",
            [
                python,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "-w",
                str(wheels),
                str(folder),
            ],
            env={"SOURCE_DATE_EPOCH": epoch, "PYTHONHASHSEED": "0"},
        )
        [wheel] = wheels.glob("*.whl")
        built.append(wheel)
    return built


def source_folders(config: PexConfig) -> list[Path]:
    """
    The project's folder, then each local project's (which may lie outside
    it, elsewhere in the same repository).
    """
    return [
        config.project,
        *((config.project / folder).resolve() for folder in config.local_projects),
    ]


def _stage(config: PexConfig, work: Path) -> list[Path]:
    # Only what git tracks, so no stray build output or local file slips in;
    # of the package data, only the chosen environments; modes normalised so
    # that a checkout's umask does not change the wheel. The project goes
    # to work/source, each local project to work/local/<n>.
    staged, kept = [], 0
    for index, folder in enumerate(source_folders(config)):
        target_folder = work / "source" if index == 0 else work / "local" / str(index)
        for name in _tracked_files(config, folder):
            path = Path(name)
            if (
                index == 0
                and config.package_data is not None
                and path.parent.as_posix() == config.package_data
                and path.stem not in config.environments
            ):
                continue
            target = target_folder / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / path, target)
            target.chmod(0o644)
            kept += 1
        staged.append(target_folder)
    if config.package_data is None:
        _say(f"staged {kept} tracked files")
        return staged
    found = {path.stem for path in (staged[0] / config.package_data).glob("*.toml")}
    missing = set(config.environments) - found
    if missing:
        raise BuildError("stage", f"no environment {', '.join(sorted(missing))}")
    _say(f"staged {kept} tracked files; environments: {', '.join(config.environments)}")
    return staged


def _source_date_epoch(config: PexConfig) -> str:
    # The time every file of the build is stamped with: the commit's.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return epoch
    if not _in_git(config.project):
        raise BuildError(
            "wheel",
            "outside a git checkout, set SOURCE_DATE_EPOCH (the time, in"
            " seconds since 1970, to stamp the build with: the commit's)",
        )
    return _run(
        "wheel", ["git", "log", "-1", "--format=%ct"], cwd=config.project
    ).strip()


def repository_root(folder: Path) -> Path | None:
    """
    The root of the git checkout C{folder} is in (it, or the nearest folder
    above it, holding C{.git}), found without asking git, which a container
    building from an archive need not have; L{None} outside one.
    """
    return next(
        (above for above in (folder, *folder.parents) if (above / ".git").exists()),
        None,
    )


def _in_git(folder: Path) -> bool:
    return repository_root(folder) is not None


def _check_sources(config: PexConfig) -> None:
    # Every folder the build takes files from is as its commit has it.
    for folder in source_folders(config):
        if not folder.is_dir():
            raise BuildError("stage", f"no folder {folder}")
        _tracked_files(config, folder)


def _tracked_files(config: PexConfig, folder: Path) -> list[str]:
    # In a checkout, what git tracks under folder, as the commit has it;
    # elsewhere (a container building from `git archive` of one commit)
    # every file there. Named relative to folder.
    if _in_git(folder):
        listed = _run("stage", ["git", "ls-files", "-z"], cwd=folder)
        tracked = [name for name in listed.split("\0") if name]
        _refuse_a_tree_unlike_its_commit(config, folder, tracked)
        return tracked
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file()
    )


def _refuse_a_tree_unlike_its_commit(
    config: PexConfig, folder: Path, tracked: list[str]
) -> None:
    # The build is stamped with the commit's time and named by its ID: what
    # it holds must be the commit's. A tracked file changed, or a file left
    # untracked (or ignored) in a package's folder (a module a package
    # would import, a data file it reads, silently left out), is refused,
    # naming them (as git does: from the repository's root).
    status = _run(
        "stage",
        [
            "git",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--",
            ".",
        ],
        cwd=folder,
    )
    prefix = _run("stage", ["git", "rev-parse", "--show-prefix"], cwd=folder).strip()
    packages = {Path(name).parent for name in tracked if name.endswith("__init__.py")}
    data = (
        Path(config.package_data)
        if config.package_data is not None and folder == config.project
        else None
    )
    changed, untracked = [], []
    entries = iter(status.split("\0"))
    for entry in entries:
        if not entry:
            continue
        code, name = entry[:2], entry[3:]
        if code[0] in "RC":
            next(entries, None)  # a rename names its source next
        if code == "!!" and (
            "__pycache__" in Path(name).parts or name.endswith((".pyc", ".pyo"))
        ):
            continue  # bytecode, which no build takes
        if code in ("??", "!!"):
            # Untracked, or ignored (a file .gitignore hides is left out
            # as silently as one never added).
            path = Path(name.removeprefix(prefix))
            if path.parent == data:
                # Of the environments' folder, only those the pex takes.
                if path.suffix == ".toml" and path.stem in config.environments:
                    untracked.append(name)
            elif path.parent in packages:
                untracked.append(name)
        else:
            changed.append(name)
    if changed:
        raise BuildError(
            "stage",
            "the working tree differs from the commit (commit, or build a clean"
            f" checkout): {', '.join(sorted(changed))}",
        )
    if untracked:
        raise BuildError(
            "stage",
            "untracked files in the packages' folders would be left out"
            f" (add and commit them, or remove them): {', '.join(sorted(untracked))}",
        )


def _uv() -> list[str]:
    if importlib.util.find_spec("uv") is None:
        raise BuildError("lock", "uv is not installed (pip install uv)")
    return [sys.executable, "-m", "uv"]


def _run(
    step: str,
    argv: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> str:
    # Argument lists of our own making, never a shell.
    done = subprocess.run(  # noqa: S603
        list(argv),
        cwd=cwd,
        env=None if env is None else {**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(step, f"{argv[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _say(message: str) -> None:
    print(f"luggage_tools.pex: {message}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """
    The command; its exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m luggage_tools.pex", description=__doc__
    )
    parser.add_argument("--config", default="deploy/pex.toml", type=Path)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("lock", help="write the hash-locked requirements")
    fetching = commands.add_parser("fetch", help="fill a wheelhouse from the locks")
    fetching.add_argument("--wheelhouse", required=True, type=Path)
    building = commands.add_parser("build", help="build the pex")
    building.add_argument("--wheelhouse", type=Path, help="build offline from it")
    building.add_argument("--output", type=Path, help="instead of the configured one")
    arguments: Any = parser.parse_args(argv)
    try:
        config = PexConfig.read(arguments.config)
        if arguments.command == "lock":
            lock(config)
        elif arguments.command == "fetch":
            fetch(config, arguments.wheelhouse)
        else:
            if arguments.output is not None:
                config = replace(config, output=arguments.output.resolve())
            build(config, arguments.wheelhouse)
    except BuildError as problem:
        print(f"luggage_tools.pex: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
