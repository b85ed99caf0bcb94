#!/usr/bin/env python3
"""Agreement of `cpuu decode --json` with MFCMAPI's own parse of its SmartView
test vectors (shared/vectors/mfcmapi, README there). For every vector of a
kind cpuu reads, every field MFCMAPI prints that cpuu decodes is compared.
Vectors cpuu does not interpret, and vectors it refuses, are listed with the
reason (printed); a refusal must match a vector MFCMAPI itself could not
parse whole, or be justified below. Nothing is skipped silently.

usage: mfcmapi_agree.py CPUU VECTOR_DIR"""
import json, os, re, subprocess, sys, uuid

cpuu, vdir = sys.argv[1:3]
KINDS = {"ENTRYID": "entryid", "FLATENTRYLIST": "entrylist", "NICKNAMECACHE": "autocomplete",
         "PROPERTIES": "props"}
# Vectors cpuu refuses although MFCMAPI shows every field: the reason, which
# the test prints. Everything else cpuu refuses must be a vector MFCMAPI
# itself could not parse whole ("Unparsed data", "NULL", counts of -1).
REFUSED_BY_DESIGN = {
    "ENTRYID-31": "V2 block Size says 216 bytes, 196 are present, and OffsetFQDN points past the "
                  "FQDN's start (an anonymised capture: server names edited, Size and offsets not); "
                  "MFCMAPI reads the strings one after the other and ignores both, cpuu requires "
                  "them consistent so that what it rebuilds is what it read",
    "ENTRYID-32": "V2 block Size says 149 bytes, 143 are present, OffsetFQDN likewise off "
                  "(anonymised, as ENTRYID-31)",
    "PROPERTIES-6": "property 3 has type 0x006F, which has no documented size: MFCMAPI shows it with "
                    "no value and goes on (guessing a size of 0); cpuu stops rather than guess",
}
# Kinds of the vector set cpuu has no decoder for.
NOT_A_CPUU_KIND = {
    "ADDITIONALRENENTRYIDSEX": "PR_ADDITIONAL_REN_ENTRYIDS_EX (special folder IDs in the mailbox): "
                               "no profile value cpuu reads or rewrites holds it",
    "RECIPIENTROWSTREAM": "recipient rows of a message or PST stream: not in a profile nor an "
                          "autocomplete cache",
    "ENTRYLIST": "an in-memory ENTRYLIST with pointer values (EntryLengthPad = pointer bits): "
                 "not a stored format",
}

def read_out(path):
    b = open(path, "rb").read()
    t = b[2:].decode("utf-16-le") if b[:2] == b"\xff\xfe" else b.decode("latin-1")
    return t.replace("\r", "")

def tree(text):
    """Lines 'key = value' / 'key: value' / 'key' with tab depth -> nested nodes."""
    root = {"key": None, "value": None, "kids": []}
    stack = [(-1, root)]
    for line in text.split("\n"):
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        body = line.strip()
        m = re.match(r"^(dwBitmask|Name|Other Matches|Flags): ?(.*)$", body) or \
            re.match(r"^(.*?) = (.*)$", body) or re.match(r"^(.*?) =()$", body)
        node = {"key": m.group(1) if m else body, "value": m.group(2) if m else None, "kids": []}
        while stack[-1][0] >= depth:
            stack.pop()
        stack[-1][1]["kids"].append(node)
        stack.append((depth, node))
    return root

def find(node, key):
    for k in node["kids"]:
        if k["key"] == key:
            return k
    return None

def val(node, key):
    k = find(node, key)
    return None if k is None else k["value"]

def num(v):
    return int(v.split()[0], 16)

def guid_bytes(v):
    return uuid.UUID(v.split()[0].strip("{}")).bytes_le.hex()

def unparsed(node):
    """MFCMAPI could not parse the whole value."""
    def walk(n):
        if n["key"] and (n["key"].startswith("Unparsed data") or n["value"] and n["value"].endswith("NULL")):
            return True
        if n["key"] in ("Row Count", "cValues") and n["value"] and "-1" in n["value"].split("=")[-1]:
            return True
        return any(walk(k) for k in n["kids"])
    return walk(node)

errors, checked, listed = [], 0, []
def eq(name, what, got, want):
    global checked
    checked += 1
    if got != want:
        errors.append(f"{name}: {what}: cpuu {got!r}, MFCMAPI {want!r}")

