"""A tiny TLS-terminating proxy in front of the live test server, as nginx would be in production.

b24pysdk only speaks https://; the proxy presents a certificate of a throw-away CA (trustme)
and passes the plain bytes on to the live server.
"""

import contextlib
import socket
import ssl
import threading


class TlsProxy:
    """Accept TLS connections on 127.0.0.1:<port> and pipe them to `upstream` (host, port)."""

    def __init__(self, upstream: tuple[str, int], context: ssl.SSLContext):
        self.upstream = upstream
        self.context = context
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.closed.set()
        self.listener.close()
        self.thread.join(timeout=5)

    def _serve(self) -> None:
        while not self.closed.is_set():
            try:
                raw, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw: socket.socket) -> None:
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        upstream = socket.create_connection(self.upstream)
        pumps = [
            threading.Thread(target=_pump, args=(client, upstream), daemon=True),
            threading.Thread(target=_pump, args=(upstream, client), daemon=True),
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join(timeout=60)
        for end in (client, upstream):
            with contextlib.suppress(OSError):
                end.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)
