"""Sending one delivery over HTTP(S), refusing private networks unless allowed.

The host name is resolved once, every address is checked (loopback, private, link-local,
shared and reserved ranges are refused unless WEBHOOKS_ALLOW_PRIVATE), and the request goes
to the address that was checked, with the original name for the Host header and for TLS:
a DNS answer that changes between the check and the connection (rebinding) cannot reach
an internal service. Redirects are not followed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

RESPONSE_EXCERPT = 2000


class TargetRefused(Exception):
    """The target URL is not one deliveries may go to (scheme, host, or a private address).

    `permanent` is False when trying again later may help (the name does not resolve now).
    """

    def __init__(self, reason: str, *, permanent: bool = True):
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: str


def check_url(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, path) of a target URL, or raise TargetRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise TargetRefused(f"not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("only http:// and https:// URLs with a host")
    if parts.username or parts.password:
        raise TargetRefused("no user names or passwords in the URL")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def is_public(address: str) -> bool:
    """Return True for an address on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def literal_address(host: str) -> str | None:
    """Return `host` when it is an IP address, else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def check_host_now(host: str) -> None:
    """Refuse, without any DNS look-up, a host that is obviously private (for subscriptions)."""
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return
    address = literal_address(host)
    if address is not None and not is_public(address):
        raise TargetRefused("the address is private")
    lowered = host.lower().rstrip(".")
    if lowered == "localhost" or lowered.endswith((".localhost", ".local", ".internal", ".lan")):
        raise TargetRefused("the host is on a private network")


def resolve(host: str, port: int) -> str:
    """Return the address to connect to, checked against the private-network rule."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"cannot resolve {host}: {error}", permanent=False) from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise TargetRefused(f"cannot resolve {host}", permanent=False)
    if not settings.WEBHOOKS_ALLOW_PRIVATE and not all(is_public(a) for a in addresses):
        raise TargetRefused(f"{host} resolves to a private address")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to `url`; return the status and the start of the answer.

    Raises TargetRefused for a refused target and urllib3.exceptions.HTTPError when the
    connection fails or times out.
    """
    scheme, host, port, path = check_url(url)
    address = resolve(host, port)
    host_header = f"[{host}]" if ":" in host else host
    if (scheme, port) not in (("http", 80), ("https", 443)):
        host_header = f"{host_header}:{port}"
    options = {"timeout": urllib3.Timeout(connect=min(timeout, 5.0), read=timeout), "retries": False}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED", **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            excerpt = response.read(RESPONSE_EXCERPT, decode_content=True)
        finally:
            response.release_conn()
    finally:
        pool.close()
    return Answer(status=response.status, body=excerpt.decode("utf-8", "replace"))
