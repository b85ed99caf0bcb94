#!/usr/bin/env python3
"""Generates the test directories for tests/support/slapd.sh.

Writes into OUTDIR:
  source.ldif, target.ldif  entries for slapadd (dc=source,dc=example and
                            dc=target,dc=example), with the base entries;
  expected.tsv              what a lookup must answer, one line per source key:
      key_kind key status t_legacy_dn t_smtp t_guid t_display t_kind t_server switched
      (tab-separated, UTF-8; "-" for an absent value; key_kind is ldn, smtp,
      guid, x500 or smtp2 (a secondary SMTP proxy: live LDAP only)).

The facts are chosen from the user number so that every case occurs:
switched or not, online (targetAddress or recipient type) or on-premises,
no target, an ambiguous target (two target objects for one source), an
ambiguous source (two source objects sharing an X500 proxy: every key of
both is ambiguous, as the mapping file answers), non-ASCII names
and proxies, targets that already hold some X500 proxies, mail-less accounts.

Correspondence attributes (tests pick one through the INI):
  target extensionAttribute1 = the source objectGUID (GUID string form)
  target mS-DS-ConsistencyGuid = the source objectGUID (the raw 16 bytes)
  source extensionAttribute2 = the target legacyExchangeDN
  source extensionAttribute3 = the target primary SMTP address
Switch signal: source extensionAttribute10 = "cpuu-switched" (any case);
other values ("pending") mean not switched.
"""
import base64
import os
import random
import sys
import uuid

SRC_ORG = "/o=SourceOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"
TRG_ORG = "/o=TargetOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"
SHARED_X500 = "/o=OldOrg/ou=First Administrative Group/cn=Recipients/cn=shared"
REMOTE_USER_MAILBOX = "2147483648"
USER_MAILBOX = "1"


def guid_str(b):
    # Windows/registry string form: Data1..Data3 little-endian.
    return str(uuid.UUID(bytes_le=bytes(b)))


def needs_b64(v):
    if isinstance(v, bytes):
        return True
    if v == "":
        return False
    if v[0] in " :<" or v[-1] == " ":
        return True
    return any(ord(c) > 126 or ord(c) < 32 for c in v)


def ldif_line(name, v):
    if isinstance(v, bytes) or needs_b64(v):
        raw = v if isinstance(v, bytes) else v.encode("utf-8")
        return "%s:: %s" % (name, base64.b64encode(raw).decode("ascii"))
    return "%s: %s" % (name, v)


def entry(dn, attrs):
    lines = [ldif_line("dn", dn)]
    for name, vals in attrs:
        if vals is None:
            continue
        if not isinstance(vals, list):
            vals = [vals]
        for v in vals:
            lines.append(ldif_line(name, v))
    return "\n".join(lines) + "\n\n"


