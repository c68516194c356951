"""GitHub REST over ``requests``: timeouts, User-Agent, retries with backoff, rate limits, typed errors.

Retries, each failure handled by exactly one mechanism:
- connection errors and 5xx (500/502/503/504) for idempotent methods (GET, HEAD, PUT, PATCH, DELETE,
  OPTIONS), via urllib3 ``Retry`` with exponential backoff; ``Retry-After`` is honoured. POST is not
  retried on 5xx (the server may have acted on it: no duplicate comments).
- rate limits (429, and 403 with ``Retry-After``, ``x-ratelimit-remaining: 0`` or a "secondary rate
  limit" message), for every method, by the client itself (not urllib3): wait as told, at most
  ``max_wait`` seconds per wait and ``rate_limit_retries`` times, so a request is sent at most
  ``rate_limit_retries + 1`` times; a longer wait raises :class:`GitHubRateLimitError` at once.

The token is only ever sent in the ``Authorization`` header to the API host; it is masked in the
Actions log and scrubbed from every error message.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import __version__
from ..errors import ExternalError
from ..untrusted import TooDeep, loads_json
from .actions import set_secret

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = f"nix-attest/{__version__}"
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 30.0)

Sleep = Callable[[float], None]
Params = Mapping[str, str | int]


class GitHubError(ExternalError):
    """A GitHub API request failed (exit 3)."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class GitHubAuthError(GitHubError):
    """401: the token is missing, expired or wrong."""


class GitHubPermissionError(GitHubError):
    """403 without a rate limit: the token may not do this (fork PRs, read-only tokens)."""


class GitHubNotFoundError(GitHubError):
    """404: the resource does not exist or the token cannot see it."""


class GitHubRateLimitError(GitHubError):
    """A rate limit whose reset is further away than we are willing to wait."""


class ResponseTooLarge(GitHubError):
    """A body over the caller's bound (``fetch_url``/``download``): not read further."""


class _Retry(Retry):
    """urllib3 ``Retry`` whose sleeps go through an injectable function (tests keep waits short)."""

    sleeper: Sleep = staticmethod(time.sleep)
    # urllib3 also retries these whenever Retry-After is present; 429 is a rate limit: request()'s job
    RETRY_AFTER_STATUS_CODES = frozenset({503})

    def new(self, **kw: Any) -> _Retry:
        fresh = super().new(**kw)
        fresh.sleeper = self.sleeper
        return fresh

    def sleep_for_retry(self, response: Any) -> bool:
        retry_after = self.get_retry_after(response)
        if retry_after:
            self.sleeper(retry_after)
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.sleeper(backoff)


_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})


