"""A file server on 127.0.0.1 for download tests: byte ranges, published checksums, faults.

    with http_server.serve({"/lra_release.gz": data}, md5=True) as server:
        url = server.url("/lra_release.gz")
        ...
        server.requests       # [(method, path, Range header or None), ...]

Answers GET and HEAD like a static file host: `Content-Length`, `ETag`, `Accept-Ranges`,
`Range: bytes=N-` / `bytes=N-M` with 206 and `Content-Range` (416 past the end), `If-Range`
(a stale validator gets the whole file). `md5=True` adds Google Cloud Storage's
`x-goog-hash: md5=...` of each file as published (`published` overrides the bytes it
describes: a server that publishes the checksum of the real file while sending damaged
bytes). `cut_after=N` closes the connection after N bytes of a body, for the first
`cuts` answers (a dropped download). Standard library only; one thread per connection.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import re
import socket
import threading
from typing import Dict, Iterator, List, Optional, Tuple

_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")


class Server:
    """A running server: its address and the requests it received."""

    def __init__(self, httpd: http.server.ThreadingHTTPServer):
        self.httpd = httpd
        self.requests: List[Tuple[str, str, Optional[str]]] = []

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(files: Dict[str, bytes], published: Dict[str, bytes], md5: bool,
             cut_after: Optional[int], cuts: List[int], server: List[Server]):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            del args

        def do_HEAD(self):  # noqa: N802 (http.server's names)
            self._answer(body=False)

        def do_GET(self):  # noqa: N802
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            server[0].requests.append((self.command, self.path, self.headers.get("Range")))
            data = files.get(self.path)
            if data is None:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            start, end, status = 0, len(data) - 1, 200
            match = _RANGE.match(self.headers.get("Range", ""))
            if_range = self.headers.get("If-Range")
            if match and (if_range is None or if_range == etag):
                start = int(match.group(1))
                end = int(match.group(2)) if match.group(2) else len(data) - 1
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            chunk = data[start:end + 1]
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            if md5:
                digest = hashlib.md5(published.get(self.path, data)).digest()
                self.send_header("x-goog-hash", "crc32c=AAAAAA==,md5="
                                 + base64.b64encode(digest).decode())
            self.end_headers()
            if not body:
                return
            if cut_after is not None and cuts[0] > 0:
                cuts[0] -= 1
                self.wfile.write(chunk[:cut_after])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(chunk)

    return Handler


@contextlib.contextmanager
def serve(files: Dict[str, bytes], *, md5: bool = False,
          published: Optional[Dict[str, bytes]] = None, cut_after: Optional[int] = None,
          cuts: int = 1) -> Iterator[Server]:
    """Serves `files` ({url path: bytes}) on a free port of 127.0.0.1 until the block ends."""
    holder: List[Server] = []
    handler = _handler(dict(files), dict(published or {}), md5, cut_after, [cuts], holder)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    holder.append(Server(httpd))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens (a server that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
