#!/usr/bin/env bash
# cpuu map export against two real AD DCs (Samba, tests/support/samba-forest.sh)
# with 10,000 mailbox users, against the floor: a plain paged `ldapsearch` of
# the same attributes from the same two DCs over the same TLS transports.
# Runs are paired and interleaved (export, ldapsearch, export, ...), so both
# see the same machine load; prints each side's median and range and the
# ratio of medians. The peers' results are verified: ldapsearch must return
# as many mailbox users as the export reports.
#   bench_samba_export.sh [BUILD_DIR] [ROUNDS]
# Needs root (the DCs take loopback addresses); the first run provisions the
# 10,000-user forest into BUILD_DIR/samba-cache (minutes), later runs copy it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
rounds=${2:-5}
cpuu="$build/cpuu"
[ -x "$cpuu" ] || { echo "bench_samba_export: $cpuu not built" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ] || ! command -v samba >/dev/null 2>&1; then
	echo "bench_samba_export: skipped (needs root and samba: scripts/install-deps.sh test)"
	exit 0
fi
export CPUU_SAMBA_USERS=${CPUU_SAMBA_USERS:-10000}
export CPUU_SAMBA_CACHE=${CPUU_SAMBA_CACHE:-$build/samba-cache}
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-bench-samba-XXXXXX")
forest="$top/tests/support/samba-forest.sh"
trap 'bash "$forest" stop "$work/forest"; rm -rf "$work"' EXIT
t0=$(date +%s.%N)
bash "$forest" start "$work/forest" $$ >/dev/null
t1=$(date +%s.%N)
. "$work/forest/env"
echo "forest of $CPUU_SAMBA_USERS users up in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s (cache: $CPUU_SAMBA_CACHE)"

. "$top/tests/support/slapd-ini.sh"
ldap_ini "$work/live.ini" "$SRC_LDAPS_URL" "$TRG_LDAPS_URL" "CACertFile = $SAMBA_CA
TimeoutSeconds = 120" "CACertFile = $SAMBA_CA
TimeoutSeconds = 120"
# What the export asks each side for (lookup_object.c), paged by 500 like it.
attrs="legacyExchangeDN proxyAddresses mail msExchMailboxGuid objectGUID displayName targetAddress msExchRecipientTypeDetails"
filter='(&(objectClass=user)(mailNickname=*))'
floor() {
	LDAPTLS_CACERT=$SAMBA_CA ldapsearch -LLL -x -H "$SRC_LDAPS_URL" -D "$SRC_BIND" -w "$(cat "$SRC_PWFILE")" \
		-b "$SRC_BASE" -E pr=500/noprompt "$filter" $attrs extensionAttribute10 >"$work/src.ldif"
	LDAPTLS_CACERT=$SAMBA_CA ldapsearch -LLL -x -H "$TRG_LDAPS_URL" -D "$TRG_BIND" -w "$(cat "$TRG_PWFILE")" \
		-b "$TRG_BASE" -E pr=500/noprompt "$filter" $attrs extensionAttribute1 >"$work/trg.ldif"
}
export_once() {
	"$cpuu" map export --config "$work/live.ini" --out "$work/mapping.csv" >"$work/export.out"
}
now() { date +%s.%N; }
: >"$work/times"
export_once
floor # warm both
for r in $(seq 1 "$rounds"); do
	a=$(now); export_once; b=$(now); floor; c=$(now)
	awk "BEGIN { print $b - $a, $c - $b }" >>"$work/times"
done
n_export=$(sed -n 's/.*: \([0-9]*\) source mailbox(es).*/\1/p' "$work/export.out")
n_floor=$(grep -c '^dn: ' "$work/src.ldif")
if [ "$n_export" != "$n_floor" ]; then
	echo "bench_samba_export: peers disagree: export read $n_export source mailboxes, ldapsearch $n_floor" >&2
	exit 1
fi
python3 - "$work/times" "$n_export" "$rounds" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
e = [r[0] for r in rows]
f = [r[1] for r in rows]
me, mf = statistics.median(e), statistics.median(f)
print("map export (%s source mailboxes, both DCs, LDAPS), %s paired rounds:" % (sys.argv[2], sys.argv[3]))
print("  cpuu map export      median %.3f s  range %.3f-%.3f s" % (me, min(e), max(e)))
print("  ldapsearch (floor)   median %.3f s  range %.3f-%.3f s" % (mf, min(f), max(f)))
print("  ratio export/floor   %.2fx (per round: %s)" % (me / mf, ", ".join("%.2f" % (a / b) for a, b in rows)))
PY
