#!/usr/bin/env python3
"""Turns the slapd suite's generated directories into Active Directory ones
for tests/support/samba-forest.sh, and adds the recipients AD has besides
mailbox users.

  samba-ldif.py GENDIR OUTDIR

GENDIR holds what tests/data/ldap/gen-users.py wrote (source.ldif,
target.ldif, expected.tsv): the same users and the same hard cases
(ambiguous target, ambiguous source through a shared X500 proxy, no
target, not switched, non-ASCII names, secondary SMTP keys), so the Samba
suite and the slapd suite assert the same answers. OUTDIR receives:

  source-ad.ldif, target-ad.ldif   for `ldbadd --controls=relax:0` into the
      DC's sam.ldb (relax lets the test data carry objectGUID, which AD
      otherwise assigns itself); every object gets a sAMAccountName, as AD
      requires of security principals;
  expected.tsv                     gen-users.py's lines plus the lines of the
      recipients added here (same columns).

Added here (both forests), because AD directories hold them and cpuu must
pass them by or find them:
  - mail contacts and mail-enabled groups (objectClass contact / group with
    mailNickname and proxyAddresses): not mailboxes, so never exported nor
    found, even when a contact carries a user's address as targetAddress;
  - shared and room mailboxes (user objects, msExchRecipientTypeDetails 4
    and 16, disabled accounts as Exchange creates them) with targets;
  - "bigbox", a mailbox with more proxyAddresses (X500 history) than AD's
    MaxValRange (1500), so a DC that ranges values must be read in ranges.
  - "rangebox", 3,000 X500 addresses on the source and the same 3,000 on
    its target (a target that already carries the history): the ranged
    retrieval test (test_directory_samba.c) reads both sides in small
    ranges. Its keys go to ranged.tsv, not expected.tsv, so the every-key
    test does not pay 3,000 lookups of a 3,001-value object.
"""
import base64
import os
import random
import sys
import uuid

SRC_ORG = "/o=SourceOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"
TRG_ORG = "/o=TargetOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients"
SHARED_MAILBOX = "4"   # msExchRecipientTypeDetails: SharedMailbox
ROOM_MAILBOX = "16"    # RoomMailbox
USER_MAILBOX = "1"
BIG_X500 = 1600        # > MaxValRange 1500
RANGE_X500 = 3000      # two MaxValRange ranges and a part


def parse_ldif(path):
    """The generator's LDIF: no line folding, "name: v" or "name:: b64"."""
    entries = []
    with open(path, encoding="utf-8") as f:
        block = []
        for line in f.read().split("\n") + [""]:
            if line:
                block.append(line)
                continue
            if not block:
                continue
            attrs = []
            for l in block:
                if ":: " in l:
                    n, v = l.split(":: ", 1)
                    raw = base64.b64decode(v)
                    try:
                        val = raw.decode("utf-8")
                        if any(ord(c) < 32 for c in val):
                            val = raw
                    except UnicodeDecodeError:
                        val = raw
                else:
                    n, v = l.split(": ", 1)
                    val = v
                attrs.append((n, val))
            entries.append(attrs)
            block = []
    return entries


def needs_b64(v):
    if isinstance(v, bytes):
        return True
    if v == "":
        return False
    if v[0] in " :<" or v[-1] == " ":
        return True
    return any(ord(c) > 126 or ord(c) < 32 for c in v)


def ldif(attrs):
    out = []
    for n, v in expand(attrs):
        if needs_b64(v):
            raw = v if isinstance(v, bytes) else v.encode("utf-8")
            out.append("%s:: %s" % (n, base64.b64encode(raw).decode("ascii")))
        else:
            out.append("%s: %s" % (n, v))
    return "\n".join(out) + "\n\n"


