#!/usr/bin/python3
"""Subscribers for the PUBLISH benchmarks of scripts/bench-resp.sh: opens COUNT connections to
HOST:PORT, SUBSCRIBEs each to CHANNEL, prints "ready" once every subscription is confirmed, then
reads and discards everything that arrives (large reads, no parsing, so the subscribers cost
the machine as little as they can) until SIGTERM; then prints the bytes each received.

usage: bench-subscribers.py HOST PORT CHANNEL COUNT"""

import selectors
import signal
import socket
import sys


def main() -> int:
    host, port, channel, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    request = b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(channel), channel.encode())
    confirm = b"$9\r\nsubscribe\r\n"
    socks = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=10)
        s.sendall(request)
        reply = b""
        while confirm not in reply or not reply.endswith(b":1\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                print(f"bench-subscribers: connection closed while subscribing: {reply!r}",
                      file=sys.stderr)
                return 1
            reply += chunk
        s.setblocking(False)
        socks.append(s)
    received = [0] * count
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    print("ready", flush=True)
    buf = bytearray(1 << 18)
    closed = 0
    while not stop and closed < count:
        for key, _ in sel.select(timeout=0.5):
            try:
                n = key.fileobj.recv_into(buf)
            except BlockingIOError:
                continue
            except ConnectionError:
                n = 0
            if n == 0:
                sel.unregister(key.fileobj)
                closed += 1
            received[key.data] += n
    print(f"received bytes: min {min(received)} max {max(received)}; closed by the server: {closed}",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
