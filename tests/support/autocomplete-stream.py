#!/usr/bin/env python3
"""Write a RoamCache autocomplete stream for the Wine logon tests.

    autocomplete-stream.py OUT DISPLAY_NAME LEGACY_DN SMTP

The layout of outlook-profile.md section 5 (version 12/0, as Outlook 2010
and later keep it in RoamCache): two rows, the user by the source
legacyExchangeDN (an EX row that cpuu must rewrite) and someone outside the
migration (an SMTP row it must keep), then an empty EI block and the
8-byte metadata (any FILETIME).
"""
import struct
import sys


def text(tag, s):
    b = (s + "\0").encode("utf-16-le")
    return struct.pack("<II8sI", tag, 0, b"\0" * 8, len(b)) + b


def long(tag, v):
    return struct.pack("<IIII", tag, 0, v, 0)


def main():
    out_path, display, legacy_dn, smtp = sys.argv[1:5]
    out = struct.pack("<IIII", 0xBAADF00D, 12, 0, 2)
    out += struct.pack("<I", 5) + text(0x6001001F, display) + text(0x3002001F, "EX") + \
        text(0x3003001F, legacy_dn) + text(0x39FE001F, smtp) + long(0x60040003, 0x4000)
    out += struct.pack("<I", 3) + text(0x6001001F, "Zed Outside") + text(0x3002001F, "SMTP") + \
        long(0x60040003, 0x2000)
    out += struct.pack("<I", 0) + b"\x11" * 8
    with open(out_path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
