"""Who is asking: the visitor a request comes from, for quotas and job ownership.

A visitor is the Hugging Face user when signed in, else the client's address.
The address is the direct peer unless that peer is a proxy the owner trusts
(``STUDIO_TRUSTED_PROXIES``): only then is ``X-Forwarded-For`` read, from the
right, skipping the trusted hops, so a visitor cannot mint new identities by
sending the header themselves. On a Hugging Face Space the app is reached only
through the Space's own proxy, from an internal (private-range) address, so
there the private ranges are trusted unless the owner says otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Where Hugging Face's proxy reaches a Space's container from.
SPACE_PROXIES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


class ProxyListError(ValueError):
    """``STUDIO_TRUSTED_PROXIES`` holds something that is not an address or a CIDR."""


def parse_proxies(text: str | Iterable[str] | None) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDRs (``127.0.0.1, 10.0.0.0/8``) as networks."""
    if text is None:
        return ()
    parts = text.split(",") if isinstance(text, str) else list(text)
    networks: list[Network] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ProxyListError(
                f"{part!r} is not an IP address or a network such as 10.0.0.0/8"
            ) from None
    return tuple(networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The visitor's address: the peer, or the nearest untrusted hop when the peer is trusted."""
    peer = (peer or "").strip() or "unknown"
    if not trusted or not _trusted(peer, trusted) or not forwarded_for:
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if _ip(hop) is None:  # garbage in the header: stop at the last hop we can trust
            return peer
        if not _trusted(hop, trusted):
            return str(_ip(hop))
    return str(_ip(hops[0])) if hops else peer


@dataclass(frozen=True)
class Visitor:
    """One person (or script) as far as quotas and job ownership can tell.

    ``id`` counts quotas (the HF user, else the address); ``owner`` is who a
    job belongs to (the HF user, else the browser's own token, else the page
    session), which is narrower than an address shared by a whole office.
    """

    id: str
    owner: str
    signed_in: bool = False
    name: str = ""

    @property
    def label(self) -> str:
        return f"@{self.name}" if self.signed_in else "you"


def _profile_name(profile: Any) -> str:
    if profile is None:
        return ""
    getter = profile.get if isinstance(profile, Mapping) else lambda k: getattr(profile, k, None)
    return str(getter("preferred_username") or getter("username") or getter("name") or "")


def visitor_of(
    request: Any,
    profile: Any = None,
    *,
    trusted: Sequence[Network] = (),
    browser_token: str | None = None,
    session: str = "",
) -> Visitor:
    """The visitor behind a gradio request (``gr.Request``) and OAuth profile."""
    name = _profile_name(profile)
    if name:
        return Visitor(id=f"hf:{name}", owner=f"hf:{name}", signed_in=True, name=name)
    client = getattr(request, "client", None)
    peer = getattr(client, "host", None)
    headers = getattr(request, "headers", None) or {}
    try:
        forwarded = headers.get("x-forwarded-for")
    except AttributeError:
        forwarded = None
    address = client_address(peer, forwarded, trusted)
    token = (browser_token or "").strip()
    owner = f"browser:{token}" if token else f"session:{session or 'none'}"
    return Visitor(id=f"ip:{address}", owner=owner)


def anonymous(session: str) -> Visitor:
    """A caller the studio knows nothing about (tests, in-process calls): its session."""
    return Visitor(id=f"session:{session or 'none'}", owner=f"session:{session or 'none'}")
