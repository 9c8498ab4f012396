"""Where requests go: an explicit endpoint, or the region's host from the spec's table and patterns.

Copied verbatim into every generated package (standard library only); the table and patterns arrive
from generated code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, NamedTuple

from ._errors import EndpointError

__all__ = ["DEFAULT_PORTS", "Endpoint", "resolve_endpoint"]

DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_LABEL_CHARS: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"


class Endpoint(NamedTuple):
    scheme: str
    host: str  # ASCII: a DNS name (IDNA applied), an IPv4 address or an IPv6 address without brackets
    port: int
    base_path: str  # "" or a path without a trailing slash, prefixed to every request path

    @property
    def host_header(self) -> str:
        """The Host header value (and what V3 signs): the port only when it is not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if DEFAULT_PORTS.get(self.scheme) == self.port else f"{host}:{self.port}"

    def url(self, path_and_query: str = "/") -> str:
        return f"{self.scheme}://{self.host_header}{self.base_path}{path_and_query}"


def _is_label(text: str) -> bool:
    """A DNS label as region ids and network names must be: letters, digits, inner hyphens."""
    return bool(text) and not text.strip(_LABEL_CHARS) and text[0] != "-" and text[-1] != "-"


def _ascii_host(host: str, endpoint: str) -> str:
    if ":" in host:  # an IPv6 literal (urlsplit took the brackets off)
        import ipaddress

        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise EndpointError(f"endpoint {endpoint!r}: {host!r} is not an IPv6 address") from None
        return host
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise EndpointError(f"endpoint {endpoint!r}: the host {host!r} is not a valid host name") from None
    labels = ascii_host.rstrip(".").split(".")
    if not all(label and not label.strip(_LABEL_CHARS + "_") for label in labels):
        raise EndpointError(f"endpoint {endpoint!r}: the host {host!r} is not a valid host name")
    return ascii_host


def _parse_endpoint(endpoint: str) -> Endpoint:
    text = endpoint.strip()
    if not text:
        raise EndpointError("the endpoint is empty")
    if not text.isprintable() or " " in text:
        # urlsplit would quietly drop tabs and newlines; anything invisible in a URL is a mistake.
        raise EndpointError(f"endpoint {endpoint!r}: spaces, control characters and lone surrogates are not "
                            "allowed")
    from urllib.parse import urlsplit  # here: only making a client needs it

    # A bare host (optionally host:port) means HTTPS, as every official SDK assumes.
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        port = parts.port
    except ValueError as exc:
        raise EndpointError(f"endpoint {endpoint!r} is not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise EndpointError(f"endpoint {endpoint!r}: only http and https are supported")
    if parts.query or parts.fragment or parts.username is not None or parts.password is not None:
        raise EndpointError(f"endpoint {endpoint!r}: no query, fragment or user info allowed")
    host = parts.hostname
    if not host:
        raise EndpointError(f"endpoint {endpoint!r} has no host")
    if not parts.path.isascii():
        raise EndpointError(f"endpoint {endpoint!r}: the path must be ASCII (percent-encode the rest)")
    return Endpoint(scheme, _ascii_host(host, endpoint), port or DEFAULT_PORTS[scheme], parts.path.rstrip("/"))


def resolve_endpoint(
    region_id: str | None,
    endpoint: str | None,
    regions: Mapping[str, str],
    fallback: str,
    network_fallback: str | None = None,
    network: str | None = None,
) -> Endpoint:
    """Where requests go.

    1. An explicit `endpoint` always wins: a full URL (http://127.0.0.1:8080) or a bare host (HTTPS).
    2. A `network` other than "public" uses `network_fallback` (the region table only lists public
       hosts, and a caller asking for a VPC endpoint must not silently get the public one).
    3. A region in `regions` uses its host; any other region uses `fallback`.
    Templates use {region_id} and {network}. No region and no endpoint is an EndpointError, and so is
    anything malformed (the error's `parameter` names the argument at fault).
    """
    for name, value in (("region_id", region_id), ("endpoint", endpoint), ("network", network)):
        if value is not None and not isinstance(value, str):
            raise EndpointError(f"must be a string or None, not {type(value).__name__}", name)
    if endpoint is not None and endpoint.strip():
        return _parse_endpoint(endpoint)
    if not region_id:
        raise EndpointError("no endpoint: pass region_id (e.g. 'cn-hangzhou') or an explicit endpoint",
                            "region_id")
    if not _is_label(region_id):
        # The region ends up in a host name: refuse anything that could change which host that is.
        raise EndpointError(f"{region_id!r} is not a valid region id (letters, digits and inner hyphens)",
                            "region_id")
    values = {"region_id": region_id, "network": network or ""}
    if network and network.lower() != "public":
        if not _is_label(network):
            raise EndpointError(f"{network!r} is not a valid network name", "network")
        if network_fallback is None:
            raise EndpointError(f"{network!r} was requested but this service has no network endpoints",
                                "network")
        host = network_fallback.format_map(values)
    elif region_id in regions:
        host = regions[region_id]
    else:
        host = fallback.format_map(values)
    return _parse_endpoint(host)