def base(suffix, dc):
    # cn=cpuu: the account the tests bind with (not the rootdn, so that the
    # server's size limit and ACLs apply as they would to a service account).
    return (entry(suffix, [("objectClass", ["top", "dcObject", "organization"]),
                           ("dc", dc), ("o", dc)]) +
            entry("cn=cpuu," + suffix, [("objectClass", ["top", "person"]), ("cn", "cpuu"),
                                        ("sn", "cpuu"), ("userPassword", dc + "-secret")]) +
            entry("ou=Users," + suffix, [("objectClass", ["top", "organizationalUnit"]),
                                         ("ou", "Users")]))


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: gen-users.py OUTDIR [COUNT] [SEED]\n")
        return 2
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 4711)

    def rguid():
        return bytes(rnd.getrandbits(8) for _ in range(16))

    src = [base("dc=source,dc=example", "source")]
    trg = [base("dc=target,dc=example", "target")]
    exp = []
    users = []
    for i in range(count):
        alias = "user%04d" % i
        u = {"i": i, "alias": alias}
        u["s_oguid"] = rguid()
        u["s_mbx"] = None if i % 37 == 5 else rguid()
        u["s_ldn"] = "%s/cn=%s-%s" % (SRC_ORG, u["s_oguid"].hex()[:8], alias)
        u["s_smtp"] = "%s@source.example" % alias
        u["s_smtp2"] = "%s.alt@source.example" % alias
        x500 = []
        if i % 4 == 0:
            x500.append("/o=OldOrg/ou=First Administrative Group/cn=Recipients/cn=%s" % alias)
        if i % 8 == 0:
            x500.append("/o=Legacy Org/ou=Site %d/cn=Recipients/cn=%s" % (i % 3, alias))
        if i == 7:
            x500.append("/o=Zürich AG/ou=Verwaltung/cn=Recipients/cn=%s" % alias)
        if i in (11, 12):
            x500.append(SHARED_X500)
        u["s_x500"] = x500
        u["display"] = ("Zoë Ærøskøbing %d" % i) if i % 7 == 3 else ("User %04d" % i)
        u["has_target"] = i % 10 != 9
        u["switched"] = i % 2 == 0
        u["t_oguid"] = rguid()
        u["t_mbx"] = None if i % 37 == 6 else (u["s_mbx"] if (i % 3 == 0 and u["s_mbx"]) else rguid())
        u["t_ldn"] = "%s/cn=%s-%s" % (TRG_ORG, u["t_oguid"].hex()[:8], alias)
        u["t_smtp"] = "%s@target.example" % alias
        u["online"] = i % 5 in (1, 2)
        users.append(u)

        # --- source object
        proxies = ["SMTP:" + u["s_smtp"], "smtp:" + u["s_smtp2"]]
        proxies += ["X500:" + x for x in x500]
        sw = None
        if u["switched"]:
            sw = "CPUU-SWITCHED" if i % 4 == 2 else "cpuu-switched"
        elif i % 3 == 1:
            sw = "pending"
        attrs = [("objectClass", ["top", "person", "organizationalPerson", "user"]),
                 ("cn", alias), ("sn", alias), ("displayName", u["display"]),
                 ("mail", u["s_smtp"]), ("mailNickname", alias),
                 ("legacyExchangeDN", u["s_ldn"]), ("proxyAddresses", proxies),
                 ("objectGUID", u["s_oguid"]), ("msExchMailboxGuid", u["s_mbx"]),
                 ("msExchRecipientTypeDetails", USER_MAILBOX),
                 ("extensionAttribute10", sw)]
        if u["has_target"]:
            attrs.append(("extensionAttribute2", u["t_ldn"]))
            attrs.append(("extensionAttribute3", u["t_smtp"].upper() if i % 6 == 1 else u["t_smtp"]))
        src.append(entry("cn=%s,ou=Users,dc=source,dc=example" % alias, attrs))

        # --- target object(s)
        if not u["has_target"]:
            continue
        g = guid_str(u["s_oguid"])
        if i % 6 == 0:
            g = "{" + g.upper() + "}"
        tprox = ["SMTP:" + u["t_smtp"], "smtp:%s@target.mail.onmicrosoft.com" % alias]
        if i % 12 == 0:
            # Already has some of the source identities, in another case.
            tprox.append("x500:" + u["s_ldn"].upper())
            if x500:
                tprox.append("X500:" + x500[0].lower())
        tattrs = [("objectClass", ["top", "person", "organizationalPerson", "user"]),
                  ("cn", alias), ("sn", alias), ("displayName", u["display"]),
                  ("mail", u["t_smtp"]), ("mailNickname", alias),
                  ("legacyExchangeDN", u["t_ldn"]), ("proxyAddresses", tprox),
                  ("objectGUID", u["t_oguid"]), ("msExchMailboxGuid", u["t_mbx"]),
                  ("extensionAttribute1", g), ("mS-DS-ConsistencyGuid", u["s_oguid"])]
        if i % 5 == 1:
            tattrs.append(("targetAddress", "SMTP:%s@targetorg.mail.onmicrosoft.com" % alias))
            tattrs.append(("msExchRecipientTypeDetails", USER_MAILBOX))
        elif i % 5 == 2:
            tattrs.append(("msExchRecipientTypeDetails", REMOTE_USER_MAILBOX))
        else:
            tattrs.append(("msExchRecipientTypeDetails", USER_MAILBOX))
            if i % 5 == 3:
                # A forwarding address that is not Exchange Online: still on-premises.
                tattrs.append(("targetAddress", "SMTP:%s@partner.example" % alias))
        trg.append(entry("cn=%s,ou=Users,dc=target,dc=example" % alias, tattrs))
        if i == 20:
            # A second target claiming the same source: ambiguous.
            dup = [(n, v) for n, v in tattrs if n not in ("cn", "sn", "objectGUID")]
            dup += [("cn", alias + "-dup"), ("sn", alias), ("objectGUID", rguid())]
            trg.append(entry("cn=%s-dup,ou=Users,dc=target,dc=example" % alias, dup))

    # Accounts that are not mail-enabled (no mailNickname) and target-only users.
    for k in range(3):
        src.append(entry("cn=svc%d,ou=Users,dc=source,dc=example" % k,
                         [("objectClass", ["top", "person", "organizationalPerson", "user"]),
                          ("cn", "svc%d" % k), ("sn", "svc"), ("objectGUID", rguid())]))
        trg.append(entry("cn=newhire%d,ou=Users,dc=target,dc=example" % k,
                         [("objectClass", ["top", "person", "organizationalPerson", "user"]),
                          ("cn", "newhire%d" % k), ("sn", "newhire"), ("mailNickname", "newhire%d" % k),
                          ("legacyExchangeDN", "%s/cn=newhire%d" % (TRG_ORG, k)),
                          ("proxyAddresses", "SMTP:newhire%d@target.example" % k),
                          ("objectGUID", rguid()), ("msExchMailboxGuid", rguid())]))

    for u in users:
        i = u["i"]
        ambiguous = ["ambiguous"] + ["-"] * 6 + ["0"]
        if i in (11, 12, 20):
            facts = ambiguous
        elif not u["has_target"]:
            facts = ["no_target"] + ["-"] * 6 + ["0"]
        else:
            mbx = guid_str(u["t_mbx"]) if u["t_mbx"] else "-"
            server = "%s@target.example" % mbx if u["t_mbx"] else "-"
            facts = ["found", u["t_ldn"], u["t_smtp"], mbx, u["display"],
                     "online" if u["online"] else "onprem", server,
                     "1" if u["switched"] else "0"]
        keys = [("ldn", u["s_ldn"]), ("smtp", u["s_smtp"]), ("smtp2", u["s_smtp2"])]
        if u["s_mbx"]:
            keys.append(("guid", guid_str(u["s_mbx"])))
        keys += [("x500", x) for x in u["s_x500"]]
        for kind, key in keys:
            exp.append("\t".join([kind, key] + facts))
    exp.append("\t".join(["ldn", "/o=SourceOrg/cn=Recipients/cn=nobody", "no_source"] + ["-"] * 6 + ["0"]))
    exp.append("\t".join(["smtp", "nobody@source.example", "no_source"] + ["-"] * 6 + ["0"]))

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "source.ldif"), "w", encoding="utf-8") as f:
        f.write("".join(src))
    with open(os.path.join(out, "target.ldif"), "w", encoding="utf-8") as f:
        f.write("".join(trg))
    with open(os.path.join(out, "expected.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(exp) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
