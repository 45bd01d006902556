"""
The tutorial and the how-to guides, followed literally: their marked
blocks (see L{helpers.guides}) run in order, guide after guide, in a
scratch clone of the repository, as a reader on a fresh machine of the
tests' kind would run them.

What the test changes, and only this (L{SUBSTITUTIONS}, L{IN_GUIDE}, and
the environment L{Reader} gives the commands):

- C{~} (and C{/home/you} in what a command prints) is a scratch home, and
  C{/srv/} a scratch folder, so that the files the guides make land in
  the test's folder (what Docker keeps is removed after the run, as every
  test's);
- a public key shown as an example is the reader's own: the one of
  C{~/boredbot.key}, and for C{ALICES_PUBLIC_KEY} one of a key the test
  makes for Alice;
- C{/path/to/boredbot} is the scratch clone, in the pex guide
  C{/opt/boredbot} a scratch folder, and in the swarm guide C{IMAGE} the
  image it deployed;
- the addresses behind the reverse proxy the Parse Server guide describes
  (C{https://parse.example.org/updates/parse}) are the instances it starts
  on loopback (no proxy runs here);
- PostgreSQL is the suite's own cluster (C{PGHOST}, C{PGPORT}, kept by
  C{sudo -u postgres}, and its port in a C{databaseURI}), not the
  machine's;
- the example commit C{1a2b3c4d5e6f} in a release record's name is the
  clone's, and a registry's folder in C{/tmp} a scratch one;
- images build on the base the images guide makes (C{BASE}), since no
  public registry is reachable, and the swarm stack publishes no port
  (C{PUBLISH=no}), since this kernel has no routing mesh (both as the
  guides say);
- the advisory database (C{AUDIT_DB}) is the tests' stand-in for the
  PyPA's, which this machine can't clone;
- the machine's CA bundle is given to image builds (C{BUILD_CA_BUNDLE}, as
  the images guide says for a network with a CA of its own: this one's);
- the reader's git identity is given (C{GIT_AUTHOR_NAME} and the like),
  as a reader's own configuration would;
- the reader's own secrets (a master key, a REST key) are files the test
  writes before a guide that reads them (L{GIVEN}), and what a command
  asks at a terminal it reads from its standard input (L{TYPED}).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.docker import CA_BUNDLE
from helpers.guides import KINDS, Block, blocks, commands, matches
from helpers.leftovers import own_stack
from helpers.processes import answers
from helpers.real_parse import Postgres

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"

#: The guides, in the order a reader follows them.
ORDER = (
    "tutorial/quickstart.rst",
    "howto/install.rst",
    "howto/parse-server.rst",
    "howto/configure.rst",
    "howto/secrets.rst",
    "howto/processes.rst",
    "howto/json-logs.rst",
    "howto/build-pex.rst",
    "howto/images.rst",
    "howto/release.rst",
    "howto/verify.rst",
    "howto/vulnerabilities.rst",
    "howto/swarm.rst",
    "howto/kubernetes.rst",
    # Last: it commits a service of the reader's own in the clone, after
    # which the clone's commit is no longer the one the guides above name.
    "howto/own-service.rst",
)

#: The public key the secrets guide shows, an example of what keygen prints.
EXAMPLE_PUBLIC_KEY = "jAIN4RuAE0bjIZ7S4fd2DpcOJf5I1P26ZaItqPDBlk0="

#: What a guide's text becomes where the tests run (see the docstring).
SUBSTITUTIONS = (
    ("/path/to/boredbot", "{clone}"),
    ("/home/you/", "{home}/"),
    ("/srv/", "{scratch}/srv/"),
    ("https://parse.example.org/updates/parse", "http://127.0.0.1:1337/parse"),
    ("https://parse.example.org/mood/parse", "http://127.0.0.1:1338/parse"),
    ("127.0.0.1:5432", "127.0.0.1:{postgres}"),
    ("sudo -u postgres ", "sudo --preserve-env=PGHOST,PGPORT -u postgres "),
    ("/tmp/registry", "{scratch}/registry"),
    ("1a2b3c4d5e6f", "{commit}"),
)

#: Substitutions of one guide only: where C{/opt/boredbot} is a folder of
#: this machine, not one in an image.
IN_GUIDE = {
    "howto/build-pex.rst": (("/opt/boredbot", "{scratch}/opt/boredbot"),),
    "howto/swarm.rst": (
        ("--image IMAGE ", "--image boredbot:latest "),
        (" IMAGE -c ", " boredbot:latest -c "),
    ),
}

#: Files a reader holds before following a guide: their own secrets.
GIVEN: dict[str, dict[str, str]] = {
    "howto/parse-server.rst": {
        "updates-master-key": "UPDATES_MASTER_KEY\n",
        "mood-master-key": "MOOD_MASTER_KEY\n",
    },
    "howto/secrets.rst": {
        "updates-rest-key.txt": "UPDATES_REST_API_KEY\n",
        "mood-rest-key.txt": "MOOD_REST_API_KEY\n",
    },
}

#: What a reader types at a command's prompt, by the guide and the block's
#: first line.
TYPED: dict[tuple[str, str], str] = {
    ("howto/parse-server.rst", "sudo -u postgres createuser --pwprompt parse"): (
        "PASSWORD\nPASSWORD\n"
    ),
}

#: How long one block may take (a build without cache takes minutes).
BLOCK_TIMEOUT = 900


def test_the_order_names_every_guide() -> None:
    on_disk = {
        str(path.relative_to(DOCS))
        for folder in ("tutorial", "howto")
        for path in (DOCS / folder).glob("*.rst")
    }
    assert on_disk == set(ORDER)


@pytest.mark.parametrize("guide", ORDER)
def test_every_block_is_marked(guide: str) -> None:
    # blocks() refuses an unmarked block, a stray mark, an unknown kind.
    for block in blocks(DOCS, guide):
        assert block.kind in KINDS
        if block.kind == "elsewhere":
            assert (ROOT / block.argument).is_file(), block.where


class Reader:
    """
    A reader on a fresh machine: a scratch clone, a home, a virtual
    environment on C{PATH}, and the processes the guides started.
    """

    def __init__(self, scratch: Path, postgres: Postgres) -> None:
        self.scratch = scratch
        self.clone = scratch / "boredbot"
        self.home = scratch / "home"
        self.home.mkdir()
        (scratch / "srv").mkdir()
        self.postgres = postgres
        subprocess.run(
            ["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(self.clone)],
            check=True,
        )
        # What is not committed yet is followed too (a clean checkout, as CI
        # makes, has nothing to add).
        diff = subprocess.run(
            ["git", "-C", str(ROOT), "diff", "HEAD", "--binary"],
            capture_output=True,
            check=True,
        ).stdout
        if diff:
            subprocess.run(
                ["git", "-C", str(self.clone), "apply"], input=diff, check=True
            )
            # Committed there, as a reader's changes would be before a
            # build (luggage_tools.pex builds a commit, and refuses a tree unlike
            # it).
            subprocess.run(
                ["git", "-C", str(self.clone), "-c", "user.name=guides",
                 "-c", "user.email=guides@test", "commit", "--quiet", "-a",
                 "-m", "What the work tree had"],
                check=True,
            )  # fmt: skip
        self.commit = subprocess.run(
            ["git", "-C", str(self.clone), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        venv = scratch / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        self.env = {
            key: value
            for key, value in os.environ.items()
            # tox's and its environment's settings are not the reader's
            # (the machine's, such as pip's CA, are).
            if not key.startswith(("PYTHON", "VIRTUAL_ENV", "TOX"))
        }
        self.env.update(
            HOME=str(self.home),
            PATH=f"{venv / 'bin'}:{os.environ['PATH']}",
            VIRTUAL_ENV=str(venv),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            # The reader's git knows who they are (a guide commits).
            GIT_AUTHOR_NAME="A Reader",
            GIT_AUTHOR_EMAIL="reader@example.org",
            GIT_COMMITTER_NAME="A Reader",
            GIT_COMMITTER_EMAIL="reader@example.org",
            PGHOST=str(postgres.folder),
            PGPORT=str(postgres.port),
            # No public registry: images build on the base the images guide
            # makes (as it says), and no routing mesh: the swarm guide's
            # stack publishes nothing (as it says).
            BASE="boredbot-base:trixie",
            PUBLISH="no",
            # No git host: the advisory database is the tests' stand-in
            # for the PyPA's (as the vulnerabilities guide says to export).
            AUDIT_DB=str(ROOT / "tests" / "audit" / "advisories"),
        )
        if CA_BUNDLE.exists():
            # This machine's network has a CA of its own: the images guide
            # says to give it to the build so.
            self.env["BUILD_CA_BUNDLE"] = str(CA_BUNDLE)
        self.followed: list[str] = []
        self.served: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.serving: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.last_output = ""

    def substitute(self, text: str, guide: str = "") -> str:
        for old, new in (*SUBSTITUTIONS, *IN_GUIDE.get(guide, ())):
            text = text.replace(
                old,
                new.format(
                    clone=self.clone,
                    home=self.home,
                    scratch=self.scratch,
                    postgres=self.postgres.port,
                    commit=self.commit,
                ),
            )
        if EXAMPLE_PUBLIC_KEY in text:
            text = text.replace(
                EXAMPLE_PUBLIC_KEY, self._public_key(self.home / "boredbot.key")
            )
        if "ALICES_PUBLIC_KEY" in text:
            alice = self.scratch / "alice.key"
            if not alice.exists():
                self._luggage_secrets("keygen", str(alice))
            text = text.replace("ALICES_PUBLIC_KEY", self._public_key(alice))
        return text

    def _public_key(self, key: Path) -> str:
        return self._luggage_secrets("show-public", "--key-file", str(key)).strip()

    def _luggage_secrets(self, *arguments: str) -> str:
        return subprocess.run(
            ["luggage-secrets", *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def follow(self, guide: str) -> None:
        """
        Follow C{guide}, after every guide before it not followed yet.
        """
        for earlier in ORDER[: ORDER.index(guide)]:
            if earlier not in self.followed:
                self.follow(earlier)
        for name, content in GIVEN.get(guide, {}).items():
            (self.clone / name).write_text(content)
        marked = blocks(DOCS, guide)
        try:
            for block in marked:
                if block.kind != "cleanup":
                    self._do(block)
        finally:
            try:
                for block in marked:
                    if block.kind == "cleanup":
                        self._run(block, self.substitute(block.text, block.guide))
            finally:
                self._stop(self.serving)
                self.followed.append(guide)

    def _do(self, block: Block) -> None:
        text = self.substitute(block.text, block.guide)
        if block.kind == "run":
            self._run(block, text)
        elif block.kind == "fails":
            self._run(block, text, fails=True)
        elif block.kind == "output":
            unmatched = matches(text, self.last_output, whole=block.argument == "whole")
            assert unmatched is None, (
                f"{block.where}: the guide shows {unmatched.strip()!r}; the command"
                f" printed:\n{self.last_output}"
            )
        elif block.kind == "file":
            path = self.clone / self.substitute(block.argument, block.guide)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif block.kind == "serve":
            self._serve(block, text, self.serving)
        elif block.kind == "service":
            self._serve(block, text, self.served)

    def _run(self, block: Block, text: str, fails: bool = False) -> None:
        typed = TYPED.get((block.guide, block.text.splitlines()[0]), "")
        log = self.scratch / f"block-{block.line}.log"
        process = self._start(["bash", "-euo", "pipefail", "-c", text], log)
        self.serving.append((process, log))
        try:
            process.communicate(typed.encode(), timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        self.last_output = log.read_text("utf-8", "replace")
        if fails:
            assert process.returncode not in (0, None), (
                f"{block.where}: should fail, but exit {process.returncode}\n"
                f"--- {text}--- printed:\n{self.last_output[-8000:]}"
            )
            return
        assert process.returncode == 0, (
            f"{block.where}: exit {process.returncode}\n--- {text}--- printed:\n"
            f"{self.last_output[-8000:]}"
        )

    def _start(
        self, argv: list[str], log: Path, stdin: int = subprocess.PIPE
    ) -> subprocess.Popen[bytes]:
        with open(log, "wb") as output:
            return subprocess.Popen(
                argv,
                cwd=self.clone,
                env=self.env,
                stdin=stdin,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Its own process group: what it leaves in the background is
                # stopped with the guide.
                start_new_session=True,
            )

    def _serve(
        self, block: Block, text: str, into: list[tuple[subprocess.Popen[bytes], Path]]
    ) -> None:
        started = []
        for number, command in enumerate(commands(text)):
            log = self.scratch / f"serve-{block.line}-{number}.log"
            # Nothing is typed at a server.
            process = self._start(["bash", "-c", command], log, subprocess.DEVNULL)
            started.append((process, log))
            into.append((process, log))
        for url in self.substitute(block.argument, block.guide).split():
            self._wait_for(block, url, started)
        for process, log in started:
            assert process.poll() is None, (
                f"{block.where}: {process.args!r} exited with {process.returncode}:\n"
                f"{log.read_text('utf-8', 'replace')[-6000:]}"
            )

    def _wait_for(
        self,
        block: Block,
        url: str,
        started: list[tuple[subprocess.Popen[bytes], Path]],
        timeout: float = 180.0,
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process, log in started:
                if process.poll() is not None:
                    raise AssertionError(
                        f"{block.where}: {process.args!r} exited with"
                        f" {process.returncode} before {url} answered:\n"
                        f"{log.read_text('utf-8', 'replace')[-6000:]}"
                    )
            if answers(url):
                return
            time.sleep(0.2)
        raise AssertionError(f"{block.where}: {url} did not answer in {timeout} s")

    def close(self) -> None:
        """
        Stop what the guides left running (their services).
        """
        self._stop(self.served)

    def _stop(self, processes: list[tuple[subprocess.Popen[bytes], Path]]) -> None:
        for process, _ in processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process, _ in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)
            process.wait()
        processes.clear()


def _signal_group(process: subprocess.Popen[bytes], number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def reader(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres
) -> Iterator[Reader]:
    scratch = tmp_path_factory.mktemp("guides")
    following = Reader(scratch, postgres)
    try:
        yield following
    finally:
        following.close()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.engine
@pytest.mark.parametrize("guide", ORDER)
def test_following_the_guide_works(reader: Reader, guide: str) -> None:
    if guide == "howto/swarm.rst":
        # The swarm guide deploys the stack of the default name.
        own_stack("boredbot")
    if guide not in reader.followed:
        reader.follow(guide)
