#!/bin/bash
# The indexed mapping as a workstation reads it: built by the Linux build
# (cpuu map index), read by the Windows build under Wine (cpuu.exe map lookup
# with [Mapping] File = the index): the same JSON as the Linux build gives
# from the CSV, for keys of every outcome; after the CSV changes the Windows
# build refuses the index (exit 7, "stale"). Skips (77) without the Windows
# build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need cpuu.exe
wine_prefix winemapidx

cd "$work" || exit 1
{
	echo "$MAPPING_HEADER"
	echo '/o=C/cn=alice,alice@c.com,0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0,X500:/o=Old/cn=alice,/o=F/cn=alice,alice@f.com,,"Smith, Alice",onprem,,true'
	echo '"/o=C/cn=bob ",bob@c.com,,,/o=F/cn=bob,bob@f.com,,,online,,true'
	echo '/o=C/cn=bob,bob2@c.com,,,/o=F/cn=bob2,bob2@f.com,,,online,,true'
	echo '/o=C/cn=carol,carol@c.com,,,,,,,,,false'
	echo '/o=C/cn=dave,dave@c.com,bad-guid,,/o=F/cn=dave,dave@f.com,,,,,true'
} >mapping.csv
"$CPUU" map index mapping.csv >/dev/null 2>&1 || fail "map index"
printf '[Mapping]\nFile = mapping.csv\n' >csv.ini
printf '[Mapping]\r\nFile = mapping.csv.idx\r\n' >idx.ini
for key in /o=C/cn=alice 'X500:/o=old/cn=ALICE' '{0F1E2D3C4B5A69788796A5B4C3D2E1F0}' bob2@c.com carol@c.com \
	dave@c.com nobody@c.com; do
	a=$("$CPUU" map lookup --config csv.ini --json "$key" 2>&1); arc=$?
	b=$(wine "$WIN/cpuu.exe" map lookup --config idx.ini --json "$key" 2>/dev/null); brc=$?
	b=${b//$'\r'/}
	[ "$arc" = "$brc" ] && [ "$a" = "$b" ] || fail "'$key': linux/csv exit $arc $a; windows/index exit $brc $b"
done
touch -d '+1 minute' mapping.csv
wine "$WIN/cpuu.exe" map lookup --config idx.ini alice@c.com >out 2>err; rc=$?
[ "$rc" = 7 ] && grep -q stale err && ! grep -q switched out || fail "stale index under Wine: exit $rc $(cat err)"
wine_finish ok
