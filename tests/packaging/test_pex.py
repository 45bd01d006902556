"""
The one file: a pex built from the hash-locked requirements, the same bytes
every time, built offline too, and serving the bot from a bare Python.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from helpers import free_port
from helpers.bot import DEMO_KEY, write_config
from helpers.processes import Running, eventually, http
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "pex.toml"
LOCK = ROOT / "deploy" / "requirements.lock"
#: Twisted's plugin-cache writer (txluggage-tools'), which the pex does not carry.
PLUGINCACHE = ROOT / "luggage-tools" / "src" / "luggage_tools" / "plugincache.py"
#: Where nothing answers: an index or proxy here fails at once.
NOWHERE = "http://127.0.0.1:9"


def _luggage_pex(*argv: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "luggage_tools.pex", "--config", str(CONFIG), *argv],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_lock_agrees_with_setup_cfg() -> None:
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    required = [
        Requirement(line)
        for line in setup["options"]["install_requires"].strip().splitlines()
        if not line.lstrip().startswith("#")
    ]
    # txluggage is built from luggage/, not locked: its requirements are.
    with open(ROOT / "luggage" / "pyproject.toml", "rb") as file:
        luggage = tomllib.load(file)["project"]
    assert {r.name for r in required} >= {luggage["name"]}
    wanted = [r for r in required if r.name != luggage["name"]]
    libraries = [Requirement(line) for line in luggage["dependencies"]]
    text = LOCK.read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", text, re.MULTILINE))
    pins = {canonicalize_name(name): version for name, version in pins.items()}
    direct = {
        canonicalize_name(name)
        for name, via in re.findall(
            r"^([A-Za-z0-9_.-]+)==.*?\n((?:\s+(?:--hash|#).*\n)+)", text, re.MULTILINE
        )
        if "boredbot (setup.cfg)" in via
    }
    assert direct == {canonicalize_name(r.name) for r in wanted}, (
        "setup.cfg and deploy/requirements.lock disagree:"
        " run python -m luggage_tools.pex lock"
    )
    assert canonicalize_name(luggage["name"]) not in pins
    for requirement in wanted + libraries:
        pinned = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(pinned), (requirement, pinned)
    assert "http" not in text  # no index is named: any mirror or wheelhouse will do


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pex")
    online = folder / "online.pex"
    _luggage_pex("build", "--output", str(online))
    wheelhouse = folder / "wheelhouse"
    _luggage_pex("fetch", "--wheelhouse", str(wheelhouse))
    offline = folder / "offline.pex"
    no_network = {
        "PIP_INDEX_URL": NOWHERE,
        "HTTP_PROXY": NOWHERE,
        "HTTPS_PROXY": NOWHERE,
        "http_proxy": NOWHERE,
        "https_proxy": NOWHERE,
    }
    said = _luggage_pex(
        "build", "--wheelhouse", str(wheelhouse), "--output", str(offline),
        env=no_network,
    )  # fmt: skip
    assert "building offline from" in said
    return online, offline


@pytest.mark.slow
def test_builds_are_reproducible_online_and_offline(builds: tuple[Path, Path]) -> None:
    online, offline = builds
    print(f"sha256 {_sha256(online)}, {online.stat().st_size} bytes")
    assert _sha256(online) == _sha256(offline)


@pytest.fixture
def bare_python(tmp_path: Path) -> str:
    # A Python with nothing installed (no pip, no site packages), of the
    # version the pex is for (deploy/pex.toml's).
    wanted = tomllib.loads(CONFIG.read_text())["python_version"]
    python = shutil.which(f"python{wanted}")
    assert python, f"no python{wanted}: the pex is for it (tools/install-test-deps)"
    venv = tmp_path / "bare"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    return str(venv / "bin" / "python")


def _run_pex(
    python: str, pex: Path, folder: Path, *argv: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-I", str(pex), *argv],
        cwd=folder,
        env={**os.environ, "PEX_ROOT": str(folder / "pex-root")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_pex_is_twistd_with_the_plugin(
    builds: tuple[Path, Path], bare_python: str, tmp_path: Path
) -> None:
    done = _run_pex(bare_python, builds[0], tmp_path, "--help")
    assert done.returncode == 0, done
    assert "Usage: twistd [options]" in done.stdout
    assert re.search(r"^\s+boredbot\s+A bot that is bored", done.stdout, re.MULTILINE)
    assert "Unable to write" not in done.stdout + done.stderr


@pytest.mark.slow
def test_pex_carries_its_configuration(
    builds: tuple[Path, Path], bare_python: str, tmp_path: Path
) -> None:
    # Run far from any source tree: the production environment is found
    # inside, and asks for its key.
    done = _run_pex(
        bare_python,
        builds[0],
        tmp_path,
        "-n",
        "boredbot",
        "--environment",
        "production",
    )
    assert done.returncode != 0
    assert (
        "no private key: mount it at /run/secrets/boredbot" in done.stdout + done.stderr
    )
    with zipfile.ZipFile(builds[0]) as pex:
        environments = sorted(
            Path(name).name
            for name in pex.namelist()
            if "/boredbot_deploy/environments/" in name and not name.endswith("/")
            and not name.endswith(".py")
        )  # fmt: skip
    assert environments == ["demo.key", "demo.toml", "production.toml"]
    # luggage goes in, its build tools (txluggage-tools) do not.
    with zipfile.ZipFile(builds[0]) as pex:
        paths = [Path(name).parts for name in pex.namelist()]
    packages = {parts[2] for parts in paths if parts[0] == ".deps" and len(parts) > 3}
    assert "luggage" in packages and "boredbot" in packages
    assert "luggage_tools" not in packages


@pytest.mark.slow
def test_pex_serves_the_bot_from_a_bare_python(
    builds: tuple[Path, Path], bare_python: str, tmp_path: Path
) -> None:
    web = free_port()
    config = write_config(tmp_path, web, free_port())
    key = tmp_path / "demo.key"
    key.write_text(DEMO_KEY.read_text("ascii"))
    key.chmod(0o600)
    bot = Running(
        [bare_python, "-I", str(builds[0]), "-n", "--pidfile=", "boredbot",
         "--config", str(config), "--secret-key-file", str(key), "--interval", "0.3"],
        log=tmp_path / "pex.log",
        cwd=tmp_path,
        env={"PEX_ROOT": str(tmp_path / "pex-root")},
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{web}"
        bot.wait_for(url + "/healthz", timeout=120)
        eventually(lambda: len(http("GET", url + "/api/status")[2]["lines"]) >= 2)
        assert "Poke the bot" in http("GET", url + "/")[2]
        assert bot.stop() == -15  # twistd re-raises SIGTERM after a clean stop
    finally:
        bot.kill()
    assert "Server Shut Down." in bot.output()
    assert "Traceback" not in bot.output()


@pytest.mark.slow
def test_pex_unpacked_into_a_venv_runs_read_only(
    builds: tuple[Path, Path], tmp_path: Path
) -> None:
    # What an image does at build time: unpack the pex once into a venv and
    # write Twisted's plugin cache there; at run time nothing is written.
    venv = tmp_path / "boredbot"
    unpack = subprocess.run(
        [sys.executable, str(builds[0]), "venv", "--compile", str(venv)],
        env={**os.environ, "PEX_TOOLS": "1", "PEX_ROOT": str(tmp_path / "build-root")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert unpack.returncode == 0, unpack
    cache = subprocess.run(
        # (The tool is not in the pex: it is run as a script, as the image does.)
        [str(venv / "bin" / "python"), str(PLUGINCACHE)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert cache.returncode == 0, cache
    subprocess.run(["chmod", "-R", "a-w", str(venv)], check=True)
    web = free_port()
    config = write_config(tmp_path, web, free_port())
    key = tmp_path / "demo.key"
    key.write_text(DEMO_KEY.read_text("ascii"))
    key.chmod(0o400)
    # Without the power to override permissions, root is as read-only as
    # the unprivileged user of a container.
    drop = ["setpriv", "--inh-caps=-dac_override", "--bounding-set=-dac_override", "--"]
    bot = Running(
        [*(drop if os.geteuid() == 0 else []), str(venv / "pex"), "-n", "--pidfile=",
         "boredbot", "--config", str(config), "--secret-key-file", str(key),
         "--interval", "0.3"],
        log=tmp_path / "read-only.log",
        cwd=tmp_path,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{web}"
        bot.wait_for(url + "/healthz", timeout=60)
        eventually(lambda: len(http("GET", url + "/api/status")[2]["lines"]) >= 2)
        bot.stop()
    finally:
        bot.kill()
        subprocess.run(["chmod", "-R", "u+w", str(venv)], check=True)
    log = bot.output()
    for trouble in ("PEXWarning", "Unable to write", "Traceback", "denied"):
        assert trouble not in log
