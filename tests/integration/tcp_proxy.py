"""A TCP proxy on loopback that can go silent: it keeps accepting connections but forwards nothing."""
from __future__ import annotations

import select
import socket
import threading


class SilentableProxy:
    """Forward 127.0.0.1:<port> to upstream; while ``silent``, accept and hold every byte both ways."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream, self.silent = upstream, False
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []

    def __enter__(self) -> SilentableProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._listener.close()
        for sock in list(self._sockets):
            sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _hold(self) -> bool:
        """Wait while silent; False once the proxy stops."""
        while self.silent and not self._stop.is_set():
            self._stop.wait(0.05)
        return not self._stop.is_set()

    def _serve(self, client: socket.socket) -> None:
        self._sockets.append(client)
        if not self._hold():
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        self._sockets.append(server)
        pairs = {client: server, server: client}
        try:
            while self._hold():
                ready, _, _ = select.select(list(pairs), [], [], 0.05)
                for sock in ready:
                    if self.silent:
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    pairs[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()
