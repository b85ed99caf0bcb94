#!/usr/bin/env bash
# Issue 16 item 2 at the command line: `cpuu update --users-dir` never follows
# a link out of a user's folder. A user folder that is a link, a
# <user>/NTUSER.DAT that is a link to a hive elsewhere and a pre-made state
# folder (<user>/NTUSER.DAT.cpuu) that is a link are refused: nothing they
# point at changes; the plain user next to them is switched as usual.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-links-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir -p "$work/users/frank" "$work/users/eve" "$work/users/gina" "$work/outside/state"
for u in frank gina; do
	"$CPUU_FIXTURE" --hive "$work/users/$u/NTUSER.DAT" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
done
cp "$work/users/frank/NTUSER.DAT" "$work/outside/NTUSER.DAT"
ln -s "$work/outside" "$work/users/mallory"                 # a user folder that is a link
ln -s "$work/outside/NTUSER.DAT" "$work/users/eve/NTUSER.DAT" # a hive that is a link
ln -s "$work/outside/state" "$work/users/gina/NTUSER.DAT.cpuu" # a state folder that is a link
cp "$work/outside/NTUSER.DAT" "$work/outside.before"
cp "$work/users/gina/NTUSER.DAT" "$work/gina.before"
cp "$work/users/frank/NTUSER.DAT" "$work/frank.before"

"$CPUU" update --mapping "$CPUU_SOURCE_DIR/examples/mapping.csv" --users-dir "$work/users" --workers 2 --json \
	>"$work/out.jsonl" 2>"$work/err"
rc=$?
cmp -s "$work/outside.before" "$work/outside/NTUSER.DAT" || fail "the hive outside the users' folders changed"
[ -z "$(ls -A "$work/outside/state")" ] || fail "files written through the state folder link: $(ls -A "$work/outside/state")"
[ "$(ls -A "$work/outside" | sort | tr '\n' ' ')" = "NTUSER.DAT state " ] || fail "outside: $(ls -A "$work/outside")"
cmp -s "$work/gina.before" "$work/users/gina/NTUSER.DAT" || fail "gina's hive changed without a backup"
[ -L "$work/users/gina/NTUSER.DAT.cpuu" ] || fail "the state folder link was replaced"
cmp -s "$work/frank.before" "$work/users/frank/NTUSER.DAT" && fail "frank was not switched: $(cat "$work/err")"
grep -q "users/eve/NTUSER.DAT is a link" "$work/err" || fail "eve's link not reported: $(cat "$work/err")"
grep -q "users/mallory is a link" "$work/err" || fail "mallory's link not reported: $(cat "$work/err")"
grep -q '"outcome":"error"' "$work/out.jsonl" || fail "gina's refusal not in the results"
grep -q 'state folder .* is a link' "$work/out.jsonl" || fail "gina's message: $(grep gina "$work/out.jsonl" | head -3)"
[ $((rc & 1)) -eq 1 ] || fail "exit $rc: frank's switch not reported as SUCCESS"
[ $((rc & 16)) -ne 0 ] || [ $((rc & 4)) -ne 0 ] || fail "exit $rc: gina's refusal carries no error bit"
if [ "$fails" -ne 0 ]; then
	echo "$fails failure(s)"
	exit 1
fi
echo "ok: links out of user folders refused in bulk runs"
