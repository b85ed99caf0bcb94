#!/usr/bin/env python3
"""A misbehaving LDAP server on 127.0.0.1 for the directory failure tests.

    ldap-stub.py MODE PORTFILE LOGFILE

Listens on a free loopback port, writes the port to PORTFILE, and serves
every connection (one thread each) until it is killed:

  garbage   answers the first request with bytes that are not LDAP and
            closes, as a web server does when a URL names its port
  stall     accepts and reads, never answers (a hung DC)
  bindstall answers binds with success (RFC 4511 BindResponse, resultCode
            0) and never answers anything else: a DC that hangs after the
            bind, so every search waits for the client's timeout

LOGFILE gets one line per event: "connect", then the operation of each
request read ("bind", "search", "unbind", "extended", "op-N"), so a test
counts connection attempts and searches instead of measuring time.

Only the outer BER framing of an LDAPMessage is parsed (SEQUENCE, length,
messageID, the protocolOp tag): enough to tell a bind from a search.
"""
import socket
import sys
import threading

OPS = {0x60: "bind", 0x63: "search", 0x42: "unbind", 0x77: "extended", 0x50: "abandon"}
LOCK = threading.Lock()


def log(path, what):
    with LOCK, open(path, "a") as f:
        f.write(what + "\n")


def read_len(sock, buf):
    """Reads bytes until buf holds one BER element; returns it or None."""
    while True:
        if len(buf) >= 2:
            first = buf[1]
            if first < 0x80:
                hdr, n = 2, first
            else:
                k = first & 0x7F
                if len(buf) >= 2 + k:
                    hdr, n = 2 + k, int.from_bytes(buf[2:2 + k], "big")
                else:
                    hdr = None
            if hdr is not None and len(buf) >= hdr + n:
                return bytes(buf[:hdr + n]), hdr
        chunk = sock.recv(65536)
        if not chunk:
            return None, 0
        buf.extend(chunk)


def parse(msg, hdr):
    """messageID bytes and protocolOp tag of one LDAPMessage."""
    p = hdr
    if msg[p] != 0x02:
        return b"\x01", -1
    ilen = msg[p + 1]
    mid = msg[p + 2:p + 2 + ilen]
    p += 2 + ilen
    return mid, msg[p] if p < len(msg) else -1


def bind_ok(mid):
    body = bytes([0x02, len(mid)]) + mid + bytes([0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])
    return bytes([0x30, len(body)]) + body


def serve(conn, mode, logpath):
    log(logpath, "connect")
    buf = bytearray()
    try:
        while True:
            msg, hdr = read_len(conn, buf)
            if msg is None:
                return
            del buf[:len(msg)]
            mid, op = parse(msg, hdr)
            log(logpath, OPS.get(op, "op-%d" % op))
            if mode == "garbage":
                body = b"<html><body><h1>400 Bad Request</h1></body></html>\r\n"
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                return
            elif mode == "bindstall" and op == 0x60:
                conn.sendall(bind_ok(mid))
    except OSError:
        pass
    finally:
        conn.close()


def main():
    mode, portfile, logpath = sys.argv[1:4]
    if mode not in ("garbage", "stall", "bindstall"):
        sys.stderr.write("ldap-stub: unknown mode %s\n" % mode)
        return 2
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode, logpath), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
