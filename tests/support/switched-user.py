#!/usr/bin/env python3
"""A cpuu-fixture profile for one switched mailbox of an exported mapping.

    switched-user.py MAPPING.csv FIXTURE [WINDOWS_USER]

Picks the first row of MAPPING.csv (cpuu map export of the test
directories) that is switched, on-premises, with a source mailbox GUID and
a legacyExchangeDN no other row has (so the update cannot be ambiguous),
and writes FIXTURE: a default Outlook 2016 profile with that mailbox's
Exchange account as the source knows it, cached; with WINDOWS_USER, its OST
under C:\\Users\\WINDOWS_USER\\AppData\\Local\\Microsoft\\Outlook. Then
FIXTURE.who, one line each: source legacyExchangeDN, source SMTP, target
legacyExchangeDN, target SMTP, and "same" when the mailbox kept its GUID
(its OST stays valid) else "new".
"""
import csv
import sys


def main():
    mapping, fixture = sys.argv[1:3]
    wuser = sys.argv[3] if len(sys.argv) > 3 else None
    rows = list(csv.DictReader(open(mapping, encoding="utf-8")))
    n = {}
    for r in rows:
        n[r["source_legacy_dn"]] = n.get(r["source_legacy_dn"], 0) + 1
    r = next(r for r in rows if r["switched"] == "true" and r["target_kind"] == "onprem"
             and r["source_mailbox_guid"] and n[r["source_legacy_dn"]] == 1)
    text = f"""[profile Outlook]
version = 16.0
default = yes
[exchange]
display_name = {r['target_display_name']}
smtp = {r['source_smtp']}
legacy_dn = {r['source_legacy_dn']}
mailbox_guid = {r['source_mailbox_guid']}
cached = yes
"""
    if wuser:
        text += "ost = C:\\Users\\%s\\AppData\\Local\\Microsoft\\Outlook\\%s.ost\n" % (wuser, r["source_smtp"])
    with open(fixture, "w") as f:
        f.write(text)
    guid = "same" if r["source_mailbox_guid"].lower() == r["target_mailbox_guid"].lower() else "new"
    with open(fixture + ".who", "w") as f:
        f.write("\n".join([r["source_legacy_dn"], r["source_smtp"], r["target_legacy_dn"], r["target_smtp"],
                           guid]) + "\n")


if __name__ == "__main__":
    main()