def ad_entries(entries):
    out = []
    for attrs in entries:
        dn = attrs[0][1]
        low = dn.lower()
        # The suffix and the slapd service account exist (or are made by
        # samba-tool) in AD already.
        if low.startswith("dc=") or low.startswith("cn=cpuu,"):
            continue
        if low.startswith("ou="):
            out.append(ldif([("dn", dn), ("objectClass", "organizationalUnit"),
                             ("ou", dn.split(",")[0][3:])]))
            continue
        cn = next(v for n, v in attrs if n == "cn")
        body = [(n, v) for n, v in attrs if n != "dn"]
        body.append(("sAMAccountName", cn[:20]))
        # A moved mailbox leaves a mail user on the source whose
        # targetAddress routes to the target (hybrid moves): the same users
        # as the extensionAttribute10 switch signal, so either rule gives
        # the same mapping.
        sw = [v for n, v in attrs if n == "extensionAttribute10"]
        if sw and isinstance(sw[0], str) and sw[0].lower() == "cpuu-switched" and low.endswith("dc=source,dc=example"):
            body.append(("targetAddress", "SMTP:%s@target.example" % cn))
        out.append(ldif([("dn", dn)] + body))
    return out


def guid_str(b):
    return str(uuid.UUID(bytes_le=bytes(b)))


