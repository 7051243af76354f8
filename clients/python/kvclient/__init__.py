"""kvclient: a Python client for kv-server's native binary protocol (standard library only).

    import kvclient
    with kvclient.connect("kv://secret@127.0.0.1:6380/my_app") as c:
        c.set("price", Decimal("19.99"))
"""

from .client import DEFAULT_PORT, Client, Pipeline, Pool, connect, parse_url
from .errors import ConnectionError, KVError, LockNotAcquired, ProtocolError, ServerError
from .protocol import decode_value, encode_value

__all__ = [
    "DEFAULT_PORT", "Client", "Pipeline", "Pool", "connect", "parse_url",
    "ConnectionError", "KVError", "LockNotAcquired", "ProtocolError", "ServerError",
    "decode_value", "encode_value",
]
__version__ = "0.1.0"
