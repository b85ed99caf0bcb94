#!/usr/bin/env bash
# Issue 16 item 5 at the command line: account passwords (IMAP/POP3/SMTP
# Password values under the account manager) and a DPAPI blob under an
# unremarkable name, planted in a fixture hive (hivexregedit --merge), appear
# in no file cpuu writes — backups, the log, the JSON results, the output, the
# .reg temp a killed run leaves — plainly, in UTF-16LE or as .reg hex; and
# Rollback is still byte-exact (the secrets are taken from the hive itself).
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
command -v hivexregedit >/dev/null || { echo "no hivexregedit: skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-secrets-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir -p "$work/users/frank"
hive="$work/users/frank/NTUSER.DAT"
"$CPUU_FIXTURE" --hive "$hive" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
# hex of a text, .reg style ("70,6f,...")
hexof() { printf '%s' "$1" | od -An -tx1 | tr -s ' \n' ',' | sed 's/^,//; s/,$//'; }
dpapi="01,00,00,00,d0,8c,9d,df,01,15,d1,11,8c,7a,00,c0,4f,c2,97,eb"
secrets=(imap-secret-K3q smtp-secret-P8v pop3-secret-Z2m dpapi-secret-W5r)
acct='\Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook\9375CFF0413111d3B88A00104B2A6676\00000002'
section='\Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook\13dbb0c8aa05101a9bb000aa002fc45a'
cat >"$work/plant.reg" <<REG
Windows Registry Editor Version 5.00

[$acct]
"IMAP Password"=hex:02,$dpapi,$(hexof "${secrets[0]}")
"SMTP Password"=hex:$(hexof "${secrets[1]}")
"POP3 Password"=hex:02,$dpapi,$(hexof "${secrets[2]}")

[$section]
"01020fff"=hex:$dpapi,$(hexof "${secrets[3]}")
REG
hivexregedit --merge "$hive" "$work/plant.reg" || fail "could not plant the secrets"
export_hive() { hivexregedit --export "$1" '\' 2>/dev/null; }
export_hive "$hive" >"$work/before.reg"
for s in "${secrets[@]}"; do
	grep -q "$(hexof "$s")" "$work/before.reg" || fail "secret $s not planted"
done
printf '[Mapping]\nFile = %s/examples/mapping.csv\n[General]\nLogFile = %s/cpuu.log\n' \
	"$CPUU_SOURCE_DIR" "$work" >"$work/cpuu.ini"

# Every file cpuu wrote (all but the hive and this script's own exports):
# each read raw, and as text (UTF-16LE when it has the BOM) with .reg line
# continuations joined; the secrets looked for plainly, in UTF-16LE and as
# .reg hex.
check_files() {
python3 - "$work" "$hive" "${secrets[@]}" <<'PY' || fail "$1: a secret in a file cpuu wrote"
import os, re, sys
work, hive, secrets = sys.argv[1], sys.argv[2], sys.argv[3:]
own = {hive} | {os.path.join(work, n) for n in ("before.reg", "after.reg", "plant.reg")}
bad = 0
for root, _, files in os.walk(work):
    for n in files:
        f = os.path.join(root, n)
        if f in own:
            continue
        raw = open(f, "rb").read()
        text = raw[2:].decode("utf-16-le", "replace") if raw[:2] == b"\xff\xfe" else raw.decode("latin-1")
        text = re.sub(r"\\\r?\n\s*", "", text).lower()
        for s in secrets:
            b = s.encode()
            hexs = ",".join("%02x" % c for c in b)
            if b in raw or s.encode("utf-16-le") in raw or s in text or hexs in text:
                print("FAIL: %s holds %s" % (f, s))
                bad += 1
sys.exit(1 if bad else 0)
PY
}

# A run killed after its backup is written, then a full one (log, JSON).
{ CPUU_FAULT=update:before-commit:kill "$CPUU" update --config "$work/cpuu.ini" --hive "$hive" \
	>"$work/killed.out" 2>&1; } 2>/dev/null
ls "$hive.cpuu"/backup-* >/dev/null 2>&1 || fail "the killed run left no backup to look into"
check_files "after the killed run"
"$CPUU" update --config "$work/cpuu.ini" --hive "$hive" --json >"$work/update.jsonl" 2>"$work/update.err"
rc=$?
[ $((rc & 1)) -eq 1 ] || fail "update: exit $rc: $(cat "$work/update.err")"
ls "$hive.cpuu"/backup-* >/dev/null 2>&1 || fail "no backup written"
"$CPUU" rollback --config "$work/cpuu.ini" --hive "$hive" >"$work/rollback.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "rollback: exit $rc: $(cat "$work/rollback.out")"
export_hive "$hive" >"$work/after.reg"
cmp -s "$work/before.reg" "$work/after.reg" || fail "rollback is not byte-exact: $(diff "$work/before.reg" "$work/after.reg" | head -5)"

check_files "after rollback"
[ -s "$work/cpuu.log" ] || fail "no log written"
if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "ok: no secret in any file cpuu wrote; rollback byte-exact"
