#!/bin/bash
# The wizard's batch files run by Wine's cmd.exe, twice:
#  - the usual layout: cpuu.exe, cpuu.ini and the batch files together in a
#    folder whose name holds spaces, &, %, ^, !, ( ) and Unicode;
#  - an explicit --exe/--state-dir elsewhere, with the same characters but
#    ASCII only (Wine's cmd.exe reads batch files in the OEM code page
#    whatever chcp says: docs/wizard.md).
# CPUU_Update.bat must start cpuu.exe with every path intact (the profile is
# switched), stay quiet (output in %TEMP%\cpuu-update.log), pass cpuu's exit
# bits back, and CPUU_Rollback.bat must undo it. Skips (77) without the
# Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need
wine_prefix winewiz

alice_fixture "$work/user.fixture" yes
wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/user.fixture")" >/dev/null 2>&1 || fail "cpuu-fixture --live"

# run_case NAME BATCH_DIR EXE_DIR [wizard options]: write, update, check, roll back.
run_case() {
	local name=$1 bdir=$2 edir=$3
	shift 3
	"$CPUU" wizard --yes --out "$bdir" "$@" >/dev/null || { fail "$name: cpuu wizard"; return; }
	cp "$bdir/cpuu.ini" "$edir/cpuu.ini" 2>/dev/null
	# Started by name from its folder, as a logon script is: no quoted path
	# on cmd's own command line (whose /c quote rules are not under test).
	(cd "$bdir" && wine cmd /c CPUU_Update.bat) >"$work/update.out" 2>&1
	local rc=$?
	# wine passes the low 8 bits of the exit code: 49 is cmd.exe's 9009
	# (the program could not be started).
	[ "$rc" -eq 1 ] || fail "$name: CPUU_Update.bat exit $rc, want 1 (SUCCESS): $(cat "$work/update.out")
--- %TEMP%\cpuu-update.log:
$(find "$WINEPREFIX/drive_c/users" -name cpuu-update.log -exec tail -n 20 {} + 2>/dev/null)"
	grep -q . "$work/update.out" && fail "$name: CPUU_Update.bat was not quiet: $(head -3 "$work/update.out")"
	local json
	json=$(wine "$edir/cpuu.exe" inspect --live --json 2>&1)
	grep -qF "alice@target.example" <<<"$json" || fail "$name: the profile was not switched through the batch file"
	# The wizard's --state-dir is [General] BackupDir: the logon run keeps its
	# backups there (issue 11: it used to be ignored).
	ls "$edir/state/"*.reg >/dev/null 2>&1 || fail "$name: no backup in [General] BackupDir ($edir/state)"
	(cd "$bdir" && wine cmd /c CPUU_Rollback.bat) >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "$name: CPUU_Rollback.bat exit $rc, want 1"
	json=$(wine "$edir/cpuu.exe" inspect --live --json 2>&1)
	grep -qF "alice@source.example" <<<"$json" || fail "$name: rollback through the batch file did not restore the profile"
}

# 1. Beside the batch files, in a Unicode folder. (No '%' here: Wine's
# cmd.exe scans what %~dp0 expands to for '%' again, which Windows' does
# not; the explicit case below has one.)
beside="$work/NETLOGON/cpuu & co (x86)/^sure^ !x!/Büro 日本"
mkdir -p "$beside"
cp "$WIN/cpuu.exe" "$beside/cpuu.exe"
alice_mapping "$beside/mapping.csv"
run_case beside "$beside" "$beside" --mapping "$(winpath "$beside/mapping.csv")" \
	--state-dir "$(winpath "$beside/state")"

# 2. Explicit paths elsewhere (ASCII, every special character of cmd.exe).
far="$work/apps/cpuu & co (x86)/100% ^sure^ !x! [1]"
mkdir -p "$far" "$work/scripts"
cp "$WIN/cpuu.exe" "$far/cpuu.exe"
alice_mapping "$far/mapping.csv"
run_case explicit "$work/scripts" "$far" --exe "$(winpath "$far/cpuu.exe")" \
	--mapping "$(winpath "$far/mapping.csv")" --state-dir "$(winpath "$far/state")"

wine_finish "the wizard's batch files carry every path intact through cmd.exe"
