#!/bin/bash
# cpuu inspect against fixture hives (tests/data/fixtures/*.fixture, built by
# cpuu-fixture into blank hives and into copies of the real hives), and its
# refusals: missing file, not a hive, truncated, dirty, dangling link, bad
# command line. Each refusal: its own exit code, one line on stderr, nothing
# on stdout, the file unchanged.
set -u

skip() { echo "SKIP: $*"; exit 77; }
[ -n "${CPUU:-}" ] && [ -x "$CPUU" ] || skip "CPUU (the cpuu CLI) is not built"
[ -n "${CPUU_FIXTURE:-}" ] && [ -x "$CPUU_FIXTURE" ] || skip "CPUU_FIXTURE (cpuu-fixture) is not built"
command -v python3 >/dev/null || skip "python3 missing"
SRC=${CPUU_SOURCE_DIR:?}
SHARED=${CPUU_SHARED_DIR:-$SRC/../shared}

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-inspect-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Compares inspect's JSON with the facts a fixture description declares (the
# documented defaults of docs/fixtures.md are applied for omitted keys).
check_json() { # desc json label
	python3 - "$1" "$2" "$3" <<'PY'
import json, re, sys
desc, out, label = sys.argv[1:4]
roots = {"16.0": r"Software\Microsoft\Office\16.0\Outlook\Profiles",
         "15.0": r"Software\Microsoft\Office\15.0\Outlook\Profiles",
         "wms": r"Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles"}
profiles, cur, acct = [], None, None
for raw in open(desc, encoding="utf-8-sig"):
    line = raw.strip()
    if not line or line[0] in ";#":
        continue
    line = re.sub(r"[ \t][;#].*$", "", line).strip()
    m = re.match(r"^\[(.*)\]$", line)
    if m:
        name = m.group(1).strip()
        if name.startswith("profile"):
            cur = {"name": name[7:].strip(), "version": "16.0", "default": False, "accounts": []}
            profiles.append(cur)
        else:
            acct = {"kind": name, "additional": []}
            cur["accounts"].append(acct)
            cur["_in"] = "account"
        if name.startswith("profile"):
            cur["_in"] = "profile"
        continue
    k, v = [s.strip() for s in line.split("=", 1)]
    k = k.lower()
    if cur["_in"] == "profile":
        if k == "version": cur["version"] = "wms" if v.lower() == "wms" else v
        elif k == "default": cur["default"] = v.lower() in ("yes", "true", "1")
    elif k == "additional":
        dn, _, dname = v.partition("|")
        dn = dn.strip()
        acct["additional"].append((dn, dname.strip() if _ else re.split(r"/cn=", dn, flags=re.I)[-1]))
    else:
        acct[k] = v

doc = json.load(open(out))
errors = []
def eq(what, got, want):
    if got != want:
        errors.append(f"{label}: {what}: got {got!r}, want {want!r}")

found = {(p["outlook_version"], p["name"]): p for p in doc["profiles"]}
for p in profiles:
    got = found.get((p["version"], p["name"]))
    if got is None:
        errors.append(f"{label}: profile {p['name']} ({p['version']}) not reported")
        continue
    eq(f"{p['name']} path", got["path"], roots[p["version"]] + "\\" + p["name"])
    eq(f"{p['name']} default", got["default"], p["default"])
    # Account-manager accounts in description order, then PST services.
    want = [a for a in p["accounts"] if a["kind"] != "pst"] + [a for a in p["accounts"] if a["kind"] == "pst"]
    eq(f"{p['name']} account kinds", [a["kind"] for a in got["accounts"]], [a["kind"] for a in want])
    for i, (a, g) in enumerate(zip(want, got["accounts"])):
        w = f"{p['name']} account {i + 1} ({a['kind']})"
        for key in ["kind", "service_uid", "display_name", "smtp", "legacy_dn", "home_server", "server_dn",
                    "mailbox_guid", "ost_path", "cached", "additional_mailboxes"]:
            if key not in g:
                errors.append(f"{label}: {w}: key {key} missing")
        if list(g.keys()) != ["kind", "service_uid", "display_name", "smtp", "legacy_dn", "home_server",
                              "server_dn", "mailbox_guid", "ost_path", "cached", "additional_mailboxes"]:
            errors.append(f"{label}: {w}: key order {list(g.keys())}")
        if a["kind"] == "exchange":
            guid = a["mailbox_guid"].lower()
            domain = a.get("domain", a["smtp"].split("@", 1)[1])
            home = f"{guid}@{domain}"
            cached = a.get("cached", "yes").lower() in ("yes", "true", "1")
            eq(f"{w} display_name", g["display_name"], a["display_name"])
            eq(f"{w} smtp", g["smtp"], a["smtp"])
            eq(f"{w} legacy_dn", g["legacy_dn"], a["legacy_dn"])
            eq(f"{w} mailbox_guid", g["mailbox_guid"], guid)
            eq(f"{w} home_server", g["home_server"], home)
            if "server_dn" in a:
                eq(f"{w} server_dn", g["server_dn"], a["server_dn"])
            else:
                cut = re.search(r"/cn=Recipients", a["legacy_dn"], re.I).start()
                eq(f"{w} server_dn", g["server_dn"], a["legacy_dn"][:cut] + "/cn=Configuration/cn=Servers/cn=" + home)
            eq(f"{w} cached", g["cached"], cached)
            if "ost" in a:
                eq(f"{w} ost_path", g["ost_path"], a["ost"])
            elif cached:
                local = a["smtp"].split("@", 1)[0]
                eq(f"{w} ost_path", g["ost_path"],
                   f"C:\\Users\\{local}\\AppData\\Local\\Microsoft\\Outlook\\{a['smtp']}.ost")
            if not re.fullmatch(r"[0-9a-f]{32}", g["service_uid"] or ""):
                errors.append(f"{label}: {w}: service_uid {g['service_uid']!r}")
            eq(f"{w} additional", [(m["mailbox_dn"], m["display_name"]) for m in g["additional_mailboxes"]],
               a["additional"])
        elif a["kind"] == "pst":
            eq(f"{w} display_name", g["display_name"], a.get("display_name", "Outlook Data File"))
            eq(f"{w} ost_path", g["ost_path"], a["path"])
            eq(f"{w} cached", g["cached"], None)
            eq(f"{w} smtp", g["smtp"], None)
        else:
            eq(f"{w} display_name", g["display_name"], a.get("display_name", a["email"]))
            eq(f"{w} smtp", g["smtp"], a["email"])
            eq(f"{w} legacy_dn", g["legacy_dn"], None)
            eq(f"{w} cached", g["cached"], None)
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY
}

