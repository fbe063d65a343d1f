"""Is a download possible from here? A short TCP connect to each host, before any download.

Downloaders retry for minutes on a dead network (tensorflow-datasets: 10 retries with
exponential back-off, and no connect timeout). One connection attempt per host, all at once
and bounded by `timeout` seconds in total (name resolution included, which has no timeout of
its own), says within seconds whether the hosts answer, and which one did not and why.

A proxy in the environment (`https_proxy`, `http_proxy`, `no_proxy`, as urllib and requests
read them) is what gets probed for the URLs it carries. Standard library only.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
import urllib.request
from typing import Dict, Iterable, List, Optional, Tuple

DEFAULT_TIMEOUT = 5.0  # seconds; a live host answers a connect in well under one
_PORTS = {"http": 80, "https": 443, "ftp": 21}


def endpoint(url: str) -> Tuple[str, int]:
    """(host, port) that a download of `url` connects to first (its proxy, if one is set)."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parsed.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        parsed_proxy = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
        return parsed_proxy.hostname or "", parsed_proxy.port or 80
    return host, parsed.port or _PORTS.get(parsed.scheme, 80)


def unreachable(urls: Iterable[str], timeout: float = DEFAULT_TIMEOUT) -> Optional[str]:
    """None when every host of `urls` accepts a TCP connection within `timeout` seconds;
    otherwise why not, for the first that did not (e.g. 'www.cs.toronto.edu:443: the name
    does not resolve ([Errno -2] Name or service not known)')."""
    endpoints: List[Tuple[str, int]] = sorted({endpoint(url) for url in urls})
    results: Dict[Tuple[str, int], Optional[str]] = {}

    def attempt(host: str, port: int) -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                results[(host, port)] = None
        except socket.gaierror as error:
            results[(host, port)] = f"the name does not resolve ({error})"
        except socket.timeout:
            results[(host, port)] = f"no answer within {timeout:g} s"
        except OSError as error:
            results[(host, port)] = f"{error.strerror or error}"

    threads = [threading.Thread(target=attempt, args=pair, daemon=True) for pair in endpoints]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:  # name resolution may block past `timeout`: stop waiting then
        thread.join(max(deadline - time.monotonic(), 0.0))
    for host, port in endpoints:
        if (host, port) not in results:
            return f"{host}:{port}: no answer within {timeout:g} s"
        if results[(host, port)] is not None:
            return f"{host}:{port}: {results[(host, port)]}"
    return None
