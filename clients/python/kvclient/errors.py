"""Exceptions raised by kvclient."""

import builtins


class KVError(Exception):
    """Base class of every kvclient error."""


class ServerError(KVError):
    """The server answered ERROR: the command ran and failed (message = the server's text)."""


class ProtocolError(KVError):
    """The server answered INVALID (the command did not run), or sent bytes that do not parse."""


class ConnectionError(KVError, builtins.ConnectionError):  # noqa: A001 - deliberate name
    """Connecting, sending or receiving failed (including timeouts); the connection is dropped."""


class LockNotAcquired(KVError):
    """Client.lock(): the lock is held by another owner."""
