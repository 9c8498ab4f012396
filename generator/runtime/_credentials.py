"""Credentials: an access key pair (plus an STS token), where a client finds them, and their cache.

Copied verbatim into every generated package (standard library only); the environment variable names
arrive from the spec through generated code.
"""

from __future__ import annotations

import _thread
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias

from ._errors import CredentialsError

__all__ = [
    "ENV_KEYS",
    "CredentialSource",
    "Credentials",
    "CredentialsProvider",
    "credential_refusal",
    "resolve_credentials",
]


def credential_refusal(value: object, *, token_like: bool) -> str | None:
    """Why `value` cannot be part of a key ("must ..."), or None. Ids and tokens travel in headers and
    queries: visible ASCII only. A secret only feeds the HMAC: any text that has a UTF-8 form."""
    if not isinstance(value, str):
        return f"must be a string, not {type(value).__name__}"
    if not value:
        return "must not be empty"
    if token_like:
        if not (value.isascii() and value.isprintable()) or " " in value:
            return "must be visible ASCII (no spaces or control characters)"
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be text with a UTF-8 form (it holds a lone surrogate)"
    return None


@dataclass(frozen=True, repr=False)
class Credentials:
    """An access key pair, plus an STS token for temporary credentials. Raises CredentialsError when a
    part is empty, not a string, or cannot travel (an id or token with spaces or control characters)."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def __post_init__(self) -> None:
        for name, value, token_like in (("access_key_id", self.access_key_id, True),
                                        ("access_key_secret", self.access_key_secret, False),
                                        ("security_token", self.security_token, True)):
            problem = None if value is None and name == "security_token" else \
                credential_refusal(value, token_like=token_like)
            if problem:
                raise CredentialsError(f"{name} {problem}")

    def __repr__(self) -> str:
        # Secrets must not leak into logs, tracebacks or the repr of objects that hold credentials.
        token = ", security_token=<hidden>" if self.security_token else ""
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret=<hidden>{token})"

    __str__ = __repr__


CredentialsProvider: TypeAlias = Callable[[], Credentials]
# The keys of `env_names` (the spec's credentials_env uses the same ones).
ENV_KEYS: Final = ("access_key_id", "access_key_secret", "security_token")


def resolve_credentials(
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    security_token: str | None = None,
    *,
    provider: CredentialsProvider | None = None,
    env_names: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Explicit arguments, else the provider, else the environment variables named by `env_names`
    (keys access_key_id, access_key_secret, security_token). Raises CredentialsError when none."""
    if access_key_id or access_key_secret:
        if not (access_key_id and access_key_secret):
            raise CredentialsError("pass both access_key_id and access_key_secret, not just one")
        return Credentials(access_key_id, access_key_secret, security_token or None)
    if security_token:
        raise CredentialsError("security_token was given without access_key_id and access_key_secret")
    if provider is not None:
        try:
            found = provider()
        except CredentialsError:
            raise
        except Exception as exc:
            raise CredentialsError(f"the credentials provider failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(found, Credentials):
            raise CredentialsError(
                f"the credentials provider returned {type(found).__name__}, not Credentials"
            )
        return found
    names = env_names or {}
    env = os.environ if environ is None else environ
    values = {key: env.get(names[key], "") if names.get(key) else "" for key in ENV_KEYS}
    if values["access_key_id"] and values["access_key_secret"]:
        try:
            return Credentials(
                values["access_key_id"], values["access_key_secret"], values["security_token"] or None
            )
        except CredentialsError as exc:
            raise CredentialsError(f"the environment's credentials are unusable: {exc}") from None
    checked = ", ".join(names[k] for k in ENV_KEYS[:2] if names.get(k)) or "none configured"
    raise CredentialsError(
        "no credentials: pass access_key_id/access_key_secret, a credentials provider, "
        f"or set the environment variables ({checked})"
    )


class CredentialSource:
    """Where a client's credentials come from, resolved lazily and cached; thread-safe.

    `refresh()` resolves again: the provider is called anew (an STS provider returns a new token) and
    the environment is re-read. Explicit credentials come back unchanged.
    """

    def __init__(
        self,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        *,
        provider: CredentialsProvider | None = None,
        env_names: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._args = (access_key_id, access_key_secret, security_token)
        self._provider = provider
        self._env_names = dict(env_names or {})
        self._environ = environ
        self._lock = _thread.allocate_lock()  # threading.Lock itself, without importing threading
        self._current: Credentials | None = None

    def _resolve(self) -> Credentials:
        return resolve_credentials(
            *self._args, provider=self._provider, env_names=self._env_names, environ=self._environ
        )

    @property
    def calls_provider(self) -> bool:
        """Whether resolving may call the provider (which may do I/O); arguments and the environment do not."""
        return self._provider is not None

    @property
    def cached(self) -> Credentials | None:
        """The credentials resolved already, or None: then `get()` resolves them (a provider may do I/O)."""
        return self._current

    def get(self) -> Credentials:
        current = self._current
        if current is not None:
            return current  # the common case needs no lock: one attribute read is atomic
        with self._lock:
            if self._current is None:
                self._current = self._resolve()
            return self._current

    def refresh(self) -> Credentials:
        with self._lock:
            self._current = self._resolve()
            return self._current