def extras(rnd, src, trg, exp, ranged, suffix_s, suffix_t):
    def rguid():
        return bytes(rnd.getrandbits(8) for _ in range(16))

    for k in range(20):
        # Contacts: one carries a mailbox user's address as its target
        # address (a forwarding contact), which must not make it a match.
        alias = "contact%02d" % k
        addr = "user%04d@source.example" % k if k == 0 else "%s@partner.example" % alias
        src.append(ldif([("dn", "cn=%s,ou=Users,%s" % (alias, suffix_s)), ("objectClass", "contact"),
                         ("cn", alias), ("displayName", "Contact %02d" % k), ("mail", addr),
                         ("mailNickname", alias), ("targetAddress", "SMTP:" + addr),
                         ("legacyExchangeDN", "%s/cn=%s" % (SRC_ORG, alias)),
                         ("proxyAddresses", ["SMTP:" + addr, "X500:%s/cn=old-%s" % (SRC_ORG, alias)])]))
    for k in range(5):
        alias = "group%02d" % k
        members = ["cn=user%04d,ou=Users,%s" % (m, suffix_s) for m in range(k * 10, k * 10 + 10)]
        for side, suffix, org in (("s", suffix_s, SRC_ORG), ("t", suffix_t, TRG_ORG)):
            dom = "source.example" if side == "s" else "target.example"
            e = [("dn", "cn=%s,ou=Users,%s" % (alias, suffix)), ("objectClass", "group"),
                 ("cn", alias), ("sAMAccountName", alias), ("mail", "%s@%s" % (alias, dom)),
                 ("mailNickname", alias), ("legacyExchangeDN", "%s/cn=%s" % (org, alias)),
                 ("proxyAddresses", ["SMTP:%s@%s" % (alias, dom)])]
            if side == "s":
                e.append(("member", members))
            (src if side == "s" else trg).append(ldif(expand(e)))

    def mailbox_pair(alias, display, rtype, x500, switched, disabled, target_x500=(), out=None):
        s_oguid, s_mbx, t_oguid, t_mbx = rguid(), rguid(), rguid(), rguid()
        s_ldn = "%s/cn=%s-%s" % (SRC_ORG, s_oguid.hex()[:8], alias)
        t_ldn = "%s/cn=%s-%s" % (TRG_ORG, t_oguid.hex()[:8], alias)
        s_smtp, t_smtp = alias + "@source.example", alias + "@target.example"
        uac = [("userAccountControl", "514")] if disabled else []
        sattrs = [("dn", "cn=%s,ou=Users,%s" % (alias, suffix_s)),
                  ("objectClass", ["top", "person", "organizationalPerson", "user"]),
                  ("cn", alias), ("sAMAccountName", alias[:20]), ("displayName", display),
                  ("mail", s_smtp), ("mailNickname", alias), ("legacyExchangeDN", s_ldn),
                  ("proxyAddresses", ["SMTP:" + s_smtp] + ["X500:" + x for x in x500]),
                  ("objectGUID", s_oguid), ("msExchMailboxGuid", s_mbx),
                  ("msExchRecipientTypeDetails", rtype)] + uac
        # The other correspondence rules of the slapd suite hold for these
        # too: source extensionAttribute2 = target legacyExchangeDN,
        # extensionAttribute3 = target SMTP, target mS-DS-ConsistencyGuid =
        # the source objectGUID's bytes (as gen-users.py's users carry them).
        sattrs += [("extensionAttribute2", t_ldn), ("extensionAttribute3", t_smtp)]
        if switched:
            sattrs.append(("extensionAttribute10", "cpuu-switched"))
            sattrs.append(("targetAddress", "SMTP:" + t_smtp))
        tattrs = [("dn", "cn=%s,ou=Users,%s" % (alias, suffix_t)),
                  ("objectClass", ["top", "person", "organizationalPerson", "user"]),
                  ("cn", alias), ("sAMAccountName", alias[:20]), ("displayName", display),
                  ("mail", t_smtp), ("mailNickname", alias), ("legacyExchangeDN", t_ldn),
                  ("proxyAddresses", ["SMTP:" + t_smtp] + ["X500:" + x for x in target_x500]),
                  ("objectGUID", t_oguid),
                  ("msExchMailboxGuid", t_mbx), ("msExchRecipientTypeDetails", rtype),
                  ("extensionAttribute1", guid_str(s_oguid)), ("mS-DS-ConsistencyGuid", s_oguid)] + uac
        src.append(ldif(expand(sattrs)))
        trg.append(ldif(expand(tattrs)))
        mbx = guid_str(t_mbx)
        facts = ["found", t_ldn, t_smtp, mbx, display, "onprem", "%s@target.example" % mbx,
                 "1" if switched else "0"]
        keys = [("ldn", s_ldn), ("smtp", s_smtp), ("guid", guid_str(s_mbx))]
        keys += [("x500", x) for x in x500]
        for kind, key in keys:
            (exp if out is None else out).append("\t".join([kind, key] + facts))

    for k in range(10):
        mailbox_pair("shared%02d" % k, "Shared %02d" % k, SHARED_MAILBOX,
                     ["/o=OldOrg/ou=First Administrative Group/cn=Recipients/cn=shared%02d" % k], k % 2 == 0, True)
        mailbox_pair("room%02d" % k, "Room %02d" % k, ROOM_MAILBOX, [], k % 3 != 0, True)
    big = ["/o=Legacy Org/ou=Site %d/cn=Recipients/cn=bigbox-%04d" % (n % 7, n) for n in range(BIG_X500)]
    mailbox_pair("bigbox", "Big Box", USER_MAILBOX, big, True, False)
    many = ["/o=History Org/ou=Site %d/cn=Recipients/cn=rangebox-%04d" % (n % 5, n) for n in range(RANGE_X500)]
    mailbox_pair("rangebox", "Range Box", USER_MAILBOX, many, True, False, many, ranged)


def expand(attrs):
    out = []
    for n, v in attrs:
        if isinstance(v, list):
            out += [(n, x) for x in v]
        else:
            out.append((n, v))
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: samba-ldif.py GENDIR OUTDIR\n")
        return 2
    gen, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    src = ad_entries(parse_ldif(os.path.join(gen, "source.ldif")))
    trg = ad_entries(parse_ldif(os.path.join(gen, "target.ldif")))
    with open(os.path.join(gen, "expected.tsv"), encoding="utf-8") as f:
        exp = [l for l in f.read().split("\n") if l]
    ranged = []
    extras(random.Random(1717), src, trg, exp, ranged, "dc=source,dc=example", "dc=target,dc=example")
    with open(os.path.join(out, "source-ad.ldif"), "w", encoding="utf-8") as f:
        f.write("".join(src))
    with open(os.path.join(out, "target-ad.ldif"), "w", encoding="utf-8") as f:
        f.write("".join(trg))
    with open(os.path.join(out, "expected.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(exp) + "\n")
    with open(os.path.join(out, "ranged.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(ranged) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