def check_entryid(name, m, c):
    """m: MFCMAPI 'Entry ID' node; c: cpuu's object."""
    flags = val(m, "abFlags")
    if flags is not None:
        eq(name, "abFlags", c.get("flags"), num(flags))
    prov = val(m, "Provider GUID")
    if prov is not None:
        eq(name, "provider UID", c.get("provider_uid"), guid_bytes(prov))
    store = find(m, "MAPI Message Store Entry ID")
    ab = find(m, "Exchange Address Entry ID")
    oo = find(m, "MAPI One Off Recipient Entry ID")
    ct = find(m, "Contact Address Book / PDL Entry ID")
    if store is not None and (val(store, "DLLFileName") or "").upper() == "EMSMDB.DLL":
        eq(name, "kind", c["kind"], "store")
        eq(name, "DLL", c.get("dll"), "EMSMDB.DLL")
        eq(name, "wrapped provider", c.get("wrapped_provider_uid"), guid_bytes(val(store, "WrappedProviderUID")))
        eq(name, "wrapped type", c.get("wrapped_type"), num(val(store, "WrappedType")))
        eq(name, "wrapped flags", 0, num(val(store, "Wrapped Flags")))
        eq(name, "server", c.get("server"), val(store, "ServerShortname"))
        eq(name, "mailbox DN", c.get("mailbox_dn"), val(store, "MailboxDN"))
        v2, v3 = find(store, "MAPI Message Store Entry ID V2"), find(store, "MAPI Message Store Entry ID V3")
        if v2 is not None:
            eq(name, "V2 DN", c.get("v2", {}).get("dn"), val(v2, "DN"))
            eq(name, "V2 FQDN", c.get("v2", {}).get("fqdn"), val(v2, "FQDN"))
        else:
            eq(name, "no V2", c.get("v2"), None)
        if v3 is not None:
            eq(name, "V3 SMTP", c.get("v3", {}).get("smtp"), val(v3, "SmtpAddress"))
        else:
            eq(name, "no V3", c.get("v3"), None)
    elif store is not None:
        eq(name, "kind", c["kind"], "store")
        eq(name, "DLL", c.get("dll"), val(store, "DLLFileName"))
    elif ab is not None:
        eq(name, "kind", c["kind"], "ab")
        eq(name, "version", c.get("version"), num(val(ab, "Version")))
        eq(name, "display type", c.get("display_type"), num(val(ab, "Type")))
        eq(name, "X500 DN", c.get("x500_dn"), val(ab, "X500DN"))
    elif oo is not None:
        eq(name, "kind", c["kind"], "oneoff")
        eq(name, "bitmask", c.get("bitmask"), num(val(oo, "dwBitmask")))
        eq(name, "display name", c.get("display_name"), val(oo, "szDisplayName"))
        eq(name, "address type", c.get("address_type"), val(oo, "szAddressType"))
        eq(name, "address", c.get("address"), val(oo, "szEmailAddress"))
    elif ct is not None:
        eq(name, "kind", c["kind"], "contab")
        eq(name, "version", c.get("version"), num(val(ct, "Version")))
        eq(name, "type", c.get("type"), num(val(ct, "Type")))
        if val(ct, "Index") is not None:
            eq(name, "index", c.get("index"), num(val(ct, "Index")))
        if val(ct, "muidID") is not None:
            eq(name, "container UID", c.get("container_uid"), guid_bytes(val(ct, "muidID")))
        inner = find(ct, "Entry ID")
        if inner is not None:
            check_entryid(name + " (inner)", inner, c.get("entryid", {}))
        rest = find(m, "Unparsed data size")
        if rest is not None:
            # MFCMAPI stops inside an inner entry ID it cannot read (a
            # container's folder ID of an unknown provider) and shows the
            # rest as unparsed; cpuu gives a container's inner ID all the
            # remaining bytes, a user's its counted bytes and the rest as
            # trailing: the same bytes either way.
            want = re.search(r"lpb: ([0-9A-F]*)", rest["kids"][0]["key"] + " " + (rest["kids"][0]["value"] or "")).group(1).lower()
            inner_c = c.get("entryid", {})
            got = c.get("trailing") or inner_c.get("bytes", "")[-len(want):]
            eq(name, "bytes after what MFCMAPI parsed", got, want)
    else:
        # Folder, message, WAB, ephemeral, PST and unknown providers: cpuu
        # does not interpret them (it never rewrites them) and shows bytes.
        eq(name, "kind", c["kind"], "unknown")
        parts = [k["key"] for k in m["kids"] if not re.match(r"abFlags|Provider GUID|Unparsed", k["key"])]
        what = parts[0] if parts else "provider " + (val(m, "Provider GUID") or "?")
        return "shown as bytes, not interpreted (cpuu never reads nor rewrites it): " + what
    return None

def value_of(prop):
    ps = val(prop, "PropString")
    return ps

