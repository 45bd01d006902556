"""
A client for Parse's classic REST API, one account at a time, over treq.

Whatever the server answers is input: no redirect is followed (a 3xx is an
error naming where it pointed), an answer larger than C{max_answer} is
refused, JSON that is not JSON's (NaN, lone surrogates) is made safe, and
results must have the shape Parse gives them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NoReturn, TypeGuard
from urllib.parse import quote, urlsplit

from attrs import field, frozen
from treq import collect
from twisted.internet import error
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.web.client import (
    RequestTransmissionFailed,
    ResponseFailed,
    ResponseNeverReceived,
)

from ..parselite.jsontext import without_lone_surrogates
from ..secret import Secret

DEFAULT_TIMEOUT = 10.0
#: The largest answer the client accepts by default, in bytes: a page of
#: a hundred small objects is a few kilobytes; anything near this is not
#: an answer to trust.
MAX_ANSWER = 1024 * 1024
#: The largest integer a JSON number carries exactly (2**53 - 1): Parse
#: Server, a JavaScript program, rounds any larger one.
MAX_SAFE_INTEGER = 2**53 - 1

_UNREACHABLE = (
    error.ConnectError,
    error.ConnectionLost,
    error.DNSLookupError,
    error.TimeoutError,
    ResponseFailed,
    ResponseNeverReceived,
    RequestTransmissionFailed,
)


@frozen
class ParseAccount:
    """
    One Parse account: where it is and the keys a client presents.

    @ivar name: what the account is for (C{"orders"}, C{"audit"}); errors
        name it, so an operator knows which account is at fault.
    @ivar url: the server's mount URL, e.g. C{https://host/parse}.
    """

    name: str
    url: str
    application_id: str
    rest_api_key: Secret = field(repr=False)


def url_problem(url: str) -> str | None:
    """
    What is wrong with C{url} as a Parse server's mount URL, or C{None}:
    it must be C{http} or C{https}, name a host, and have a port (if any)
    that exists, with no spaces or control characters.
    """
    problem = f"must be an http(s) URL, not {url!r}"
    if any(character.isspace() or not character.isprintable() for character in url):
        return problem
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises for a port out of range)
    except ValueError:
        return problem
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return problem
    return None


@frozen
class ParseError(Exception):
    """
    The account answered, and refused: an HTTP error, with Parse's error
    code and message where the body carried them.
    """

    account: str
    status: int
    code: int | None
    message: str

    def __str__(self) -> str:
        code = "" if self.code is None else f" (Parse error {self.code})"
        return f"{self.account} account: HTTP {self.status}{code}: {self.message}"


class AnswerTooLarge(ParseError):
    """
    The account answered with more than the client reads.
    """


@frozen
class ParseUnavailable(Exception):
    """
    The account could not be reached: no connection, a dropped connection,
    or no complete answer within the timeout.
    """

    account: str
    reason: str
    timed_out: bool = False

    def __str__(self) -> str:
        return f"{self.account} account unavailable: {self.reason}"


#: Told of every request's end: account, operation, outcome (C{ok},
#: C{refused}, C{unavailable}, C{timed_out}) and seconds taken.
Observer = Callable[[str, str, str, float], None]


@frozen
class QueryResult:
    """
    The objects a query found, and their total count when it was asked for.
    """

    results: list[dict[str, Any]]
    count: int | None = None


class ParseClient:
    """
    Create, find, get and update objects in one account.

    Every call completes, with its answer or an error, within C{timeout}
    seconds: L{ParseError} when the server refused,
    L{ParseUnavailable} when it could not be reached or did not answer.
    """

    def __init__(
        self,
        account: ParseAccount,
        http: Any,
        clock: IReactorTime,
        timeout: float = DEFAULT_TIMEOUT,
        master_key: Secret | None = None,
        max_answer: int = MAX_ANSWER,
        observe: Observer | None = None,
    ) -> None:
        """
        @param http: a treq C{HTTPClient}, shared by all accounts so that
            they share one persistent connection pool.
        @param master_key: authenticate with the app's master key instead of
            the account's REST API key: for provisioning only, never for
            a running service.
        @param max_answer: refuse (as an error) an answer larger than this
            many bytes, rather than hold it in memory.
        @param observe: told how each request ended (for metrics).
        """
        self.account = account
        self._http = http
        self._clock = clock
        self._timeout = timeout
        self._master_key = master_key
        self._max_answer = max_answer
        self._observe = observe

    async def create(
        self, class_name: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """
        Create an object; return Parse's answer (C{objectId}, C{createdAt}).
        """
        created = await self._call(
            "create", "POST", _class_path(class_name), body=fields
        )
        return self._confirmed(created, "objectId", "a create answer")

    async def find(
        self,
        class_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        order: Sequence[str] = (),
        limit: int | None = None,
        skip: int = 0,
        count: bool = False,
        keys: Sequence[str] = (),
    ) -> QueryResult:
        """
        Find objects: C{order} names fields (C{"-createdAt"} for descending);
        C{skip} passes over as many first; C{keys}, when given, names the
        only fields the answer carries (besides C{objectId}, C{createdAt}
        and C{updatedAt}), so that what is not read can't weigh on it.
        """
        params = query_parameters(
            where=where, order=order, limit=limit, skip=skip, count=count, keys=keys
        )
        answer = await self._call("find", "GET", _class_path(class_name), params=params)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise self._malformed(200, "a query answer without results")
        if not all(isinstance(each, dict) for each in results):
            raise self._malformed(
                200, "a query answer with results that are not objects"
            )
        if not all(isinstance(each.get("objectId"), str) for each in results):
            raise self._malformed(
                200, "a query answer with objects without an objectId"
            )
        found_count = answer.get("count")
        if not is_safe_integer(found_count) or found_count < 0:
            found_count = None
        return QueryResult(results, found_count if count else None)

    async def get(self, class_name: str, object_id: str) -> dict[str, Any]:
        """
        The object C{object_id} of C{class_name}.
        """
        found = await self._call("get", "GET", _object_path(class_name, object_id))
        return self._confirmed(found, "objectId", "a get answer")

    async def update(
        self, class_name: str, object_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """
        Set C{fields} on an object; return Parse's answer (C{updatedAt}).
        """
        updated = await self._call(
            "update", "PUT", _object_path(class_name, object_id), body=fields
        )
        return self._confirmed(updated, "updatedAt", "an update answer")

    async def increment(
        self, class_name: str, object_id: str, field_name: str, amount: int
    ) -> int | float:
        """
        Add C{amount} to a Number field, atomically on the server, with
        Parse's C{Increment} operation; return the field's new value.
        """
        answer = await self.update(
            class_name,
            object_id,
            {field_name: {"__op": "Increment", "amount": amount}},
        )
        value = answer.get(field_name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._malformed(200, f"an increment answer without {field_name}")
        return value

    async def delete(self, class_name: str, object_id: str) -> None:
        """
        Delete an object (a REST key the class's permissions let delete,
        or the master key).
        """
        await self._call("delete", "DELETE", _object_path(class_name, object_id))

    async def batch(
        self, operations: Sequence[tuple[str, str, Mapping[str, Any] | None]]
    ) -> list[dict[str, Any]]:
        """
        Several operations in one request (Parse's C{POST /batch}), each
        C{(method, path under the mount, body)}, e.g. C{("DELETE",
        "/classes/Things/ID", None)}; each succeeds or fails on its own.

        @return: each operation's answer, in order.
        @raise ParseError: naming the first operation that failed.
        """
        mount = urlsplit(self.account.url).path.rstrip("/")
        requests = []
        for method, path, body in operations:
            request: dict[str, Any] = {"method": method, "path": mount + path}
            if body is not None:
                request["body"] = dict(body)
            requests.append(request)
        answer = await self._call(
            "batch", "POST", "/batch", body={"requests": requests}
        )
        if not isinstance(answer, list) or len(answer) != len(operations):
            raise self._malformed(200, "a batch answer of another length")
        results = []
        for (method, path, _), each in zip(operations, answer, strict=True):
            if isinstance(each, dict) and isinstance(each.get("success"), dict):
                results.append(each["success"])
                continue
            failure = each.get("error") if isinstance(each, dict) else None
            failure = failure if isinstance(failure, dict) else {}
            code = failure.get("code")
            raise ParseError(
                self.account.name,
                400,
                code if isinstance(code, int) else None,
                f"{method} {path}: {failure.get('error', 'failed in a batch')}",
            )
        return results

    async def get_schema(self, class_name: str) -> dict[str, Any]:
        """
        The schema of C{class_name}: its fields and class-level permissions
        (master key only).
        """
        schema: dict[str, Any] = await self._call(
            "schema", "GET", _schema_path(class_name)
        )
        return schema

    async def create_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        """
        Create the class C{class_name} (master key only).
        """
        created: dict[str, Any] = await self._call(
            "schema",
            "POST",
            _schema_path(class_name),
            body={"className": class_name, **schema},
        )
        return created

    async def update_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        """
        Add fields to C{class_name} or set its permissions (master key only).
        """
        updated: dict[str, Any] = await self._call(
            "schema",
            "PUT",
            _schema_path(class_name),
            body={"className": class_name, **schema},
        )
        return updated

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        if self._observe is None:
            return await self._timed_call(method, path, params, body)
        started = self._clock.seconds()
        outcome = "ok"
        try:
            return await self._timed_call(method, path, params, body)
        except ParseError:
            outcome = "refused"
            raise
        except ParseUnavailable as failure:
            outcome = "timed_out" if failure.timed_out else "unavailable"
            raise
        finally:
            self._observe(
                self.account.name, operation, outcome, self._clock.seconds() - started
            )

    async def _timed_call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        exchange = Deferred.fromCoroutine(self._exchange(method, path, params, body))

        def timed_out(result: object, timeout: float) -> NoReturn:
            # Whatever the cancelled exchange failed with, the cause is time.
            raise ParseUnavailable(
                self.account.name, f"no answer within {timeout:g} s", timed_out=True
            )

        # One timeout over the whole exchange, body included: a server that
        # sends headers and then stalls must not hang the caller either.
        exchange.addTimeout(self._timeout, self._clock, onTimeoutCancel=timed_out)
        try:
            return await exchange
        except _UNREACHABLE as reason:
            raise ParseUnavailable(
                self.account.name,
                _describe(reason),
                timed_out=isinstance(reason, error.TimeoutError),
            ) from None

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> Any:
        headers = {"X-Parse-Application-Id": self.account.application_id}
        if self._master_key is None:
            headers["X-Parse-REST-API-Key"] = self.account.rest_api_key.reveal()
        else:
            headers["X-Parse-Master-Key"] = self._master_key.reveal()
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        # No redirect is followed: it would carry the keys to wherever the
        # answer points (Twisted strips only Authorization and Cookie), and
        # a 303 would turn a write into a read counted as written.
        response = await self._http.request(
            method,
            self.account.url.rstrip("/") + path,
            params=params,
            headers=headers,
            data=data,
            allow_redirects=False,
        )
        content = await self._read_body(response)
        if 300 <= response.code < 400:
            raise self._redirected(response)
        answer = decode_answer(content)
        if response.code >= 400:
            raise self._refusal(response.code, answer, content)
        if answer is NOT_JSON:
            raise self._malformed(response.code, "an answer that is not JSON")
        return answer

    async def _read_body(self, response: Any) -> bytes:
        # Read no more than the cap: a server (or something in its place)
        # that sends more, or says it will, is cut off, not buffered.
        declared = response.length if isinstance(response.length, int) else 0
        chunks: list[bytes] = []
        size = 0

        def receive(chunk: bytes) -> None:
            nonlocal size
            size += len(chunk)
            if max(size, declared) > self._max_answer:
                raise _TooLarge()
            chunks.append(chunk)

        try:
            await collect(response, receive)
        except _TooLarge:
            raise self._too_large(response.code) from None
        return b"".join(chunks)

    def _confirmed(self, answer: Any, key: str, what: str) -> dict[str, Any]:
        # A write or read whose answer lacks what it must carry did not
        # happen as far as the caller can tell.
        if not isinstance(answer, dict) or not isinstance(answer.get(key), str):
            raise self._malformed(200, f"{what} without {key}")
        return answer

    def _redirected(self, response: Any) -> ParseError:
        locations = response.headers.getRawHeaders(b"location") or [b""]
        where = locations[0].decode("ascii", "replace")[:200]
        return ParseError(
            self.account.name,
            response.code,
            None,
            f"the server redirected the request{' to ' + repr(where) if where else ''};"
            " no request follows a redirect: give the account's final URL",
        )

    def _too_large(self, status: int) -> ParseError:
        return AnswerTooLarge(
            self.account.name,
            status,
            None,
            f"the server sent an answer larger than {self._max_answer} bytes",
        )

    def _refusal(self, status: int, answer: Any, content: bytes) -> ParseError:
        # Parse Server words a refusal {"code", "error"}, and a failure of
        # its own {"code": 1, "message"}.
        if isinstance(answer, dict):
            code = answer.get("code")
            for key in ("error", "message"):
                if isinstance(answer.get(key), str):
                    return ParseError(
                        self.account.name,
                        status,
                        code if isinstance(code, int) else None,
                        answer[key],
                    )
        text = content.decode("utf-8", "replace").strip()[:200]
        return ParseError(self.account.name, status, None, text or "no message")

    def _malformed(self, status: int, what: str) -> ParseError:
        return ParseError(self.account.name, status, None, f"the server sent {what}")


class _TooLarge(Exception):
    pass


def is_safe_integer(value: object) -> TypeGuard[int | float]:
    """
    Whether C{value} is an integer that JSON carries exactly (a number,
    not a boolean, whole, within +-L{MAX_SAFE_INTEGER}).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


#: What L{decode_answer} gives for an answer that is not JSON.
NOT_JSON: Any = object()


def decode_answer(content: bytes) -> Any:
    """
    A server's JSON answer, or L{NOT_JSON}: bytes that are
    not UTF-8, or nesting too deep to read. C{NaN} and the infinities
    (not JSON, but Python's reader takes them) become C{None}, and a lone
    surrogate in a text becomes U+FFFD, as Parse Server stores it, so
    that whatever a server sends can be shown and sent on as JSON.
    """
    try:
        text = content.decode("utf-8")
        answer = json.loads(text, parse_constant=lambda constant: None)
    except (ValueError, RecursionError):
        return NOT_JSON
    # Text read from UTF-8 holds no surrogate: only an escape makes one.
    if "\\ud" in text.lower():
        try:
            return without_lone_surrogates(answer)
        except RecursionError:
            return NOT_JSON
    return answer


def query_parameters(
    *,
    where: Mapping[str, Any] | None = None,
    order: Sequence[str] = (),
    limit: int | None = None,
    skip: int = 0,
    count: bool = False,
    keys: Sequence[str] = (),
) -> dict[str, str]:
    """
    A query as the parameters of Parse's C{GET /classes/<Class>}.
    """
    params: dict[str, str] = {}
    if where is not None:
        params["where"] = json.dumps(where, separators=(",", ":"))
    if order:
        params["order"] = ",".join(order)
    if limit is not None:
        params["limit"] = str(limit)
    if skip:
        params["skip"] = str(skip)
    if count:
        params["count"] = "1"
    if keys:
        params["keys"] = ",".join(keys)
    return params


def format_date(seconds: float) -> str:
    """
    A POSIX time in the form Parse gives dates: C{2026-11-24T04:17:23.066Z}.
    """
    moment = datetime.fromtimestamp(seconds, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _class_path(class_name: str) -> str:
    return "/classes/" + quote(class_name, safe="")


def _schema_path(class_name: str) -> str:
    return "/schemas/" + quote(class_name, safe="")


def _object_path(class_name: str, object_id: str) -> str:
    return _class_path(class_name) + "/" + quote(object_id, safe="")


def _describe(reason: BaseException) -> str:
    if isinstance(reason, error.TimeoutError):
        return "timed out"
    if isinstance(
        reason, ResponseFailed | ResponseNeverReceived | RequestTransmissionFailed
    ):
        inner = ", ".join(str(failure.value) for failure in reason.reasons)
        return f"connection failed: {inner or type(reason).__name__}"
    return str(reason) or type(reason).__name__
