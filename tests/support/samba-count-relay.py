#!/usr/bin/env python3
"""A TCP relay that counts what a client asks of an LDAP server, for tests
that must show which requests were made (samba_wine_range.sh: the Windows
build's ranged reads). Plain LDAP only (it reads the client's bytes).

  samba-count-relay.py HOST PORT DIR

Listens on 127.0.0.1 on a free port, written to DIR/port; forwards each
connection to HOST:PORT; after every client packet writes to DIR/count the
number of "proxyAddresses;range=" attribute descriptions the clients sent
so far (a ranged read names one per request). Runs until killed.
"""
import os
import socket
import sys
import threading

NEEDLE = b"proxyAddresses;range="


def main():
    host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lock = threading.Lock()
    total = [0]

    def pipe(a, b, count):
        tail = b""
        while True:
            try:
                d = a.recv(65536)
            except OSError:
                break
            if not d:
                break
            if count:
                # Count across packet boundaries: keep the last bytes.
                data = tail + d
                n = data.count(NEEDLE) - tail.count(NEEDLE)
                tail = data[-(len(NEEDLE) - 1):]
                with lock:
                    total[0] += n
                    with open(os.path.join(out, "count.tmp"), "w") as f:
                        f.write("%d\n" % total[0])
                    os.replace(os.path.join(out, "count.tmp"), os.path.join(out, "count"))
            try:
                b.sendall(d)
            except OSError:
                break
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(os.path.join(out, "count"), "w") as f:
        f.write("0\n")
    with open(os.path.join(out, "port"), "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    while True:
        c, _ = srv.accept()
        u = socket.create_connection((host, port), timeout=30)
        u.settimeout(None)
        threading.Thread(target=pipe, args=(c, u, True), daemon=True).start()
        threading.Thread(target=pipe, args=(u, c, False), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