# Exactly one line on stderr starting "cpuu: ", nothing on stdout, the
# expected code, and the file byte-identical afterwards.
expect_refusal() { # want_code label file args...
	local want=$1 label=$2 file=$3
	shift 3
	local before="" after=""
	[ -e "$file" ] && before=$(sha256sum <"$file")
	"$CPUU" "$@" >"$work/out" 2>"$work/err"
	local code=$?
	[ -e "$file" ] && after=$(sha256sum <"$file")
	[ "$code" = "$want" ] || fail "$label: exit $code, want $want ($(head -c 300 "$work/err"))"
	[ "$(wc -l <"$work/err")" = 1 ] || fail "$label: stderr has $(wc -l <"$work/err") lines"
	grep -q '^cpuu: ' "$work/err" || fail "$label: stderr does not start with 'cpuu: '"
	[ -s "$work/out" ] && fail "$label: something on stdout"
	[ "$before" = "$after" ] || fail "$label: $file changed"
	echo "ok: $label -> $code: $(cat "$work/err")"
}

inspect_ok() { # hive label -> $work/out.json
	local before after
	before=$(sha256sum <"$1")
	if ! "$CPUU" inspect --hive "$1" --json >"$work/out.json" 2>"$work/err"; then
		fail "$2: inspect failed: $(cat "$work/err")"
		return 1
	fi
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out.json" || { fail "$2: not JSON"; return 1; }
	"$CPUU" inspect --hive "$1" >"$work/out.txt" 2>"$work/err" || fail "$2: text form failed"
	after=$(sha256sum <"$1")
	[ "$before" = "$after" ] || fail "$2: inspect changed the hive"
	return 0
}

