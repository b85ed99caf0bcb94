#!/bin/bash
# cpuu decode on the command line: hex text with blanks, line breaks and
# dump separators, --binary, standard input, text and JSON views, and its
# refusals (bad hex, odd digits, unknown kind, missing file, a non-contab ID
# given as contab, a malformed entry ID): each its own exit code, one line
# on stderr, nothing on stdout. The fields themselves are checked against
# MFCMAPI by mfcmapi_vectors.sh.
set -u
skip() { echo "SKIP: $*"; exit 77; }
[ -n "${CPUU:-}" ] && [ -x "$CPUU" ] || skip "CPUU (the cpuu CLI) is not built"
command -v python3 >/dev/null || skip "python3 missing"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-decode-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# An address-book entry ID of "/o=Contoso/cn=Recipients/cn=jane" (MS-OXCDATA
# 2.2.5.2: flags, EMSAB UID, version 1, type 0, the DN and its NUL), by hand.
dn="/o=Contoso/cn=Recipients/cn=jane"
hex="00000000dca740c8c042101ab4b908002b2fe1820100000000000000$(printf '%s' "$dn" | od -An -tx1 | tr -d ' \n')00"
printf '%s\n' "$hex" | sed 's/\(.\{16\}\)/\1 /g' | fold -w 30 >"$work/ab.hex"
"$CPUU" decode entryid "$work/ab.hex" --json >"$work/ab.json" 2>"$work/err" || fail "ab: $(cat "$work/err")"
python3 - "$work/ab.json" "$dn" <<'PY' || fail "ab JSON"
import json, sys
d = json.load(open(sys.argv[1]))
want = {"kind": "ab", "flags": 0, "provider_uid": "dca740c8c042101ab4b908002b2fe182", "version": 1,
        "display_type": 0, "x500_dn": sys.argv[2]}
sys.exit(0 if d == want else print(d) or 1)
PY
# The same bytes as a binary file, from standard input, and as a dump with '-'.
printf '%s' "$hex" | python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))' >"$work/ab.bin"
"$CPUU" decode entryid --binary - --json <"$work/ab.bin" | cmp -s - "$work/ab.json" || fail "--binary from stdin differs"
printf '%s' "$hex" | sed 's/\(..\)\(..\)/\1-\2 /g' >"$work/ab.dump"
"$CPUU" decode entryid "$work/ab.dump" --json | cmp -s - "$work/ab.json" || fail "hex dump with '-' differs"
"$CPUU" decode entryid "$work/ab.hex" >"$work/ab.txt" || fail "text view"
grep -q "^x500_dn = $dn\$" "$work/ab.txt" || fail "text view: $(cat "$work/ab.txt")"
grep -q '^kind = ab$' "$work/ab.txt" || fail "text view has no kind"

refuse() { # code label args...
	local want=$1 label=$2
	shift 2
	"$CPUU" decode "$@" >"$work/out" 2>"$work/err" </dev/null
	local code=$?
	[ "$code" = "$want" ] || fail "$label: exit $code, want $want ($(cat "$work/err"))"
	[ "$(wc -l <"$work/err")" = 1 ] || fail "$label: stderr has $(wc -l <"$work/err") lines"
	grep -q '^cpuu: ' "$work/err" || fail "$label: stderr does not start with 'cpuu: '"
	[ -s "$work/out" ] && fail "$label: something on stdout"
	echo "ok: $label -> $code: $(cat "$work/err")"
}
printf '00 zz' >"$work/bad.hex"
printf '000' >"$work/odd.hex"
printf '%s' "${hex}ff" >"$work/trailing.hex"
refuse 7 "not hex" entryid "$work/bad.hex"
refuse 7 "odd number of digits" entryid "$work/odd.hex"
refuse 7 "trailing byte after the DN" entryid "$work/trailing.hex" --json
refuse 7 "an ab ID given as contab" contab "$work/ab.hex"
refuse 7 "too short for an entry ID" entryid "$work/odd.hex" --binary
refuse 3 "missing file" entryid "$work/nope.hex"
refuse 2 "unknown kind" folder "$work/ab.hex"
refuse 2 "no file" entryid
refuse 2 "unknown option" entryid "$work/ab.hex" --bogus

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "decode: all checks passed"
