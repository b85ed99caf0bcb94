#!/bin/bash
# The logon path under Wine, as a workstation runs it: the wizard's
# CPUU_Update.bat started by Wine's cmd.exe, `cpuu.exe update --live` with no
# user folder, state folder or user on its command line. cpuu must find the
# user's folders the Windows way (known folders) and do at logon what it
# does offline with --user-dir:
#  - the old OST, the offline address book and the cached Autodiscover XML
#    go aside; the RoamCache autocomplete stream is rewritten and handed
#    over as <profile>.nk2 with a RunOnce import;
#  - Outlook-like programs (a real window; tests/windows/mapi_window.c) are
#    stopped only when the run changes something: a polite one closes on
#    WM_CLOSE, a stubborn one is ended; a second logon (nothing to change)
#    and a rollback or cleanup with nothing to undo stop neither;
#  - CPUU_Rollback.bat puts HKCU and every file back byte-exact;
#  - the PRF route writes its .prf under the user's Local AppData.
# Skips (77) without the Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need cpuu.exe cpuu-fixture.exe cpuu-test-mapi-window.exe
command -v python3 >/dev/null || skip "python3 is not installed"
clients=()
wine_test_cleanup() { for p in "${clients[@]}"; do kill "$p" 2>/dev/null; done; }
# No X display: Wine's null graphics driver still gives real (invisible to
# anyone) top-level windows with messages, which is what procstop talks to.
wine_prefix winelogon --null-graphics
wine_user # the Wine user and their profile folder (C:\users\<name>)
local_ad="$home/AppData/Local"
roam_ad="$home/AppData/Roaming"

OST_WIN="C:\\Users\\$wuser\\AppData\\Local\\Microsoft\\Outlook\\alice@source.example.ost"
alice_fixture "$work/user.fixture" yes "ost = $OST_WIN"
wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/user.fixture")" >/dev/null 2>&1 || fail "cpuu-fixture --live"

# The user's files: the OST, the offline address book, a cached Autodiscover
# answer, and the autocomplete stream (outlook-profile.md section 5, 12/0 as
# in RoamCache) with alice by her source legacyExchangeDN.
ol="$local_ad/Microsoft/Outlook"
mkdir -p "$ol/RoamCache" "$ol/Offline Address Books/abc" "$roam_ad/Microsoft/Outlook"
head -c 65536 /dev/urandom >"$ol/alice@source.example.ost"
printf 'oab of the source\n' >"$ol/Offline Address Books/abc/udetails.oab"
printf '<Autodiscover>source</Autodiscover>\n' >"$ol/1f2e3d4c - Autodiscover.xml"
python3 "$SRC/tests/support/autocomplete-stream.py" \
	"$ol/RoamCache/Stream_Autocomplete_0_0123456789ABCDEF0123456789ABCDEF.dat" "Alice Example" "${SRC_AG}alice" \
	alice@source.example

runonce='HKCU\Software\Microsoft\Windows\CurrentVersion\RunOnce'
user_files_sum >"$work/files0.txt"
export_key 'HKCU\Software\Microsoft\Office' "$work/office0.reg"
wine reg query "$runonce" >"$work/runonce0.txt" 2>&1

# The deployment: the wizard's folder with cpuu.exe and the mapping; the
# clients' grace period short (the stubborn one waits it out).
net="$work/NETLOGON/cpuu"
mkdir -p "$net"
cp "$WIN/cpuu.exe" "$net/cpuu.exe"
alice_mapping "$net/mapping.csv"
"$CPUU" wizard --yes --out "$net" --mapping "$(winpath "$net/mapping.csv")" >/dev/null || fail "cpuu wizard"
printf '\n[Processes]\nGraceSeconds = 5\n' >>"$net/cpuu.ini"