# --- fixture files, blank and real bases ------------------------------------
real=()
for r in "$SHARED"/real-hives/*.DAT; do [ -f "$r" ] && real+=("$r"); done
declare -A real_sums
for r in "${real[@]}"; do real_sums[$r]=$(sha256sum <"$r"); done

nfix=0
for desc in "$SRC"/tests/data/fixtures/*.fixture; do
	[ -f "$desc" ] || continue
	nfix=$((nfix + 1))
	name=$(basename "$desc" .fixture)
	out="$work/$name-blank.DAT"
	if ! "$CPUU_FIXTURE" --hive "$out" "$desc" 2>"$work/err"; then
		fail "$name: cpuu-fixture failed: $(cat "$work/err")"
		continue
	fi
	inspect_ok "$out" "$name (blank)" && { check_json "$desc" "$work/out.json" "$name (blank)" || fail "$name (blank): facts differ"; }
	for r in "${real[@]}"; do
		out="$work/$name-on-$(basename "$r")"
		if ! "$CPUU_FIXTURE" --hive "$out" --base "$r" "$desc" 2>"$work/err"; then
			fail "$name on $(basename "$r"): cpuu-fixture failed: $(cat "$work/err")"
			continue
		fi
		inspect_ok "$out" "$name on $(basename "$r")" &&
			{ check_json "$desc" "$work/out.json" "$name on $(basename "$r")" || fail "$name on $(basename "$r"): facts differ"; }
	done
done
echo "checked $nfix fixture description(s) on a blank hive and ${#real[@]} real base(s)"

# The real hives as they are: win7pro and win81 hold no Outlook profile; the
# plaso hive holds the Outlook 2010 profile a real Outlook wrote
# (shared/real-hives/README.md). inspect must read it exactly: every fact is
# compared with an independent reading of the raw values (hivexregedit's
# export parsed here), and with the facts the README documents.
check_plaso() { # export.reg json
	python3 - "$1" "$2" <<'PY'
import json, re, sys
reg, out = sys.argv[1:3]
keys, cur = {}, None
text = open(reg, encoding="utf-8", errors="replace").read().replace("\\\n", "")
for line in text.splitlines():
    m = re.match(r"^\[\\(.*)\]$", line)
    if m:
        cur = keys.setdefault(m.group(1), {})
        continue
    m = re.match(r'^"(.*)"=(?:hex\((\w+)\):([0-9a-f,]*)|dword:([0-9a-f]{8}))$', line)
    if m and cur is not None:
        if m.group(4):
            cur[m.group(1)] = int(m.group(4), 16).to_bytes(4, "little")
        else:
            cur[m.group(1)] = bytes.fromhex(m.group(3).replace(",", ""))
def u16(b): return b.decode("utf-16-le").rstrip("\0")
root = [k for k in keys if re.fullmatch(r"(?i)software\\microsoft\\windows nt\\currentversion\\windows messaging subsystem\\profiles", k)]
errors = []
def eq(what, got, want):
    if got != want:
        errors.append(f"plaso: {what}: got {got!r}, want {want!r}")
if len(root) != 1:
    print("plaso: no WMS Profiles key in the export"); sys.exit(1)
root = root[0]
names = sorted({k[len(root) + 1:].split("\\")[0] for k in keys if k.startswith(root + "\\")}, key=str.lower)
default = u16(keys[root]["DefaultProfile"])
doc = json.load(open(out))
eq("profile names", [p["name"] for p in doc["profiles"]], names)
eq("README: one profile", len(names), 1)
for p in doc["profiles"]:
    base = root + "\\" + p["name"]
    # The path exactly as the hive spells every key on the way.
    eq("path", p["path"], base)
    eq("default", p["default"], p["name"].lower() == default.lower())
    eq("version", p["outlook_version"], "wms")
    mgr = keys[base + "\\9375CFF0413111d3B88A00104B2A6676"]
    accts = {k.rsplit("\\", 1)[1]: v for k, v in keys.items() if k.startswith(base + "\\9375CFF0413111d3B88A00104B2A6676\\")}
    order = mgr["{ED475418-B0D6-11D2-8C3B-00104B2A6676}"]
    mail = ["%08x" % int.from_bytes(order[i:i + 4], "little") for i in range(0, len(order), 4)]
    rest = [k for k in sorted(accts) if k not in mail]
    want = []
    for aid in mail + rest:
        a = accts[aid]
        clsid = u16(a["clsid"]).upper()
        svc = a.get("Service UID")
        if clsid == "{ED475411-B0D6-11D2-8C3B-00104B2A6676}":
            want.append({"kind": "pop", "service_uid": None, "display_name": u16(a["Display Name"]),
                         "smtp": u16(a["Email"]), "ost_path": None})
            continue
        sec = keys[base + "\\" + svc.hex()]
        service = u16(sec["001f3d09"])
        if service in ("MSPST MS", "MSUPST MS"):
            store = [k for k, v in keys.items() if k.startswith(base + "\\") and v.get("01023d0c") == svc and "001f6700" in v]
            eq("one PST store section", len(store), 1)
            st = keys[store[0]]
            want.append({"kind": "pst", "service_uid": svc.hex(), "display_name": u16(st["001f3001"]),
                         "smtp": None, "ost_path": u16(st["001f6700"])})
        else:
            want.append({"kind": "other", "service_uid": svc.hex(), "display_name": u16(sec["001f3001"]),
                         "smtp": None, "ost_path": None})
    got = [{k: a[k] for k in ("kind", "service_uid", "display_name", "smtp", "ost_path")} for a in p["accounts"]]
    eq("accounts", got, want)
    for a in p["accounts"]:
        for k in ("legacy_dn", "home_server", "server_dn", "mailbox_guid", "cached"):
            eq(f"{a['display_name']} {k}", a[k], None)
        eq(f"{a['display_name']} additional", a["additional_mailboxes"], [])
    # What the README documents, independently of the reading above.
    eq("README: kinds", sorted(a["kind"] for a in p["accounts"]), ["other", "other", "pop", "pst"])
    eq("README: address books", sorted(a["display_name"] for a in p["accounts"] if a["kind"] == "other"),
       ["Mobile Address Book", "Outlook Address Book"])
    pst = [a["ost_path"] for a in p["accounts"] if a["kind"] == "pst"]
    eq("README: a Unicode PST", [x.lower().endswith(".pst") for x in pst], [True])
    eq("README: no Exchange account", [a for a in p["accounts"] if a["kind"] == "exchange"], [])
for e in errors:
    print(e)
print(f"plaso: {sum(len(p['accounts']) for p in doc['profiles'])} account(s) agree with the raw values")
sys.exit(1 if errors else 0)
PY
}

for r in "${real[@]}"; do
	cp "$r" "$work/plain.DAT" && chmod u+w "$work/plain.DAT"
	inspect_ok "$work/plain.DAT" "$(basename "$r") as is" || continue
	case $(basename "$r") in
	plaso-*)
		if ! command -v hivexregedit >/dev/null; then
			fail "hivexregedit missing: cannot check the plaso profile independently"
			continue
		fi
		hivexregedit --export "$work/plain.DAT" '\' >"$work/plain.reg" 2>/dev/null ||
			{ fail "plaso: hivexregedit --export failed"; continue; }
		check_plaso "$work/plain.reg" "$work/out.json" || fail "plaso: inspect differs from the hive"
		grep -q 'pst path: .*\.pst$' "$work/out.txt" || fail "plaso: text form lacks the PST path"
		;;
	*)
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d.get("profiles") != [])' "$work/out.json" ||
			fail "$(basename "$r"): profiles reported in a hive without any"
		;;
	esac
done

# Update and rollback on the real Outlook 2010 profile: it has no Exchange
# account, so nothing may change, not one byte, whatever the mapping says.
for r in "${real[@]}"; do
	case $(basename "$r") in plaso-*) ;; *) continue ;; esac
	mkdir -p "$work/plaso"
	cp "$r" "$work/plaso/NTUSER.DAT" && chmod u+w "$work/plaso/NTUSER.DAT"
	printf '%s\n%s\n' "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched" \
		"/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=nfury,nfury@stark-research-labs.com,11111111-2222-4333-8444-555555555555,,/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=nfury,nfury@target.example,aaaaaaaa-2222-4333-8444-555555555555,Nick Fury,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true" \
		>"$work/plaso-map.csv"
	want=$(sha256sum <"$r")
	for mode in update rollback; do
		"$CPUU" "$mode" --mapping "$work/plaso-map.csv" --hive "$work/plaso/NTUSER.DAT" --json >"$work/plaso-$mode.json" 2>"$work/err"
		code=$?
		[ "$code" -le 2 ] || fail "plaso $mode: exit $code ($(head -c 300 "$work/err"))"
		[ "$(sha256sum <"$work/plaso/NTUSER.DAT")" = "$want" ] || fail "plaso $mode: the hive changed"
		grep -q '"outcome":"\(switched\|rolled_back\)"' "$work/plaso-$mode.json" && fail "plaso $mode: claims a change"
		echo "ok: plaso $mode -> $code, hive byte-identical"
	done
	ls "$work/plaso" | grep -v '^NTUSER.DAT$' | grep -q . && fail "plaso: files left next to the hive: $(ls "$work/plaso")"
done

# A hive that spells the key SOFTWARE (as some real hives do): inspect gives
# the path as stored, not the spelling cpuu looks it up with.
if command -v hivexsh >/dev/null && [ -f "$SRC/tests/data/fixtures/mixed.fixture" ]; then
	cp "$SHARED/real-hives/win7pro-NTUSER.DAT" "$work/upper-base.DAT" 2>/dev/null && chmod u+w "$work/upper-base.DAT" &&
		printf 'cd Software\ndel\ncommit\n' | hivexsh -w "$work/upper-base.DAT" >/dev/null 2>&1 &&
		printf 'add SOFTWARE\ncommit\n' | hivexsh -w "$work/upper-base.DAT" >/dev/null 2>&1
	if [ -f "$work/upper-base.DAT" ] && "$CPUU_FIXTURE" --hive "$work/upper.DAT" --base "$work/upper-base.DAT" \
		"$SRC/tests/data/fixtures/mixed.fixture" 2>"$work/err"; then
		inspect_ok "$work/upper.DAT" "SOFTWARE spelling" &&
			python3 - "$work/out.json" <<'PY' || fail "SOFTWARE spelling: paths not as stored"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [p["path"] for p in d["profiles"] if not p["path"].startswith("SOFTWARE\\")]
print("paths:", [p["path"] for p in d["profiles"]])
sys.exit(1 if bad or not d["profiles"] else 0)
PY
	else
		fail "SOFTWARE spelling: could not build the hive: $(cat "$work/err" 2>/dev/null)"
	fi
fi

# --- bad input -------------------------------------------------------------
# A small profile of our own (this test's own description, not a shared fixture).
cat >"$work/own.fixture" <<'FIX'
[profile Outlook]
version = 16.0
default = yes
[exchange]
display_name = Jane Roe
smtp = jane.roe@contoso.com
legacy_dn = /o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=jane.roe
mailbox_guid = 1b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d
cached = no
additional = /o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=sales | Sales
[pst]
path = D:\Archive\old.pst
FIX
good="$work/good.DAT"
if ! "$CPUU_FIXTURE" --hive "$good" "$work/own.fixture" 2>"$work/err"; then
	fail "own fixture: $(cat "$work/err")"
else
	inspect_ok "$good" "own fixture" && { check_json "$work/own.fixture" "$work/out.json" "own fixture" || fail "own fixture: facts differ"; }
fi

# Inspecting never needs write access: a read-only file in a read-only folder.
if [ -f "$good" ]; then
	mkdir "$work/ro" && cp "$good" "$work/ro/ro.DAT" && chmod 0444 "$work/ro/ro.DAT" && chmod 0555 "$work/ro"
	inspect_ok "$work/ro/ro.DAT" "read-only hive" && { check_json "$work/own.fixture" "$work/out.json" "read-only hive" || fail "read-only hive: facts differ"; }
	[ -z "$(ls -A "$work/ro" | grep -v '^ro.DAT$')" ] || fail "read-only hive: files appeared next to it"
	chmod 0755 "$work/ro"
fi

expect_refusal 2 "no --hive" "$good" inspect --json
expect_refusal 2 "unknown option" "$good" inspect --hive "$good" --bogus
expect_refusal 3 "missing file" "$work/nope.DAT" inspect --hive "$work/nope.DAT" --json

head -c 20000 /dev/urandom >"$work/random.DAT"
printf 'Windows Registry Editor Version 5.00\r\n' >"$work/text.DAT"
expect_refusal 5 "not a hive (random)" "$work/random.DAT" inspect --hive "$work/random.DAT" --json
expect_refusal 5 "not a hive (.reg text)" "$work/text.DAT" inspect --hive "$work/text.DAT"

if [ -f "$good" ]; then
	size=$(stat -c %s "$good")
	head -c $((size / 2)) "$good" >"$work/truncated.DAT"
	expect_refusal 5 "truncated hive" "$work/truncated.DAT" inspect --hive "$work/truncated.DAT" --json
	head -c 4096 "$good" >"$work/header-only.DAT"
	expect_refusal 5 "header-only hive" "$work/header-only.DAT" inspect --hive "$work/header-only.DAT" --json

	# Dirty: sequence numbers differ, header checksum recomputed so that
	# only the sequence mismatch is wrong.
	cp "$good" "$work/dirty.DAT"
	python3 - "$work/dirty.DAT" <<'PY'
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
s1, s2 = struct.unpack_from("<II", b, 4)
struct.pack_into("<I", b, 8, s1 + 1)
x = 0
for i in range(0, 0x1FC, 4):
    x ^= struct.unpack_from("<I", b, i)[0]
struct.pack_into("<I", b, 0x1FC, x)
open(p, "wb").write(b)
PY
	expect_refusal 4 "dirty hive" "$work/dirty.DAT" inspect --hive "$work/dirty.DAT" --json

	# Dangling link: remove the EMSMDB section that the service's 01023d15 names.
	if command -v hivexsh >/dev/null; then
		prof='Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook'
		cp "$good" "$work/dangling.DAT"
		# The EMSMDB section: the UID in a service section's 01023d15.
		ems=$(printf 'cd %s\nls\n' "$prof" | hivexsh "$work/dangling.DAT" 2>/dev/null | while read -r k; do
			printf 'cd %s\\%s\nlsval\n' "$prof" "$k" | hivexsh "$work/dangling.DAT" 2>/dev/null |
				sed -n 's/^"01023d15"=hex(3):\([0-9a-f,]*\)$/\1/p' | tr -d ,
		done | head -1)
		if [ -n "$ems" ]; then
			printf 'cd %s\\%s\ndel\ncommit\n' "$prof" "$ems" | hivexsh -w "$work/dangling.DAT" >/dev/null 2>&1
			expect_refusal 7 "dangling 01023d15 link" "$work/dangling.DAT" inspect --hive "$work/dangling.DAT" --json
			grep -q "$ems" "$work/err" && grep -q "01023d15" "$work/err" && grep -q "'Outlook'" "$work/err" ||
				fail "dangling link: message does not name profile, value and missing section"
			# hivexsh setval replaces all values of the key: the section keeps only the bad one.
			cp "$good" "$work/wrongtype.DAT"
			printf 'cd %s\\%s\nsetval 1\n001f6641\nstring:jane.roe@contoso.com\ncommit\n' "$prof" "$ems" |
				hivexsh -w "$work/wrongtype.DAT" >/dev/null 2>&1
			expect_refusal 7 "PT_UNICODE value as REG_SZ" "$work/wrongtype.DAT" inspect --hive "$work/wrongtype.DAT"
			grep -q "$ems.*001f6641" "$work/err" || fail "wrong type: message does not name section and value"
			cp "$good" "$work/odd.DAT"
			printf 'cd %s\\%s\nsetval 1\n001f6603\nhex:3:2f,00,6f\ncommit\n' "$prof" "$ems" |
				hivexsh -w "$work/odd.DAT" >/dev/null 2>&1
			expect_refusal 7 "odd-length UTF-16" "$work/odd.DAT" inspect --hive "$work/odd.DAT" --json
			grep -q "$ems.*001f6603" "$work/err" || fail "odd UTF-16: message does not name section and value"
		else
			fail "dangling link: could not find the EMSMDB section in the own fixture"
		fi
	fi
fi

for r in "${real[@]}"; do
	[ "${real_sums[$r]}" = "$(sha256sum <"$r")" ] || fail "$r changed!"
done

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "inspect: all checks passed"
