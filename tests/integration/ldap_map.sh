#!/usr/bin/env bash
# cpuu map export / lookup / x500 against the test slapd (tests/support/slapd.sh):
# live and file lookups print the same JSON for a sample of keys of every
# kind; the generator's expected status and exit code hold; failures (server
# down, wrong password, timeout, TLS, a server answering garbage:
# tests/support/ldap-stub.py) give one-line errors with distinct exit codes;
# x500 --apply twice adds nothing the second time.
set -u
: "${CPUU:?}" "${CPUU_SOURCE_DIR:?}"
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || { echo "slapd not installed: skip"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-ldapmap-XXXXXX")
hang_pid=
stub_pid=
cleanup() {
	[ -n "$hang_pid" ] && kill "$hang_pid" 2>/dev/null
	[ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null
	bash "$CPUU_SOURCE_DIR/tests/support/slapd.sh" stop "$work/slapd"
	rm -rf "$work"
}
trap cleanup EXIT
bash "$CPUU_SOURCE_DIR/tests/support/slapd.sh" start "$work/slapd" $$ || { echo "FAIL: slapd did not start"; exit 1; }
. "$work/slapd/env"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ini NAME [extra [Source] lines] [extra [Target] lines] [extra sections]
. "$CPUU_SOURCE_DIR/tests/support/slapd-ini.sh"
ini() {
	ldap_ini "$work/$1" "$SLAPD_URL" "$SLAPD_LDAPS_URL" "TimeoutSeconds = 5${2:+
$2}" "CACertFile = $SLAPD_CA${3:+
$3}"
	[ -z "${4:-}" ] || printf '%s\n' "$4" >>"$work/$1"
}

ini live.ini
"$CPUU" map export --config "$work/live.ini" --out "$work/mapping.csv" >"$work/export.out" 2>&1 ||
	fail "export: $(cat "$work/export.out")"
grep -q "300 source mailbox(es).*269 found, 30 without target, 1 ambiguous" "$work/export.out" ||
	fail "export summary: $(cat "$work/export.out")"
ini file.ini "" "" "[Mapping]
File = $work/mapping.csv"
# The export wrote the indexed mapping beside the CSV; it answers the same.
[ -s "$work/mapping.csv.idx" ] || fail "export wrote no mapping.csv.idx"
ini idx.ini "" "" "[Mapping]
File = $work/mapping.csv.idx"

# Every 7th expected key (all kinds occur), both ways.
n=0
while IFS=$'\t' read -r kind key status _ t_smtp _ _ _ _ switched; do
	n=$((n + 1))
	[ $((n % 7)) -eq 0 ] || [ "$status" = ambiguous ] || continue
	live=$("$CPUU" map lookup --config "$work/live.ini" --json "$key"); lrc=$?
	case $status in
	found) want=0 ;; ambiguous) want=9 ;; *) want=3 ;;
	esac
	[ "$lrc" = "$want" ] || fail "live lookup $key: exit $lrc, want $want"
	echo "$live" | grep -q "\"status\":\"$status\"" || fail "live lookup $key: $live (want $status)"
	if [ "$switched" = 1 ]; then
		echo "$live" | grep -q '"switched":true' || fail "live $key: not switched"
	else
		echo "$live" | grep -q '"switched":false' || fail "live $key: switched"
	fi
	[ "$status" = found ] && { echo "$live" | grep -q "\"target_smtp\":\"$t_smtp\"" || fail "live $key: target smtp"; }
	[ "$kind" = smtp2 ] && continue # secondary SMTP addresses: directory only
	file=$("$CPUU" map lookup --config "$work/file.ini" --json "$key"); frc=$?
	[ "$frc" = "$lrc" ] || fail "file lookup $key: exit $frc, live $lrc"
	[ "${file/\"answered_by\":\"mapping\"/}" = "${live/\"answered_by\":\"directory\"/}" ] ||
		fail "file and live differ for $key: $file vs $live"
	idx=$("$CPUU" map lookup --config "$work/idx.ini" --json "$key"); irc=$?
	[ "$irc" = "$frc" ] && [ "$idx" = "$file" ] || fail "index and file differ for $key: $idx vs $file"
done <"$work/slapd/expected.tsv"