# Two "MAPI clients" under names the default list knows: OUTLOOK.EXE closes
# when asked, lync.exe ignores WM_CLOSE. Each started in the background; its
# wine process ends with the Windows process's exit code.
mkdir -p "$work/apps"
cp "$WIN/cpuu-test-mapi-window.exe" "$work/apps/OUTLOOK.EXE"
cp "$WIN/cpuu-test-mapi-window.exe" "$work/apps/lync.exe"
start_clients() { # round
	local r=$1
	wine "$work/apps/OUTLOOK.EXE" "$(winpath "$work/ol$r")" >/dev/null 2>&1 &
	polite=$!
	wine "$work/apps/lync.exe" "$(winpath "$work/ly$r")" stubborn >/dev/null 2>&1 &
	stubborn=$!
	clients+=("$polite" "$stubborn")
	for _ in $(seq 1 120); do
		[ -f "$work/ol$r.ready" ] && [ -f "$work/ly$r.ready" ] && return 0
		sleep 0.5
	done
	fail "round $r: the client windows did not come up"
}
# Both clients still running and never asked to close.
untouched() { # round what
	local r=$1
	kill -0 "$polite" 2>/dev/null && kill -0 "$stubborn" 2>/dev/null ||
		fail "$2 stopped a client although it had nothing to change"
	[ -e "$work/ol$r.closed" ] || [ -e "$work/ly$r.asked" ] && fail "$2 asked a client to close"
}
# The polite one closed itself (exit 0) and the stubborn one was asked, then ended.
stopped() { # round what
	local r=$1 rc
	wait "$polite"
	rc=$?
	[ -e "$work/ol$r.closed" ] && [ "$rc" -eq 0 ] || fail "$2: OUTLOOK.EXE was not closed politely (exit $rc)"
	wait "$stubborn"
	rc=$?
	[ -e "$work/ly$r.asked" ] || fail "$2: lync.exe was never asked to close"
	[ "$rc" -ne 0 ] || fail "$2: lync.exe ended by itself, not by cpuu"
}
bat() { # name -> exit code, output in $work/bat.out
	(cd "$net" && wine cmd /c "$1") >"$work/bat.out" 2>&1
}
log_tail() { find "$home" -name cpuu-update.log -exec tail -n 30 {} + 2>/dev/null; }

# --- 1. first logon: everything switches, the clients are stopped -----------
start_clients 1
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 1 ] || fail "first logon: CPUU_Update.bat exit $rc, want 1 (SUCCESS): $(log_tail)"
stopped 1 "first logon"
wine "$net/cpuu.exe" inspect --live --json 2>/dev/null | grep -qF '"alice@target.example"' ||
	fail "first logon: the profile was not switched"
[ -f "$ol/alice@source.example.ost.cpuu-old" ] && [ ! -e "$ol/alice@source.example.ost" ] ||
	fail "first logon: the old OST was not moved aside: $(ls "$ol")"
[ -d "$ol/Offline Address Books.cpuu-old" ] || fail "first logon: the offline address book was not moved aside"
[ -f "$ol/1f2e3d4c - Autodiscover.xml.cpuu-old" ] || fail "first logon: the cached Autodiscover XML was not moved aside"
[ -s "$roam_ad/Microsoft/Outlook/Outlook.nk2" ] || fail "first logon: no Outlook.nk2 handed over: $(log_tail)"
python3 - "$roam_ad/Microsoft/Outlook/Outlook.nk2" "${TRG_AG}alice" <<'PY' || fail "first logon: Outlook.nk2 does not name the target"
import sys
d = open(sys.argv[1], "rb").read()
assert sys.argv[2].encode("utf-16-le") in d
PY
wine reg query "$runonce" 2>/dev/null | grep -qi 'importnk2 /profile "Outlook"' ||
	fail "first logon: no RunOnce import of the hand-over"
ls "$local_ad/cpuu/"*.reg >/dev/null 2>&1 || fail "first logon: no backup in <Local AppData>\\cpuu (the known folder)"

