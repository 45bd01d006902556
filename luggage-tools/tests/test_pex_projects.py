"""
luggage_tools.pex for a project that is not this one: requirements from a PEP 621
[project] table, no environments; a tree unlike its commit, or a module
left untracked, refused before anything is fetched; outside git, one line
asking for SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Runs git, uv and pip (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow


PYPROJECT = """\
[build-system]
requires = ["setuptools>=69", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "tiny"
version = "1.0"
requires-python = ">=3.11"
dependencies = ["attrs >= 23.1"]
"""

PEX_TOML = """\
output = "dist/tiny.pex"
console_script = "tiny"
interpreter_constraint = "CPython==3.13.*"
python_version = "3.13"
pip_version = "26.2.1"
requirements_lock = "requirements.lock"
build_requirements_lock = "build-requirements.lock"
build_requirements = ["pip==26.2.1", "setuptools==83.0.0", "wheel==0.47.0", "pex"]
"""


def _git(project: Path, *argv: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *argv],
        cwd=project, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    (root / "tiny").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "pex.toml").write_text(PEX_TOML)
    (root / "tiny" / "__init__.py").write_text(
        "def main() -> None:\n    print('tiny')\n"
    )
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "tiny")
    return root


def _luggage_pex(
    project: Path, *argv: str, **env: str
) -> subprocess.CompletedProcess[str]:
    config = str(project / "pex.toml")
    return subprocess.run(
        [sys.executable, "-m", "luggage_tools.pex", "--config", config, *argv],
        cwd=project, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def test_a_pep_621_project_is_locked_from_its_project_table(project: Path) -> None:
    done = _luggage_pex(project, "lock")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"locking the requirements of {project / 'pyproject.toml'}" in done.stdout
    lock = (project / "requirements.lock").read_text()
    assert "attrs==" in lock
    assert "--hash=sha256:" in lock


def test_a_tree_unlike_its_commit_is_refused_naming_the_files(project: Path) -> None:
    (project / "tiny" / "__init__.py").write_text("changed = True\n")
    done = _luggage_pex(project, "build")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "luggage_tools.pex: stage: the working tree differs from the commit (commit, or"
        " build a clean checkout): tiny/__init__.py"
    )
    assert "fetching" not in done.stdout  # refused before anything was fetched


def test_an_untracked_module_is_refused_not_left_out(project: Path) -> None:
    (project / "tiny" / "helpers.py").write_text("x = 1\n")
    (project / "notes.txt").write_text("not in a package: no matter\n")
    done = _luggage_pex(project, "build")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "luggage_tools.pex: stage: untracked files in the packages' folders would"
        " be left out (add and commit them, or remove them): tiny/helpers.py"
    )


def test_outside_git_it_asks_for_the_time_in_one_line(
    project: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(project, archive, ignore=shutil.ignore_patterns(".git"))
    env = {
        key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"
    }
    config = str(archive / "pex.toml")
    done = subprocess.run(
        [sys.executable, "-m", "luggage_tools.pex", "--config", config, "build"],
        cwd=archive, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "luggage_tools.pex: wheel: outside a git checkout, set SOURCE_DATE_EPOCH"
        " (the time, in seconds since 1970, to stamp the build with: the commit's)"
    )


def test_of_the_environments_only_those_the_pex_takes_count(project: Path) -> None:
    # An environment file someone is still writing, not one pex.toml names,
    # is no part of the build; one it names, left untracked, is refused.
    (project / "tiny" / "envs").mkdir()
    (project / "tiny" / "envs" / "__init__.py").write_text("")
    (project / "tiny" / "envs" / "demo.toml").write_text("a = 1\n")
    with (project / "pex.toml").open("a") as config:
        config.write('package_data = "tiny/envs"\nenvironments = ["demo", "prod"]\n')
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "environments")
    (project / "tiny" / "envs" / "mine.toml").write_text("b = 2\n")
    # (From an empty wheelhouse: past the tree's check, it fails at once.)
    empty = project.parent / "empty-wheelhouse"
    empty.mkdir()
    done = _luggage_pex(project, "build", "--wheelhouse", str(empty))
    assert "luggage_tools.pex: fetch:" in done.stderr, done.stderr
    (project / "tiny" / "envs" / "prod.toml").write_text("c = 3\n")
    done = _luggage_pex(project, "build")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "(add and commit them, or remove them): tiny/envs/prod.toml"
    )


def test_a_local_project_is_built_beside_the_project_not_locked(project: Path) -> None:
    # tiny depends on tinylib, a project of the same repository (src
    # layout): the lock holds tinylib's requirements but not tinylib, and
    # the pex carries both wheels, built from their tracked files.
    library = project / "libs" / "tinylib"
    (library / "src" / "tinylib").mkdir(parents=True)
    (library / "pyproject.toml").write_text(
        PYPROJECT.replace('name = "tiny"', 'name = "tinylib"').replace(
            '"attrs >= 23.1"', '"tomlkit >= 0.12"'
        )
        + '\n[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    )
    (library / "src" / "tinylib" / "__init__.py").write_text(
        "import tomlkit\n\nGREETING = tomlkit.dumps({'from': 'tinylib'})\n"
    )
    (project / "pyproject.toml").write_text(
        PYPROJECT.replace('"attrs >= 23.1"', '"attrs >= 23.1", "tinylib"')
        + '\n[project.scripts]\ntiny = "tiny:main"\n'
        + '\n[tool.setuptools]\npackages = ["tiny"]\n'
    )
    (project / "tiny" / "__init__.py").write_text(
        "import tinylib\n\ndef main() -> None:\n    print(tinylib.GREETING, end='')\n"
    )
    with (project / "pex.toml").open("a") as config:
        config.write('local_projects = ["libs/tinylib"]\n')
    done = _luggage_pex(project, "lock")
    assert done.returncode == 0, done.stdout + done.stderr
    lock = (project / "requirements.lock").read_text()
    assert "tomlkit==" in lock and "attrs==" in lock
    pinned = [line.split("==")[0] for line in lock.splitlines() if "==" in line]
    assert "tinylib" not in pinned and "tomlkit" in pinned
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "a local project")
    done = _luggage_pex(project, "build")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "building the project's wheel, and libs/tinylib's" in done.stdout
    ran = subprocess.run(
        ["python3.13", str(project / "dist" / "tiny.pex")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (ran.returncode, ran.stdout) == (0, 'from = "tinylib"\n'), ran.stderr


def test_a_project_in_a_subfolder_checks_its_local_projects_too(tmp_path: Path) -> None:
    # A repository holding a library and, in a folder of its own, a service
    # built on it: a change in the library's tracked files is refused,
    # named from the repository's root, before anything is fetched.
    repository = tmp_path / "repository"
    service = repository / "services" / "tiny"
    library = repository / "libs" / "tinylib"
    (service / "tiny").mkdir(parents=True)
    (library / "tinylib").mkdir(parents=True)
    (service / "pyproject.toml").write_text(
        PYPROJECT.replace('"attrs >= 23.1"', '"tinylib"')
    )
    (service / "pex.toml").write_text(
        PEX_TOML + 'local_projects = ["../../libs/tinylib"]\n'
    )
    (service / "tiny" / "__init__.py").write_text("")
    (library / "pyproject.toml").write_text(
        PYPROJECT.replace('name = "tiny"', 'name = "tinylib"')
    )
    (library / "tinylib" / "__init__.py").write_text("")
    _git(repository, "init", "-q")
    _git(repository, "add", "-A")
    _git(repository, "commit", "-qm", "a service and its library")
    (library / "tinylib" / "__init__.py").write_text("changed = True\n")
    (library / "tinylib" / "new.py").write_text("")
    done = _luggage_pex(service, "build")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "luggage_tools.pex: stage: the working tree differs from the commit (commit,"
        " or build a clean checkout): libs/tinylib/tinylib/__init__.py"
    )
    assert "fetching" not in done.stdout
    _git(repository, "commit", "-qam", "changed")
    done = _luggage_pex(service, "build")
    assert done.stderr.strip().endswith(
        "(add and commit them, or remove them): libs/tinylib/tinylib/new.py"
    )


def test_a_file_gitignore_hides_in_a_package_is_refused_too(project: Path) -> None:
    # A data file a package reads, matched by .gitignore: as silently left
    # out as one never added. Bytecode is not such a file.
    (project / ".gitignore").write_text("*.key\n__pycache__/\n")
    _git(project, "add", ".gitignore")
    _git(project, "commit", "-qm", "ignore keys")
    (project / "tiny" / "demo.key").write_text("a key the package reads\n")
    (project / "tiny" / "__pycache__").mkdir()
    (project / "tiny" / "__pycache__" / "x.cpython-313.pyc").write_bytes(b"")
    done = _luggage_pex(project, "build")
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        "(add and commit them, or remove them): tiny/demo.key"
    )