def check_prop(name, m, c):
    tag = int(val(m, "PropTag").split()[0], 16)
    eq(name, "tag", int(c["tag"], 16), tag)
    ps = val(m, "PropString")
    t = tag & 0xFFFF
    if t in (0x1F, 0x1E):
        eq(name, "string", c.get("value"), ps)
    elif t in (0x03, 0x02):
        eq(name, "integer", c.get("value"), int(ps))
    elif t == 0x0B:
        eq(name, "boolean", c.get("value"), ps == "True")
    elif t == 0x0A:
        eq(name, "error", c.get("value"), int(re.search(r"0x([0-9A-F]{8})", ps).group(1), 16))
    elif t == 0x40:
        alt = val(m, "AltPropString")
        lo, hi = re.findall(r"0x([0-9A-F]{8})", alt)
        eq(name, "FILETIME", c.get("value"), int(hi, 16) << 32 | int(lo, 16))
    elif t == 0x102:
        eq(name, "binary", c.get("value"), re.search(r"lpb: ([0-9A-F]*)", ps).group(1).lower())
    elif t == 0x1102:
        want = [x.lower() for x in re.findall(r"lpb: ([0-9A-F]*)", ps)]
        eq(name, "binaries", [v["value"] for v in c.get("values", [])], want)
    sv = find(m, "Smart View")
    if sv is not None and find(sv, "Entry ID") is not None and "entryid" in c:
        check_entryid(name + " entry ID", find(sv, "Entry ID"), c["entryid"])
    if sv is not None and t == 0x1102:
        rows = [find(r, "Entry ID") for r in sv["kids"] if r["key"].startswith("Row")]
        for i, r in enumerate(rows):
            if r is not None:
                check_entryid(f"{name} value {i}", r, c["values"][i].get("entryid", {}))

def check(name, kind, m, c):
    if kind == "ENTRYID":
        return check_entryid(name, find(m, "Entry ID"), c)
    if kind == "FLATENTRYLIST":
        fl = find(m, "Flat Entry List")
        eq(name, "count", len(c), int(val(fl, "cEntries")))
        for i, e in enumerate(k for k in fl["kids"] if k["key"].startswith("Entry[")):
            check_entryid(f"{name} entry {i}", find(e, "Entry ID"), c[i])
        return None
    if kind == "NICKNAMECACHE":
        nc = find(m, "Nickname Cache")
        eq(name, "major", c["major"], int(val(nc, "Major Version")))
        eq(name, "minor", c["minor"], int(val(nc, "Minor Version")))
        eq(name, "row count", c["row_count"], int(val(nc, "Row Count")))
        rows = [k for k in nc["kids"] if re.match(r"Row \d+$", k["key"])]
        for r, row in enumerate(rows):
            props = [k for k in row["kids"] if k["key"].startswith("Property[")]
            eq(name, f"row {r} property count", len(c["rows"][r]), num(val(row, "cValues")))
            for i, p in enumerate(props):
                check_prop(f"{name} row {r} property {i}", p, c["rows"][r][i])
        md = find(nc, "Metadata 2")
        if md is not None:
            eq(name, "metadata 2 (FILETIME)", c["filetime"],
               re.search(r"lpb: ([0-9A-F]*)", md["kids"][0]["key"] + " " + (md["kids"][0]["value"] or "")).group(1).lower())
        return None
    if kind == "PROPERTIES":
        props = [k for k in m["kids"] if k["key"].startswith("Property[")]
        eq(name, "property count", len(c), len(props))
        for i, p in enumerate(props):
            check_prop(f"{name} property {i}", p, c[i])
        return None

names = sorted(f[:-4] for f in os.listdir(os.path.join(vdir, "in")) if f.endswith(".hex"))
counts = {"agree": 0, "refused": 0, "listed": 0}
for name in names:
    kind = name.rsplit("-", 1)[0]
    out = os.path.join(vdir, "out", name + ".txt")
    if kind in NOT_A_CPUU_KIND:
        listed.append(f"{name}: not decoded: {NOT_A_CPUU_KIND[kind]}")
        counts["listed"] += 1
        continue
    if kind not in KINDS:
        errors.append(f"{name}: a kind this test does not know: add it")
        continue
    m = tree(read_out(out))
    p = subprocess.run([cpuu, "decode", KINDS[kind], os.path.join(vdir, "in", name + ".hex"), "--json"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        why = p.stderr.strip()
        if name in REFUSED_BY_DESIGN:
            listed.append(f"{name}: refused by design ({why}): {REFUSED_BY_DESIGN[name]}")
        elif unparsed(m):
            listed.append(f"{name}: refused ({why}); MFCMAPI could not parse it whole either")
        else:
            errors.append(f"{name}: cpuu refuses ({why}) what MFCMAPI parses whole")
        if p.returncode not in (7, 8):
            errors.append(f"{name}: refusal exit {p.returncode}, want 7 (invalid) or 8 (unsupported)")
        counts["refused"] += 1
        continue
    if name in REFUSED_BY_DESIGN:
        errors.append(f"{name}: listed as refused but cpuu decodes it: update the list")
    c = json.loads(p.stdout)
    before = len(errors)
    note = check(name, kind, m, c)
    if note:
        listed.append(f"{name}: {note}")
        counts["listed"] += 1
    elif len(errors) == before:
        counts["agree"] += 1
    # A value MFCMAPI could not parse whole that cpuu accepts must at least
    # show the same fields (checked above); say so.
    if unparsed(m) and not note:
        listed.append(f"{name}: MFCMAPI leaves bytes unparsed; cpuu shows them (trailing/bytes)")

print(f"{len(names)} vectors: {counts['agree']} agree field by field ({checked} fields compared), "
      f"{counts['refused']} refused, {counts['listed']} not interpreted")
for l in listed:
    print("  " + l)
for e in errors:
    print("FAIL: " + e)
sys.exit(1 if errors else 0)
