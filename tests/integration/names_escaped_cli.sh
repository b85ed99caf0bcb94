#!/usr/bin/env bash
# Names carrying ESC, a line break and U+202E (right-to-left override) in
# three outputs the rest of the escaping tests (hive_safety_cli.sh) do not
# reach (issue 16 item 8; the rules: include/cpuu/display.h):
#  - `cpuu report summary` text: a stored record's user, profile, account
#    and message shown escaped (\x1b, \x0a, \u202e), no raw control byte;
#  - the record a bulk run writes for a hive whose worker crashed: JSON with
#    the hive's exact path as JSON escapes, one line, no raw control byte;
#  - `cpuu decode` text: an entry ID's DN (8-bit: ESC, LF, SOH) shown escaped.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-names-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

. "$CPUU_SOURCE_DIR/tests/support/raw_free.sh"

# --- report summary ----------------------------------------------------------
# The hostile parts as JSON escapes in a stored record (what cpuu writes).
mkdir -p "$work/share"
printf '{"user":"mallory\\u001b[2J","hive":"/p/m/NTUSER.DAT","profile":"Out\\u001b[31mlook\\nforged line","account":"m@src.example\\u202etxt.exe","mode":"update","outcome":"error","changes":0,"message":"bad \\u001b]0;pwned\\u0007 name\\n\\u202eX","duration_ms":1}\n' \
	>"$work/share/m.jsonl"
(cd "$work" && "$CPUU" report ingest --quiet --from share --db "$work/r.db") >"$work/ingest.out" 2>&1 ||
	fail "ingest: $(cat -v "$work/ingest.out")"
"$CPUU" report summary --db "$work/r.db" >"$work/summary.txt" 2>&1 || fail "summary: $(cat -v "$work/summary.txt")"
hit=$(raw_free "$work/summary.txt") || fail "report summary: raw control characters: $(cat -v "$work/summary.txt")"
for shown in 'mallory\x1b[2J' 'Out\x1b[31mlook\x0aforged line' 'm@src.example\u202etxt.exe' 'bad \x1b]0;pwned\x07 name\x0a\u202eX'; do
	grep -qF "$shown" "$work/summary.txt" || fail "report summary does not show '$shown': $(cat -v "$work/summary.txt")"
done
grep -q '^forged line' "$work/summary.txt" && fail "report summary: a name forged a line"

# --- bulk crash record -------------------------------------------------------
AG="/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
printf '%s\n' "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched" \
	"/o=Source${AG}u0,u0@source.example,11111111-2222-4333-8444-000000000000,,/o=Target${AG}u0,u0@target.example,aaaaaaaa-2222-4333-8444-000000000000,User u0,onprem,aaaaaaaa-2222-4333-8444-000000000000@target.example,true" \
	>"$work/map.csv"
printf '[profile Outlook]\nversion = 16.0\ndefault = yes\n[exchange]\ndisplay_name = User u0\nsmtp = u0@source.example\nlegacy_dn = /o=Source%su0\nmailbox_guid = 11111111-2222-4333-8444-000000000000\ncached = yes\n' \
	"$AG" >"$work/u0.fixture"
user=$(printf 'crash\033[31m\nforged\342\200\256gpj.exe')
mkdir -p "$work/users/$user"
"$CPUU_FIXTURE" --hive "$work/users/$user/NTUSER.DAT" "$work/u0.fixture" >/dev/null || fail "fixture"
CPUU_FAULT=update:before-commit:kill CPUU_FAULT_SUBJECT=crash \
	"$CPUU" update --mapping "$work/map.csv" --users-dir "$work/users" --workers 1 --json \
	>"$work/bulk.jsonl" 2>"$work/bulk.err"
rc=$?
[ $((rc & 32)) -ne 0 ] || fail "bulk: exit $rc has no CRASH bit: $(cat -v "$work/bulk.err")"
hit=$(raw_free "$work/bulk.jsonl") || fail "bulk crash record: raw control characters: $(cat -v "$work/bulk.jsonl")"
python3 - "$work/bulk.jsonl" "$work/users/$user/NTUSER.DAT" <<'PY' || fail "bulk crash record: $(cat -v "$work/bulk.jsonl")"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
recs = [json.loads(l) for l in lines]
crash = [r for r in recs if "worker crashed" in (r["message"] or "")]
assert len(crash) == 1, recs
r = crash[0]
assert r["hive"] == sys.argv[2], (r["hive"], sys.argv[2])
assert r["outcome"] == "error" and r["mode"] == "update" and r["user"] is None, r
assert r["profile"] is None and r["account"] is None and r["changes"] == 0, r
PY
grep -qF '\u001b[31m\nforged\u202egpj.exe/NTUSER.DAT"' "$work/bulk.jsonl" ||
	fail "bulk crash record: the path not as JSON escapes: $(cat -v "$work/bulk.jsonl")"

# --- decode text -------------------------------------------------------------
# An address-book entry ID (MS-OXCDATA 2.2.5.2) whose DN holds ESC and a
# line break (an 8-bit string: no U+202E there; the C1 control CSI, 0x9B in
# ISO 8859-1, is a Windows-1252 letter, so not either).
dn=$(printf '/o=X/cn=Recipients/cn=e\033[2J\nforged\001Y')
hex="00000000dca740c8c042101ab4b908002b2fe1820100000000000000$(printf '%s' "$dn" | od -An -tx1 | tr -d ' \n')00"
printf '%s\n' "$hex" >"$work/ab.hex"
"$CPUU" decode entryid "$work/ab.hex" >"$work/ab.txt" 2>&1 || fail "decode: $(cat -v "$work/ab.txt")"
hit=$(raw_free "$work/ab.txt") || fail "decode text: raw control characters: $(cat -v "$work/ab.txt")"
grep -qF 'x500_dn = /o=X/cn=Recipients/cn=e\x1b[2J\x0aforged\x01Y' "$work/ab.txt" ||
	fail "decode text does not show the DN escaped: $(cat -v "$work/ab.txt")"

[ "$fails" -eq 0 ] || exit 1
echo "report summary text, the bulk crash record and decode text show hostile names escaped"
