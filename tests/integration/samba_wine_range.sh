#!/bin/bash
# The Windows build's ranged values (read_range in
# src/lib/directory/win32/ldap_wldap32.c) against a real AD DC: cpuu.exe
# under Wine looks up rangebox (3,000 X500 on source and target,
# tests/support/samba-ldif.py) by its last X500 on the Samba source DC with
# CPUU_TEST_LDAP_RANGE_STEP=97: found, the generator's target, all 3,000
# addresses, the continuation requests seen by a counting relay in front of
# the DC (none without the variable), and the same output as the Linux
# build. Plain LDAP with a simple bind (the forest started with
# CPUU_SAMBA_PLAIN_BIND=yes): Wine's wldap32 fails searches over LDAPS
# (docs/directory.md). Skips (77) without the Windows build, Wine, root or
# samba.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need cpuu.exe
command -v python3 >/dev/null || skip "python3 missing"
command -v samba >/dev/null || skip "samba not installed"
[ "$(id -u)" = 0 ] || skip "the Samba DCs need root"
relay=
wine_test_cleanup() {
	[ -n "$relay" ] && kill "$relay" 2>/dev/null
	bash "$SRC/tests/support/samba-forest.sh" stop "$work/forest" >/dev/null 2>&1
}
wine_prefix samba-wine-range
export CPUU_SAMBA_CACHE=${CPUU_SAMBA_CACHE:-${CPUU_BINARY_DIR:?}/samba-cache}
CPUU_SAMBA_PLAIN_BIND=yes bash "$SRC/tests/support/samba-forest.sh" start "$work/forest" $$ >"$work/forest.log" 2>&1
rc=$?
[ "$rc" = 77 ] && skip "the Samba DCs cannot run here: $(tail -1 "$work/forest.log")"
[ "$rc" = 0 ] || { echo "FAIL: the Samba DCs did not start: $(tail -5 "$work/forest.log")"; exit 1; }
. "$work/forest/env"

python3 "$SRC/tests/support/samba-count-relay.py" "$SRC_IP" 389 "$work" &
relay=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "FAIL: the relay did not start"; exit 1; }
port=$(cat "$work/port")

. "$SRC/tests/support/slapd-ini.sh"
ini() { # FILE PWDIR-MAPPER
	ldap_ini "$1" "ldap://127.0.0.1:$port" "$TRG_URL" "TimeoutSeconds = 30" "TimeoutSeconds = 30" \
		"$($2 "$SRC_PWFILE")" "$($2 "$TRG_PWFILE")"
}
same_path() { printf '%s' "$1"; }
ini "$work/win.ini" winpath
ini "$work/linux.ini" same_path

key=$(awk -F'\t' '$1 == "x500" { k = $2 } END { print k }' "$RANGED")
t_ldn=$(awk -F'\t' '$1 == "ldn" { print $4 }' "$RANGED")
[ -n "$key" ] && [ -n "$t_ldn" ] || { echo "FAIL: no rangebox keys in $RANGED"; exit 1; }
count() { cat "$work/count"; }

# Whole answers: Samba does not range an unranged request.
c0=$(count)
timeout 120 wine "$WIN/cpuu.exe" map lookup --config "$(winpath "$work/win.ini")" "$key" 2>"$work/w0.err" |
	tr -d '\r' >"$work/w0.out" || fail "whole lookup: $(cat "$work/w0.err")"
[ "$(count)" = "$c0" ] || fail "ranged requests without the test hook: $c0 -> $(count)"

# In ranges of 97: rangebox's 3,001 values take 31 ranges, 30 continuations.
c1=$(count)
CPUU_TEST_LDAP_RANGE_STEP=97 timeout 120 wine "$WIN/cpuu.exe" map lookup --config "$(winpath "$work/win.ini")" \
	"$key" 2>"$work/w.err" | tr -d '\r' >"$work/w.out" || fail "ranged lookup under Wine: $(cat "$work/w.err")"
c2=$(count)
[ $((c2 - c1)) -ge 30 ] || fail "the Windows build made $((c2 - c1)) ranged requests, expected at least 30"
grep -q '^status: *found$' "$work/w.out" || fail "status: $(grep '^status' "$work/w.out")"
grep -qxF "target legacy DN:    $t_ldn" "$work/w.out" || fail "target: $(grep '^target legacy DN' "$work/w.out")"
n=$(grep -c '^source x500:' "$work/w.out")
[ "$n" = 3000 ] || fail "$n source X500 listed under Wine, expected 3000"
cmp -s "$work/w.out" "$work/w0.out" || fail "ranged and whole answers differ under Wine"

# The Linux build, same relay, same hook: the same answer, the same requests.
CPUU_TEST_LDAP_RANGE_STEP=97 timeout 120 "$CPUU" map lookup --config "$work/linux.ini" "$key" >"$work/l.out" \
	2>"$work/l.err" || fail "ranged lookup on Linux: $(cat "$work/l.err")"
c3=$(count)
cmp -s "$work/w.out" "$work/l.out" || fail "Windows and Linux builds answer differently"
[ $((c3 - c2)) = $((c2 - c1)) ] || fail "ranged requests: Windows $((c2 - c1)), Linux $((c3 - c2))"

wine_finish "samba_wine_range: rangebox's last X500 found under Wine with 3,000 addresses in ranges of 97 ($((c2 - c1)) ranged requests, as many as the Linux build; none unranged)"
