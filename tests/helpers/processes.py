"""
Real processes for integration tests: start, wait until they answer, stop,
and never leave one behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from luggage.urlopen import NoRedirects


def answers(url: str) -> bool:
    """
    Whether C{url} answers at all (any HTTP status) within 2 s.
    """
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


class ProcessFailed(AssertionError):
    """A process under test died or did not answer; carries its log."""


class Running:
    """
    A process started for a test, its output going to a log file.
    """

    def __init__(
        self,
        argv: Sequence[str],
        log: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log = log
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                self.argv,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=None if env is None else {**os.environ, **env},
            )

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def fail(self, why: str) -> ProcessFailed:
        return ProcessFailed(
            f"{why}\n--- {' '.join(self.argv)}\n--- log:\n{self.output()[-6000:]}"
        )

    def wait_for(self, url: str, timeout: float = 30.0) -> None:
        """
        Wait until C{url} answers at all (any HTTP status).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.fail(
                    f"exited with {self.process.returncode} before {url} answered"
                )
            if answers(url):
                return
            time.sleep(0.1)
        raise self.fail(f"{url} did not answer within {timeout} s")

    def wait_for_health(self, url: str, timeout: float = 60.0) -> None:
        """
        Wait until C{url} answers C{200}.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.fail(f"exited with {self.process.returncode} before {url}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise self.fail(f"{url} was not healthy within {timeout} s")

    def stop(self, timeout: float = 10.0) -> int:
        """
        SIGTERM, and wait; kill after C{timeout} and raise.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise self.fail(f"did not exit within {timeout} s of SIGTERM") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Mapping[str, str], Any]:
    """
    One blocking request: its status, headers, and body (parsed when JSON).
    Redirects are not followed.
    """
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            status, answer_headers, raw = (
                response.status,
                response.headers,
                response.read(),
            )
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, error.headers, error.read()
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    return status, dict(answer_headers.items()), parsed


def eventually(check: Any, timeout: float = 30.0, interval: float = 0.2) -> Any:
    """
    Call C{check} until it returns something true; return that.
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s; last value: {last!r}")
