#!/usr/bin/env bash
# cpuu map index and [Mapping] File naming the index: lookups through the CLI
# print the same JSON and exit codes from the CSV and from its index (keys of
# every outcome, with blanks and prefixes); a CSV changed after indexing makes
# the index refused (one-line message, distinct exit code, nothing printed),
# and `map index --check` finds a change that keeps size and mtime; `cpuu
# update` with [Mapping] File = the index switches a hive exactly as with
# the CSV.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-mapidx-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

H=source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched
{
	echo "$H"
	echo '/o=C/cn=alice,alice@c.com,0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,X500:/o=Old/cn=alice,/o=F/cn=alice,alice@f.com,,"Smith, Alice",onprem,,true'
	echo '"/o=C/cn=bob ",bob@c.com,,,/o=F/cn=bob,bob@f.com,,,online,,true'
	echo '/o=C/cn=bob,bob2@c.com,,,/o=F/cn=bob2,bob2@f.com,,,online,,true'
	echo '/o=C/cn=carol,carol@c.com,,,,,,,,,false'
	echo '/o=C/cn=dave,dave@c.com,bad-guid,,/o=F/cn=dave,dave@f.com,,,,,true'
	echo '/o=C/cn=erin,erin@c.com,,,/o=F/cn=erin,erin@f.com,,,,,no'
} >"$work/mapping.csv"
"$CPUU" map index "$work/mapping.csv" >"$work/idx.out" 2>"$work/idx.err" || fail "map index: $(cat "$work/idx.err")"
grep -q "mapping.csv.idx: 5 row(s)" "$work/idx.out" || fail "map index summary: $(cat "$work/idx.out")"
grep -q "warning: .*line 6: source_mailbox_guid is not a GUID" "$work/idx.err" || fail "warnings not shown: $(cat "$work/idx.err")"
printf '[Mapping]\nFile = %s\n' "$work/mapping.csv" >"$work/csv.ini"
printf '[Mapping]\nFile = %s\n' "$work/mapping.csv.idx" >"$work/idx.ini"

for key in /o=C/cn=alice ' X500:/o=old/cn=ALICE' 'SMTP:Alice@C.com' '{0F1E2D3C4B5A69788796A5B4C3D2E1F0}' \
	/o=C/cn=bob bob@c.com bob2@c.com carol@c.com /o=C/cn=dave dave@c.com erin@c.com nobody@c.com 'X500:' 'not a key'; do
	a=$("$CPUU" map lookup --config "$work/csv.ini" --json "$key" 2>&1); arc=$?
	b=$("$CPUU" map lookup --config "$work/idx.ini" --json "$key" 2>&1); brc=$?
	[ "$arc" = "$brc" ] && [ "$a" = "$b" ] || fail "'$key': csv exit $arc $a; index exit $brc $b"
done
# Refusals of map index: a missing CSV (exit 3), a CSV without its header
# (exit 7), an index given as the CSV (exit 7); no index written for them.
"$CPUU" map index "$work/none.csv" >/dev/null 2>"$work/err"; rc=$?
[ "$rc" = 3 ] && [ ! -e "$work/none.csv.idx" ] || fail "missing CSV: exit $rc $(cat "$work/err")"
printf 'a,b\n1,2\n' >"$work/bad.csv"
"$CPUU" map index "$work/bad.csv" >/dev/null 2>"$work/err"; rc=$?
[ "$rc" = 7 ] && [ ! -e "$work/bad.csv.idx" ] && grep -q "required column" "$work/err" || fail "bad CSV: exit $rc $(cat "$work/err")"
"$CPUU" map index "$work/mapping.csv.idx" --out "$work/x.idx" >/dev/null 2>"$work/err"; rc=$?
[ "$rc" = 7 ] && [ ! -e "$work/x.idx" ] || fail "index as CSV: exit $rc $(cat "$work/err")"

# Expected answers (so a broken normaliser cannot hide behind agreement).
st() { "$CPUU" map lookup --config "$work/idx.ini" --json "$1" | sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p'; }
[ "$(st ' X500:/o=old/cn=ALICE')" = found ] || fail "alice by X500"
[ "$(st bob2@c.com)" = ambiguous ] || fail "bob's duplicate through a quoted blank"
[ "$(st carol@c.com)" = no_target ] || fail "carol"
[ "$(st dave@c.com)" = invalid ] || fail "dave's malformed row (a key only a malformed row holds: invalid)"
[ "$(st nobody@c.com)" = no_source ] || fail "nobody"

# cpuu update reads [Mapping] File too: the demo's hive and mapping, switched
# once through the CSV and once through its index, give the same profiles.
cp "$CPUU_SOURCE_DIR/examples/mapping.csv" "$work/demo.csv"
"$CPUU" map index "$work/demo.csv" >/dev/null 2>&1 || fail "map index demo"
"$CPUU_FIXTURE" --hive "$work/a.DAT" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null || fail "fixture"
cp "$work/a.DAT" "$work/b.DAT"
printf '[Mapping]\nFile = %s\n' "$work/demo.csv" >"$work/demo-csv.ini"
printf '[Mapping]\nFile = %s\n' "$work/demo.csv.idx" >"$work/demo-idx.ini"
"$CPUU" update --config "$work/demo-csv.ini" --hive "$work/a.DAT" >"$work/ua.out" 2>&1; ra=$?
"$CPUU" update --config "$work/demo-idx.ini" --hive "$work/b.DAT" >"$work/ub.out" 2>&1; rb=$?
[ "$ra" = 1 ] && [ "$rb" = 1 ] || fail "update exit: csv $ra, index $rb ($(cat "$work/ub.out"))"
grep -q "switched" "$work/ub.out" || fail "index update switched nothing: $(cat "$work/ub.out")"
"$CPUU" inspect --hive "$work/a.DAT" --json >"$work/ia.json" && "$CPUU" inspect --hive "$work/b.DAT" --json >"$work/ib.json" &&
	cmp -s "$work/ia.json" "$work/ib.json" || fail "profiles differ after update through CSV and index"

# Stale: the CSV gets a new mtime -> refused, exit 7, one line, nothing printed.
touch -d '+1 minute' "$work/mapping.csv"
out=$("$CPUU" map lookup --config "$work/idx.ini" --json alice@c.com 2>"$work/err"); rc=$?
[ "$rc" = 7 ] || fail "stale index: exit $rc"
[ -z "$out" ] || fail "stale index answered: $out"
grep -q "stale mapping index" "$work/err" && [ "$(wc -l <"$work/err")" = 1 ] || fail "stale message: $(cat "$work/err")"
"$CPUU" map index "$work/mapping.csv" >/dev/null 2>&1 || fail "re-index"
"$CPUU" map index --check "$work/mapping.csv.idx" >/dev/null || fail "--check after re-index"
# Same size and mtime, other content: only --check (content hash) sees it.
m=$(stat -c %Y "$work/mapping.csv")
sed -i 's/erin@f.com/eric@f.com/' "$work/mapping.csv"
touch -d "@$m" "$work/mapping.csv"
"$CPUU" map index --check "$work/mapping.csv.idx" >/dev/null 2>"$work/err"; rc=$?
[ "$rc" = 7 ] && grep -q "differs from what was indexed" "$work/err" || fail "--check: exit $rc $(cat "$work/err")"
rm "$work/mapping.csv"
"$CPUU" map lookup --config "$work/idx.ini" alice@c.com >/dev/null 2>"$work/err"; rc=$?
[ "$rc" = 7 ] && grep -q "missing" "$work/err" || fail "index without CSV: exit $rc $(cat "$work/err")"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