# --- 2. second logon: nothing to change, nothing stopped ---------------------
user_state s1
start_clients 2
bat CPUU_Update.bat
rc=$?
# Already switched is SUCCESS (1) alone: nothing failed, nobody refused.
[ "$rc" -eq 1 ] || fail "second logon: exit $rc, want 1: $(log_tail)"
sleep 1
untouched 2 "second logon"
user_state s2
user_state_same s1 s2 "second logon"

# --- 3. rollback: the clients of round 2 are stopped, all comes back ---------
bat CPUU_Rollback.bat
rc=$?
[ "$rc" -eq 1 ] || fail "rollback: CPUU_Rollback.bat exit $rc, want 1"
stopped 2 "rollback"
user_files_sum >"$work/files3.txt"
cmp -s "$work/files0.txt" "$work/files3.txt" ||
	fail "rollback did not restore the user's files byte-exact: $(diff "$work/files0.txt" "$work/files3.txt" | head -6)"
export_key 'HKCU\Software\Microsoft\Office' "$work/office3.reg"
cmp -s "$work/office0.reg" "$work/office3.reg" || fail "rollback did not restore HKCU\\Software\\Microsoft\\Office byte-exact"
wine reg query "$runonce" >"$work/runonce3.txt" 2>&1
cmp -s "$work/runonce0.txt" "$work/runonce3.txt" || fail "rollback left the RunOnce import"

# --- 4. rollback and cleanup with nothing to undo stop nothing ---------------
start_clients 3
bat CPUU_Rollback.bat
bat CPUU_Cleanup.bat
sleep 1
untouched 3 "a rollback and a cleanup with nothing to undo"
for p in "$polite" "$stubborn"; do kill "$p" 2>/dev/null; done

# --- 5. the PRF route at logon: the .prf under Local AppData -----------------
printf '\n[Features]\nPRF = true\n' >>"$net/cpuu.ini"
bat CPUU_Update.bat
rc=$?
[ $((rc & 1)) -eq 1 ] || fail "PRF route: exit $rc: $(log_tail)"
[ -s "$local_ad/cpuu/Outlook.prf" ] || fail "PRF route: no .prf in <Local AppData>\\cpuu: $(log_tail)"
grep -q "alice@target.example" "$local_ad/cpuu/Outlook.prf" 2>/dev/null || fail "PRF route: the .prf does not name the target"
bat CPUU_Rollback.bat
[ -e "$local_ad/cpuu/Outlook.prf" ] && fail "PRF route: rollback left the .prf"
export_key 'HKCU\Software\Microsoft\Office' "$work/office5.reg"
cmp -s "$work/office0.reg" "$work/office5.reg" || fail "PRF route: rollback did not restore the profile byte-exact"

# --- 6. Roaming AppData redirected (folder redirection): the hand-over, which
# Outlook would import from there, is skipped and said; the rest works ------
sed -i '/^PRF = true/d' "$net/cpuu.ini"
redir="$work/redirected/Roaming"
mkdir -p "$redir"
wine reg add 'HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\User Shell Folders' /v AppData \
	/t REG_EXPAND_SZ /d "$(winpath "$redir")" /f >/dev/null 2>&1
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 1 ] || fail "redirected: exit $rc: $(log_tail)"
wine "$net/cpuu.exe" inspect --live --json 2>/dev/null | grep -qF '"alice@target.example"' ||
	fail "redirected: the profile was not switched"
[ -e "$roam_ad/Microsoft/Outlook/Outlook.nk2" ] || [ -n "$(find "$redir" -name '*.nk2')" ] &&
	fail "redirected: a hand-over was written although Outlook would not import it"
wine reg query "$runonce" 2>/dev/null | grep -qi importnk2 && fail "redirected: a RunOnce import with no hand-over"
[ -f "$ol/alice@source.example.ost.cpuu-old" ] || fail "redirected: the OST did not go aside"
bat CPUU_Rollback.bat
user_files_sum >"$work/files6.txt"
cmp -s "$work/files0.txt" "$work/files6.txt" || fail "redirected: rollback did not restore the files"

wine_finish "wine_logon: the logon path finds the user's folders and stops clients only to change something"
