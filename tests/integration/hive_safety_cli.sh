#!/usr/bin/env bash
# Issue 16 at the command line: one writer per hive (a second cpuu run on a
# hive another run holds waits, is refused and changes nothing; the first
# finishes normally), a corrupt hive refused with exit 5 before anything,
# and --config / --mapping inputs that are FIFOs or devices refused at once.
# The second run is started by the first one at a fault point
# (CPUU_FAULT=update:before-commit:run), so the overlap is certain.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-safety-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir -p "$work/users/frank"
hive="$work/users/frank/NTUSER.DAT"
"$CPUU_FIXTURE" --hive "$hive" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
printf '[Mapping]\nFile = %s/examples/mapping.csv\n' "$CPUU_SOURCE_DIR" >"$work/cpuu.ini"

# 1. The second run, inside the first one's lock.
second="env -u CPUU_FAULT -u CPUU_FAULT_RUN '$CPUU' update --config '$work/cpuu.ini' --hive '$hive' \
>'$work/second.out' 2>'$work/second.err'; echo \$? >'$work/second.rc'; cp '$hive' '$work/during.DAT'"
cp "$hive" "$work/before.DAT"
CPUU_FAULT=update:before-commit:run CPUU_FAULT_RUN="$second" \
	"$CPUU" update --config "$work/cpuu.ini" --hive "$hive" >"$work/first.out" 2>"$work/first.err"
rc=$?
[ "$rc" -eq 1 ] || fail "first run: exit $rc, want 1 (SUCCESS): $(cat "$work/first.err")"
[ -f "$work/second.rc" ] || fail "the second run never ran"
rc2=$(cat "$work/second.rc" 2>/dev/null || echo none)
[ "$rc2" -eq 20 ] 2>/dev/null || fail "second run: exit $rc2, want 20 (SWITCH_ERR|GLOBAL_ERR)"
grep -q "another cpuu run holds this hive" "$work/second.err" || fail "second run's message: $(cat "$work/second.err")"
cmp -s "$work/before.DAT" "$work/during.DAT" || fail "the refused run changed the hive"
grep -q "switched" "$work/first.out" || fail "the first run did not switch: $(cat "$work/first.out")"
[ ! -e "$work/users/frank/.NTUSER.DAT.cpuu-lock" ] || fail "lock file left behind"
# Afterwards the hive is free again: a rerun finds everything done.
"$CPUU" update --config "$work/cpuu.ini" --hive "$hive" >"$work/third.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "rerun: exit $rc, want 1: $(cat "$work/third.out")"

# 2. A corrupt hive (the root key's subkey list made to point at the root:
# a cycle) is refused with exit 5 by inspect and as a hive error by update,
# and no byte changes.
cp "$hive" "$work/cycle.DAT"
python3 - "$work/cycle.DAT" <<'EOF' || fail "could not build the cycle hive"
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
root = struct.unpack_from('<I', b, 36)[0] + 0x1000
lst = struct.unpack_from('<I', b, root + 4 + 0x1C)[0] + 0x1000
assert b[lst + 4:lst + 6] in (b'lf', b'lh', b'li'), b[lst + 4:lst + 6]
struct.pack_into('<I', b, lst + 8, root - 0x1000)   # first subkey -> the root
open(p, 'wb').write(bytes(b))
EOF
cp "$work/cycle.DAT" "$work/cycle.orig"
"$CPUU" inspect --hive "$work/cycle.DAT" >/dev/null 2>"$work/inspect.err"
rc=$?
[ "$rc" -eq 5 ] || fail "inspect of a cyclic hive: exit $rc, want 5"
grep -q "corrupt hive" "$work/inspect.err" || fail "inspect message: $(cat "$work/inspect.err")"
"$CPUU" update --config "$work/cpuu.ini" --hive "$work/cycle.DAT" >/dev/null 2>"$work/update.err"
rc=$?
[ $((rc & 16)) -ne 0 ] && [ $((rc & 1)) -eq 0 ] || fail "update of a cyclic hive: exit $rc, want GLOBAL_ERR and no SUCCESS"
cmp -s "$work/cycle.DAT" "$work/cycle.orig" || fail "a refused hive changed"

# 3. Inputs that would block or never end: refused at once.
mkfifo "$work/fifo.ini"
timeout 20 "$CPUU" update --config "$work/fifo.ini" --hive "$hive" >/dev/null 2>"$work/fifo.err"
rc=$?
[ "$rc" -ne 124 ] || fail "--config FIFO blocked"
grep -q "not a regular file" "$work/fifo.err" || fail "--config FIFO message: $(cat "$work/fifo.err")"
timeout 20 "$CPUU" update --config "$work/cpuu.ini" --mapping /dev/zero --hive "$hive" >/dev/null 2>"$work/zero.err"
rc=$?
[ "$rc" -ne 124 ] || fail "--mapping /dev/zero did not end"
grep -q "not a regular file" "$work/zero.err" || fail "--mapping /dev/zero message: $(cat "$work/zero.err")"

[ "$fails" -eq 0 ] && echo "one writer per hive, corrupt hive refused, bounded inputs"
exit $((fails > 0))
