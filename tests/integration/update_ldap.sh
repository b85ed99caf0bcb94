#!/usr/bin/env bash
# cpuu update against live LDAP (the test slapd) and with the exported mapping
# file must give the same profiles: the issue's "two ways, same answers",
# end to end through the engine. Then the directory failing mid-run: down,
# stalled after the bind (one timeout per run, every account an error,
# nothing changed), silent from the start.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || { echo "slapd not installed: skip"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-updldap-XXXXXX")
[ -n "${KEEP:-}" ] && work=$KEEP
cleanup() {
	bash "$CPUU_SOURCE_DIR/tests/support/slapd.sh" stop "$work/slapd"
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
bash "$CPUU_SOURCE_DIR/tests/support/slapd.sh" start "$work/slapd" $$ || { echo "FAIL: slapd did not start"; exit 1; }
. "$work/slapd/env"

. "$CPUU_SOURCE_DIR/tests/support/slapd-ini.sh"
ldap_ini "$work/live.ini" "$SLAPD_URL" "$SLAPD_LDAPS_URL" "" "CACertFile = $SLAPD_CA"
"$CPUU" map export --config "$work/live.ini" --out "$work/mapping.csv" >/dev/null || { echo "FAIL: export"; exit 1; }

# A profile with one switched and one not yet switched mailbox from the directory.
python3 - "$work/mapping.csv" "$work/user.fixture" "$work/expect" <<'PY' || { echo "FAIL: no sample users"; exit 1; }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
def pick(switched):
    for r in rows:
        if r["switched"].lower() == switched and r["target_legacy_dn"] and r["source_mailbox_guid"] and r["target_kind"] != "online":
            return r
    raise SystemExit("no row with switched=%s" % switched)
a, b = pick("true"), pick("false")
with open(sys.argv[2], "w") as f:
    f.write("[profile Outlook]\nversion = 16.0\ndefault = yes\n")
    for r, cached in ((a, "yes"), (b, "no")):
        f.write("[exchange]\ndisplay_name = %s\nsmtp = %s\nlegacy_dn = %s\nmailbox_guid = %s\ncached = %s\n"
                % (r["source_smtp"], r["source_smtp"], r["source_legacy_dn"], r["source_mailbox_guid"], cached))
open(sys.argv[3], "w").write("%s\n%s\n%s\n" % (a["source_smtp"], a["target_smtp"], b["source_smtp"]))
PY
read -r a_src a_trg b_src < <(tr '\n' ' ' <"$work/expect")

mkdir -p "$work/live/u" "$work/file/u"
"$CPUU_FIXTURE" --hive "$work/live/u/NTUSER.DAT" "$work/user.fixture" >/dev/null || { echo "FAIL: fixture"; exit 1; }
cp "$work/live/u/NTUSER.DAT" "$work/file/u/NTUSER.DAT"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$CPUU" update --config "$work/live.ini" --hive "$work/live/u/NTUSER.DAT" --json >"$work/live.jsonl"
rc=$?
[ "$rc" -eq 3 ] || fail "live update exit $rc, want 3 (SUCCESS|NO_SWITCH_MSG): $(cat "$work/live.jsonl")"
"$CPUU" update --mapping "$work/mapping.csv" --hive "$work/file/u/NTUSER.DAT" --json >"$work/file.jsonl"
rc=$?
[ "$rc" -eq 3 ] || fail "file update exit $rc, want 3: $(cat "$work/file.jsonl")"
grep -q "\"account\":\"$a_src\".*\"outcome\":\"switched\"" "$work/live.jsonl" || fail "live: $a_src not switched"
grep -q "\"account\":\"$b_src\".*\"outcome\":\"not_switched\"" "$work/live.jsonl" || fail "live: $b_src not reported not_switched"

"$CPUU" inspect --hive "$work/live/u/NTUSER.DAT" --json >"$work/live.json"
"$CPUU" inspect --hive "$work/file/u/NTUSER.DAT" --json >"$work/file.json"
cmp -s "$work/live.json" "$work/file.json" || fail "live and file updates differ: $(diff "$work/live.json" "$work/file.json" | head -5)"
grep -qF "\"smtp\": \"$a_trg\"" "$work/live.json" || fail "target SMTP $a_trg not in the profile"
grep -qF "\"smtp\": \"$b_src\"" "$work/live.json" || fail "$b_src should be unchanged"

# Server gone: nothing switched, the hive untouched, GLOBAL_ERR.
bash "$CPUU_SOURCE_DIR/tests/support/slapd.sh" stop "$work/slapd"
mkdir -p "$work/down/u" && "$CPUU_FIXTURE" --hive "$work/down/u/NTUSER.DAT" "$work/user.fixture" >/dev/null
sum=$(sha256sum "$work/down/u/NTUSER.DAT")
"$CPUU" update --config "$work/live.ini" --hive "$work/down/u/NTUSER.DAT" >/dev/null 2>"$work/down.err"
rc=$?
[ $((rc & 16)) -eq 16 ] || fail "server down: exit $rc, want GLOBAL_ERR (16)"
[ "$sum" = "$(sha256sum "$work/down/u/NTUSER.DAT")" ] || fail "server down: hive changed"

# A stalled directory costs the timeout once per run, not once per account
# (tests/support/ldap-stub.py counts what it is asked; no clock is read).
stub_pids=
stub() { # MODE: start the stub, wait for its port
	python3 "$CPUU_SOURCE_DIR/tests/support/ldap-stub.py" "$1" "$work/$1.port" "$work/$1.log" &
	stub_pids="$stub_pids $!"
	for _ in $(seq 50); do [ -s "$work/$1.port" ] && break; sleep 0.1; done
	[ -s "$work/$1.port" ] || fail "ldap-stub $1 did not start"
}
trap 'kill $stub_pids 2>/dev/null; cleanup' EXIT
stub_ini() { # MODE -> $work/MODE.ini, both directories on the stub
	local url="ldap://127.0.0.1:$(cat "$work/$1.port")"
	sed -e "s#^Url = .*#Url = $url#" -e '/^CACertFile/d' -e 's/^\[Source\]$/[Source]\nTimeoutSeconds = 2/' \
		-e 's/^\[Target\]$/[Target]\nTimeoutSeconds = 2/' "$work/live.ini" >"$work/$1.ini"
}
{
	printf '[profile Outlook]\nversion = 16.0\ndefault = yes\n'
	for i in 1 2 3 4; do
		printf '[exchange]\ndisplay_name = stall%d\nsmtp = stall%d@source.example\n' "$i" "$i"
		printf 'legacy_dn = /o=Source/ou=Exchange/cn=Recipients/cn=stall%d\n' "$i"
		printf 'mailbox_guid = %08d-1111-2222-3333-444455556666\ncached = yes\n' "$i"
	done
} >"$work/four.fixture"
# Bound, then every search hangs: the first account waits the timeout, the
# other three are errors at once; one search reaches the server.
stub bindstall
stub_ini bindstall
mkdir -p "$work/stall/u" && "$CPUU_FIXTURE" --hive "$work/stall/u/NTUSER.DAT" "$work/four.fixture" >/dev/null
sum=$(sha256sum <"$work/stall/u/NTUSER.DAT")
"$CPUU" update --config "$work/bindstall.ini" --hive "$work/stall/u/NTUSER.DAT" --json >"$work/stall.jsonl" 2>"$work/stall.err"
rc=$?
[ $((rc & 4)) -eq 4 ] || fail "stalled directory: exit $rc, want SWITCH_ERR (4)"
[ $((rc & 1)) -eq 0 ] || fail "stalled directory: exit $rc says SUCCESS"
n_err=$(grep -c '"outcome":"error"' "$work/stall.jsonl")
[ "$n_err" = 4 ] || fail "stalled directory: $n_err error records, want one per account (4): $(cat "$work/stall.jsonl")"
grep -q 'stall1@source.example.*search: timed out after 2 s' "$work/stall.jsonl" || fail "first account: no timeout: $(head -1 "$work/stall.jsonl")"
n_again=$(grep -c 'not asked again in this run after: .*timed out' "$work/stall.jsonl")
[ "$n_again" = 3 ] || fail "stalled directory: $n_again accounts told 'not asked again', want 3"
n_search=$(grep -c '^search$' "$work/bindstall.log")
[ "$n_search" = 1 ] || fail "stalled directory: $n_search searches reached the server, want 1 (one timeout per run)"
[ "$sum" = "$(sha256sum <"$work/stall/u/NTUSER.DAT")" ] || fail "stalled directory: hive changed"
echo "  stalled after bind: exit $rc, $n_err account errors, $n_search search sent"
# Accepts and never answers, not even the bind: refused before any account,
# one connection attempt.
stub stall
stub_ini stall
"$CPUU" update --config "$work/stall.ini" --hive "$work/stall/u/NTUSER.DAT" --json >"$work/stall2.jsonl" 2>"$work/stall2.err"
rc=$?
[ $((rc & 16)) -eq 16 ] || fail "silent directory: exit $rc, want GLOBAL_ERR (16)"
grep -q "bind: timed out after 2 s" "$work/stall2.err" || fail "silent directory: $(cat "$work/stall2.err")"
n_conn=$(grep -c '^connect$' "$work/stall.log")
[ "$n_conn" = 1 ] || fail "silent directory: $n_conn connection attempts, want 1"
[ "$sum" = "$(sha256sum <"$work/stall/u/NTUSER.DAT")" ] || fail "silent directory: hive changed"

[ "$fails" -eq 0 ] && echo "update over live LDAP and over the exported file agree"
exit $((fails > 0))