# Failures: exit code, one line on stderr, never "switched".
expect_err() { # code name ini
	out=$("$CPUU" map lookup --config "$work/$3" user0002@source.example 2>"$work/err.all"); rc=$?
	# Overriding keys by repeating them gives config warnings: not the error.
	grep -v '^cpuu: warning:' "$work/err.all" >"$work/err"
	[ "$rc" = "$1" ] || fail "$2: exit $rc, want $1 ($(cat "$work/err"))"
	[ "$(wc -l <"$work/err")" = 1 ] || fail "$2: not one line: $(cat "$work/err")"
	grep -q "secret" "$work/err" && fail "$2: password in message"
	echo "$out" | grep -q "switched" && fail "$2: printed a result"
	echo "  $2: $(cat "$work/err")"
}
down=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ini down.ini "Url = ldap://127.0.0.1:$down"
expect_err 10 "server down" down.ini
ini badpw.ini "PasswordFile = $WRONG_PWFILE"
expect_err 11 "wrong password" badpw.ini
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(120)' >"$work/hang.port" &
hang_pid=$!
for _ in $(seq 50); do [ -s "$work/hang.port" ] && break; sleep 0.1; done
ini hang.ini "Url = ldap://127.0.0.1:$(cat "$work/hang.port")
TimeoutSeconds = 1"
expect_err 10 "timeout" hang.ini
ini tls.ini "" "CACertFile = $SLAPD_WRONG_CA"
expect_err 12 "TLS (wrong CA)" tls.ini
ini starttls.ini "StartTLS = yes
CACertFile = $SLAPD_WRONG_CA"
expect_err 12 "StartTLS (wrong CA)" starttls.ini
ini hangtls.ini "Url = ldaps://127.0.0.1:$(cat "$work/hang.port")
TimeoutSeconds = 1"
expect_err 10 "ldaps timeout" hangtls.ini
# A server that answers in another protocol (a web server's 400 page, then
# closed): an honest message, not "Can't contact LDAP server".
python3 "$CPUU_SOURCE_DIR/tests/support/ldap-stub.py" garbage "$work/garbage.port" "$work/garbage.log" &
stub_pid=$!
for _ in $(seq 50); do [ -s "$work/garbage.port" ] && break; sleep 0.1; done
ini garbage.ini "Url = ldap://127.0.0.1:$(cat "$work/garbage.port")"
expect_err 10 "garbage answer" garbage.ini
grep -q "did not answer in LDAP (decoding error" "$work/err" || fail "garbage answer: $(cat "$work/err")"
grep -q "Can't contact" "$work/err" && fail "garbage answer reads as server down: $(cat "$work/err")"
grep -q '^bind$' "$work/garbage.log" || fail "the garbage server never saw the bind: the test proved nothing"
ini garbage-st.ini "Url = ldap://127.0.0.1:$(cat "$work/garbage.port")
StartTLS = yes"
expect_err 10 "garbage answer to StartTLS" garbage-st.ini
grep -q "StartTLS: the server did not answer in LDAP" "$work/err" || fail "garbage StartTLS: $(cat "$work/err")"

# X500: LDIF parses with ldapmodify; --apply adds, a second --apply adds nothing.
"$CPUU" map x500 --config "$work/live.ini" --out "$work/x500.ldif" >"$work/x1.out" || fail "x500: $(cat "$work/x1.out")"
planned=$(sed -n 's/^\([0-9]*\) X500 address(es) to add.*/\1/p' "$work/x1.out")
[ "${planned:-0}" -gt 0 ] || fail "x500 plans nothing: $(cat "$work/x1.out")"
ldapmodify -n -x -H "$SLAPD_URL" -D "$TRG_BIND" -w "$(cat "$TRG_PWFILE")" -f "$work/x500.ldif" >/dev/null 2>&1 ||
	fail "ldapmodify cannot parse the LDIF"
"$CPUU" map x500 --config "$work/live.ini" --apply >"$work/x2.out" || fail "x500 --apply: $(cat "$work/x2.out")"
grep -q "^applied: $planned X500 address(es) added" "$work/x2.out" || fail "first apply: $(cat "$work/x2.out")"
"$CPUU" map x500 --config "$work/live.ini" --apply >"$work/x3.out" || fail "second apply: $(cat "$work/x3.out")"
grep -q "^dry run: 0 X500" "$work/x3.out" && grep -q "^applied: 0 X500" "$work/x3.out" ||
	fail "second apply added something: $(cat "$work/x3.out")"
# The non-ASCII X500 of user0007 is on its target, once.
cnt=$(ldapsearch -LLL -o ldif-wrap=no -x -H "$SLAPD_URL" -D "$TRG_BIND" -w "$(cat "$TRG_PWFILE")" -b "$TRG_BASE" \
	'(cn=user0007)' proxyAddresses | grep -c '^proxyAddresses:: ')
[ "$cnt" = 1 ] || fail "user0007 non-ASCII X500 count $cnt"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
