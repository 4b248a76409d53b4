"""``RemoteMonitor``: post each epoch's logs to a server.

Keras 3's callback with the standard library's ``urllib`` in place of the
``requests`` package: at each epoch's end it POSTs the epoch number and the
logs to ``root + path``, as a form field ``field`` holding JSON (the default)
or as a JSON body (``send_as_json=True``). A server that cannot be reached
gives a warning, never an error: monitoring must not stop training.
"""
from __future__ import annotations

import json
import numbers
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy

from .callback import Callback

__all__ = ["RemoteMonitor"]


def _plain(value):
    """A log value as JSON can hold it (numpy scalars and 0-d arrays unwrapped)."""
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return value.item() if value.size == 1 else value.tolist()
    if isinstance(value, numbers.Number) and not isinstance(value, (int, float, bool)):
        return float(value)
    return value


class RemoteMonitor(Callback):
    """Stream the epoch logs to a server by HTTP POST.

    >>> monitor = RemoteMonitor(root="http://localhost:9000", path="/publish/epoch/end/")
    >>> # model.fit(x, y, epochs=3, callbacks=[monitor])
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data", headers=None,
                 send_as_json=False, timeout: float = 10.0):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = _plain(value)
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