def retrying_session(
    retries: int,
    backoff_factor: float,
    max_wait: float,
    sleep: Sleep,
    *,
    methods: frozenset[str] = _IDEMPOTENT,
) -> requests.Session:
    """A session whose adapter retries connection errors and 5xx for ``methods`` with exponential
    backoff (``Retry-After`` honoured, waits through ``sleep``); rate limits are the caller's loop."""
    retry = _Retry(
        total=retries,
        connect=retries,
        read=0,
        status=retries,
        backoff_factor=backoff_factor,
        backoff_max=max_wait,
        retry_after_max=int(max_wait),
        status_forcelist=(500, 502, 503, 504),  # 429: the rate-limit loop of the client
        allowed_methods=methods,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    retry.sleeper = sleep
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def default_api_url() -> str:
    """``GITHUB_API_URL`` (set by the runner, also on GHES) or the public API."""
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


class GitHubClient:
    """A small GitHub REST client. One ``requests.Session``; use as a context manager or call ``close``."""

    def __init__(
        self,
        api_url: str | None = None,
        token: str | None = None,
        *,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff_factor: float = 1.0,
        max_wait: float = 60.0,
        rate_limit_retries: int = 3,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.api_url = (api_url or default_api_url()).rstrip("/")
        parts = urlsplit(self.api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GitHubError(f"invalid GitHub API URL {self.api_url!r}")
        self._origin = (parts.scheme, parts.netloc)
        self._token = token or ""
        set_secret(self._token)  # masked in the Actions log; nothing printed elsewhere
        self.timeout = timeout
        self.max_wait = max_wait
        self.rate_limit_retries = rate_limit_retries
        self._sleep = sleep

        self.session = retrying_session(retries, backoff_factor, max_wait, sleep)
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
            }
        )
        if self._token:
            self.session.headers["Authorization"] = f"Bearer {self._token}"

    @property
    def is_installation_token(self) -> bool:
        """``ghs_`` tokens are GitHub App installation tokens (the Actions ``GITHUB_TOKEN``)."""
        return self._token.startswith("ghs_")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Absolute URL for an API path; absolute URLs must stay on the API host (the token goes there)."""
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            if (parts.scheme, parts.netloc) != self._origin:
                raise GitHubError(f"refusing to send the token to {parts.scheme}://{parts.netloc}")
            return path
        return urljoin(self.api_url + "/", path.lstrip("/"))

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
    ) -> requests.Response:
        """Send one request (with retries); return the response or raise a :class:`GitHubError`."""
        method = method.upper()
        url = self.url(path)
        label = f"{method} {urlsplit(url).path}"
        waits = 0
        while True:
            try:
                response = self.session.request(
                    method, url, json=json, params=params, timeout=self.timeout, allow_redirects=True
                )
            except requests.RequestException as exc:
                raise GitHubError(f"GitHub API {label}: {self._scrub(_exc_summary(exc))}") from None
            if response.status_code < 400:
                return response
            wait = self._rate_limit_wait(response)
            if wait is not None:
                if wait > self.max_wait or waits >= self.rate_limit_retries:
                    raise GitHubRateLimitError(
                        f"GitHub API {label}: rate limited ({response.status_code}), retry in {wait:.0f} s",
                        status=response.status_code,
                    )
                waits += 1
                self._sleep(wait)
                continue
            raise self._error(label, response)

    def get_json(self, path: str, *, params: Params | None = None) -> Any:
        return _json(self.request("GET", path, params=params), path)

    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        items_key: str | None = None,
        max_pages: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield the items of a list endpoint, following ``Link: <...>; rel="next"`` (page numbers or
        cursors alike). ``items_key``: the list is that member of an object (``{"attestations": [...]}``).
        ``max_pages``: a server that offers a next page after that many (a loop) is an error."""
        query: Params | None = dict(params or {})
        next_url: str | None = path
        pages = 0
        while next_url:
            if max_pages is not None and pages >= max_pages:
                raise GitHubError(f"GitHub API GET {path}: more than {max_pages} pages")
            pages += 1
            response = self.request("GET", next_url, params=query)
            data = _json(response, path)
            if items_key is not None and isinstance(data, dict):
                data = data.get(items_key)
            if not isinstance(data, list):
                raise GitHubError(f"GitHub API GET {path}: expected a list, got {type(data).__name__}")
            for item in data:
                if isinstance(item, dict):
                    yield item
            next_url = response.links.get("next", {}).get("url")
            query = None  # the next link carries the query

    def fetch_url(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """GET an absolute URL that an API response pointed to (e.g. an attestation's ``bundle_url``, a
        pre-signed storage URL): the body (at most ``max_bytes``) and its Content-Type. The token goes
        only to the API host, never elsewhere; retries as for API requests."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GitHubError(f"refusing to fetch {url[:100]!r}: not an http(s) URL")
        headers = {} if (parts.scheme, parts.netloc) == self._origin else {"Authorization": None}
        where = f"{parts.scheme}://{parts.netloc}{parts.path}"  # no query: it may carry a signature
        try:
            with self.session.get(
                url, headers=headers, timeout=self.timeout, stream=True, allow_redirects=True
            ) as response:
                if response.status_code >= 400:
                    raise GitHubError(
                        f"GET {where}: {response.status_code} {response.reason or 'error'}",
                        status=response.status_code,
                    )
                body = bytearray()
                for chunk in response.iter_content(65536):
                    body += chunk
                    if len(body) > max_bytes:
                        raise ResponseTooLarge(f"GET {where}: the response is larger than {max_bytes} bytes")
                return bytes(body), response.headers.get("Content-Type", "")
        except requests.RequestException as exc:
            raise GitHubError(f"GET {where}: {self._scrub(_exc_summary(exc))}") from None

    def download(self, path: str, *, max_bytes: int) -> bytes:
        """GET an API path that answers with a redirect to storage (``/actions/artifacts/{id}/zip``):
        the body at the redirect target, fetched without the token (``fetch_url``), at most
        ``max_bytes``."""
        url = self.url(path)
        label = f"GET {urlsplit(url).path}"
        try:
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise GitHubError(f"GitHub API {label}: {self._scrub(_exc_summary(exc))}") from None
        with response:
            if response.status_code >= 400:
                raise self._error(label, response)
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                raise GitHubError(
                    f"GitHub API {label}: expected a redirect to the download, got {response.status_code}"
                )
        return self.fetch_url(urljoin(url, location), max_bytes=max_bytes)[0]

    # -- helpers ----------------------------------------------------------------------------------

    def _rate_limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait when the response is a (primary or secondary) rate limit, else None."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        retry_after = headers.get("Retry-After")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after.strip()))
            except ValueError:
                return 60.0
        if headers.get("x-ratelimit-remaining") == "0":
            try:
                reset = float(headers.get("x-ratelimit-reset", ""))
            except ValueError:
                return 60.0
            return max(0.0, reset - time.time()) + 1.0
        message = _message(response).lower()
        if response.status_code == 429 or "secondary rate limit" in message:
            return 60.0
        return None

    def _error(self, label: str, response: requests.Response) -> GitHubError:
        status = response.status_code
        message = self._scrub(_message(response)) or response.reason or "error"
        text = f"GitHub API {label}: {status} {message}"
        if status == 401:
            return GitHubAuthError(text, status=status, hint="check the github-token input")
        if status == 403:
            return GitHubPermissionError(text, status=status)
        if status == 404:
            return GitHubNotFoundError(text, status=status)
        return GitHubError(text, status=status)

    def _scrub(self, text: str) -> str:
        text = " ".join(text.split())
        if self._token:
            text = text.replace(self._token, "***")
        return _TOKEN_RE.sub("***", text)


_TOKEN_RE = re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b")


def _message(response: requests.Response) -> str:
    try:
        data = loads_json(response.content)
    except ValueError:  # not JSON, or nested too deep
        return response.text[:200]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return ""


def _json(response: requests.Response, path: str) -> Any:
    """The body as JSON, nesting bounded (a hostile or broken server: one line, not a RecursionError)."""
    try:
        return loads_json(response.content)
    except TooDeep as exc:
        raise GitHubError(f"GitHub API {path}: the response is {exc}") from None
    except ValueError:
        raise GitHubError(f"GitHub API {path}: the response is not JSON") from None


def _exc_summary(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect"
    return type(exc).__name__


class ServiceError(ExternalError):
    """A public data service (NVD feeds, OSV, CISA KEV) failed (exit 3)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServiceClient:
    """The same discipline for public, token-less data services (NVD feeds, the OSV API, the CISA KEV
    catalog): one session, timeouts, retries of connection errors and 5xx with backoff, 429 waits
    bounded by ``max_wait`` and ``rate_limit_retries``, responses bounded in size and in time
    (``deadline`` seconds for the whole request, 429 waits and the body included: the read timeout
    bounds the wait for each byte, not for the answer, which a slow server could drip for ever; a
    wait that would end past the deadline is not started). Not covered by the deadline: the
    adapter's own retries of connection errors and 5xx (each bounded by the timeouts, their backoff
    by ``max_wait``) and the status line and headers (bounded by the read timeout per byte and
    http.client's limits on header count and length). ``retry_post``: the service's POSTs are queries
    (OSV's querybatch) and may be retried like GETs."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 4,
        backoff_factor: float = 1.0,
        max_wait: float = 60.0,
        rate_limit_retries: int = 3,
        retry_post: bool = False,
        sleep: Sleep | None = None,
        deadline: float = 600.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ServiceError(f"invalid {name} URL {base_url!r} (expected http(s)://host/...)")
        self.name = name
        self.timeout = timeout
        self.max_wait = max_wait
        self.rate_limit_retries = rate_limit_retries
        self.deadline = deadline
        self._sleep = sleep or _sleep
        methods = _IDEMPOTENT | {"POST"} if retry_post else _IDEMPOTENT
        self.session = retrying_session(retries, backoff_factor, max_wait, self._sleep, methods=methods)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, json: Any = None, max_bytes: int) -> bytes:
        """The body of a successful response (at most ``max_bytes``); :class:`ServiceError` otherwise."""
        url = self.url(path)
        parts = urlsplit(url)
        label = f"{self.name} {method} {parts.scheme}://{parts.netloc}{parts.path}"
        waits = 0
        until = time.monotonic() + self.deadline  # one deadline for the answer, waits for a 429 included
        while True:
            try:
                with self.session.request(
                    method, url, json=json, timeout=self.timeout, stream=True, allow_redirects=True
                ) as response:
                    if response.status_code == 429 and waits < self.rate_limit_retries:
                        wait = _retry_after(response.headers.get("Retry-After"))
                        if wait <= self.max_wait and time.monotonic() + wait < until:
                            waits += 1
                            self._sleep(wait)
                            continue
                    if response.status_code >= 400:
                        raise ServiceError(
                            f"{label}: {response.status_code} {response.reason or 'error'}",
                            status=response.status_code,
                        )
                    return self._body(response, label, max_bytes, until)
            except requests.RequestException as exc:
                raise ServiceError(f"{label}: {_exc_summary(exc)}") from None

    def _body(self, response: requests.Response, label: str, max_bytes: int, until: float) -> bytes:
        """The (decoded) body, at most ``max_bytes``, complete before ``until``: ``read1`` returns what
        one socket read brought, so the clock is looked at between reads however slowly they come."""
        body = bytearray()
        raw = response.raw
        try:
            while chunk := raw.read1(1 << 20, decode_content=True):  # b"" only at the end
                body += chunk
                if len(body) > max_bytes:
                    raise ServiceError(f"{label}: the response is larger than {max_bytes} bytes")
                if time.monotonic() > until:
                    raise ServiceError(f"{label}: no complete answer within {self.deadline:g} s")
        except urllib3.exceptions.HTTPError as exc:  # what iter_content turned into requests' errors
            why = "timed out" if isinstance(exc, urllib3.exceptions.ReadTimeoutError) else type(exc).__name__
            raise ServiceError(f"{label}: {why}") from None
        return bytes(body)


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float((value or "").strip()))
    except ValueError:
        return 60.0


def _sleep(seconds: float) -> None:
    """``time.sleep`` looked up when called (tests replace it to keep retry waits instant)."""
    time.sleep(seconds)
