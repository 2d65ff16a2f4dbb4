"""Reaching a URL a stranger gave: public addresses only, resolved once, no redirects.

A URL typed by a visitor (a webhook, an ``init_image`` link) must not turn the
server into a tool for reaching what sits behind it: its own loopback services,
the private network, the cloud's metadata address. So the host name is resolved
exactly once, every address it resolves to must be public (not loopback,
private, link-local, shared, reserved or multicast), and the connection goes to
that very address, so a second DNS answer cannot swap in an internal one
(DNS rebinding). HTTPS still verifies the certificate for the host name (the
name travels as SNI). Redirects are never followed: a public host could bounce
the request inward.

``allow_private`` lifts the address rule for tests and for a server on a
trusted network; redirects stay refused either way.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3


class BlockedURL(Exception):
    """The URL may not be reached (bad scheme, unresolvable, or not a public address)."""


class FetchFailed(Exception):
    """The request went out but did not end in a usable answer (the cause is for logs)."""


@dataclass(frozen=True)
class Target:
    """Where a URL leads: the address to connect to and what to say to it."""

    scheme: str
    host: str
    port: int
    address: str
    path: str
    host_header: str


def is_public_address(address: str) -> bool:
    """True for a global unicast address (an IPv4-mapped IPv6 address is judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allow_private: bool = False) -> Target:
    """Resolve ``url``'s host once and check every address it has; ``BlockedURL`` if not fit."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedURL("not an http(s) URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedURL("the port is not a number") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise BlockedURL("the host name does not resolve") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise BlockedURL("the host name does not resolve")
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise BlockedURL("the host is not a public address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rpartition("@")[2]  # credentials are never sent on
    return Target(parts.scheme, parts.hostname, port, addresses[0], path, netloc)


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    allow_private: bool = False,
    json_body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request to ``url`` under the rules above: (status, body of at most ``max_bytes``).

    ``timeout`` bounds the whole exchange, not only each read, so a server that
    drips one byte a second cannot hold a worker. Raises ``BlockedURL`` before
    connecting, ``FetchFailed`` for anything after (refused, timed out, too
    large); a redirect is answered as its own status, not followed.
    """
    target = resolve(url, allow_private=allow_private)
    deadline = time.monotonic() + timeout
    pool_kw: dict[str, Any] = {}
    pool_cls: type[urllib3.HTTPConnectionPool] = urllib3.HTTPConnectionPool
    if target.scheme == "https":
        import certifi

        pool_cls = urllib3.HTTPSConnectionPool
        pool_kw = {
            "server_hostname": target.host,
            "assert_hostname": target.host,
            "cert_reqs": "CERT_REQUIRED",
            "ca_certs": certifi.where(),
        }
    pool = pool_cls(
        target.address,
        target.port,
        timeout=urllib3.Timeout(connect=min(5.0, timeout), read=timeout),
        retries=False,
        maxsize=1,
        **pool_kw,
    )
    sent = {"Host": target.host_header, **(headers or {})}
    if json_body is not None:
        sent.setdefault("Content-Type", "application/json")
    try:
        response = pool.urlopen(
            method,
            target.path,
            body=json_body,
            headers=sent,
            redirect=False,
            retries=False,
            preload_content=False,
        )
        try:
            chunks, size = [], 0
            for chunk in response.stream(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchFailed("the answer is larger than allowed")
                if time.monotonic() > deadline:
                    raise FetchFailed("the answer took too long")
                chunks.append(chunk)
            return response.status, b"".join(chunks)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise FetchFailed(type(exc).__name__) from None
    except OSError as exc:
        raise FetchFailed(type(exc).__name__) from None
    finally:
        pool.close()
