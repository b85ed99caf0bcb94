#!/bin/bash
# The user's notice ([M365] Notice, docs/m365.md) through the logon path
# under Wine: the wizard's CPUU_Update.bat, `cpuu.exe update --live`, an
# Exchange Online scenario and a mailbox not switched yet. The run must end
# while the notice is still on screen (a detached `cpuu.exe --show-notice`
# holding a message box nobody clicks: nothing waits for the user), say so
# in its record, and mark HKCU\Software\cpuu\Notice; the second logon shows
# nothing new. Skips (77) without the Windows build or Wine.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
: "${CPUU:?}"
wine_need
# The notice's message box waits for a click that never comes: the prefix's
# processes (this test's own) end with its wineserver, at exit.
# No X display: Wine's null graphics driver still gives real windows.
wine_prefix winenotice --null-graphics
wine_user

# cached = yes: what the fixture gives when no cached line is there.
alice_fixture "$work/user.fixture" yes
wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/user.fixture")" >/dev/null 2>&1 || fail "cpuu-fixture --live"

# The deployment: Exchange Online target, alice's mailbox known but not
# switched yet, and the notice text (a "\n" line break in it).
net="$work/NETLOGON/cpuu"
mkdir -p "$net"
cp "$WIN/cpuu.exe" "$net/cpuu.exe"
printf '%s\n' "$MAPPING_HEADER" \
	"${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,,alice@target.example,,Alice Example,online,,false" \
	>"$net/mapping.csv"
"$CPUU" wizard --yes --out "$net" --mapping "$(winpath "$net/mapping.csv")" >/dev/null || fail "cpuu wizard"
sed -i "s/^\\[General\\]\r\?$/[General]\r\nScenario = onprem-to-exo\r/" "$net/cpuu.ini" # the wizard writes CRLF
printf '\n[M365]\nNotice = Your mailbox moves to Microsoft 365 on Friday.\\nPlease have your new password ready.\nNoticeTitle = Mailbox move\n' >>"$net/cpuu.ini"

bat() { # name -> exit code; a run that waited for the user would hit the timeout
	(cd "$net" && timeout 300 wine cmd /c "$1") >"$work/bat.out" 2>&1
}
log() { find "$home" -name cpuu-update.log -exec cat {} + 2>/dev/null; }
notices() { # how many notice processes of this prefix are up (the box still open)
	local n=0 p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- '--show-notice' || continue
		tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "WINEPREFIX=$WINEPREFIX" && n=$((n + 1))
	done
	echo "$n"
}
mark() { wine reg query 'HKCU\Software\cpuu\Notice' /v Shown 2>/dev/null | tr -d '\r' | grep -o '[0-9-]*T[0-9:]*Z'; }

# --- 1. first logon: the notice is shown, not waited for, and marked --------
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 124 ] && fail "first logon: the run waited for the notice (timeout)"
# Not switched (NO_SWITCH_MSG, 2) alone: a notice is no switch and no error.
[ "$rc" -eq 2 ] || fail "first logon: exit $rc, want 2: $(log | tail -n 20)"
log | grep -q 'notice: nothing_to_do (1 change) - notice shown (not waited for)' ||
	fail "first logon: no 'notice shown' record: $(log | tail -n 20)"
m1=$(mark)
[ -n "$m1" ] || fail "first logon: HKCU\\Software\\cpuu\\Notice\\Shown not set"
n=$(notices)
[ "$n" -eq 1 ] || fail "first logon: $n notice processes up after the run ended, want 1 (the box still open)"

# --- 2. second logon: already shown, nothing new on screen ------------------
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 2 ] || fail "second logon: exit $rc, want 2: $(log | tail -n 20)"
log | grep -q "notice already shown ($m1)" || fail "second logon: no 'already shown' record: $(log | tail -n 20)"
[ "$(mark)" = "$m1" ] || fail "second logon: the mark changed"
n=$(notices)
[ "$n" -eq 1 ] || fail "second logon: $n notice processes up, want still 1"

# --- 3. the switch, with OfficeActivation = on: no notice any more, and the
# Licensing key (licence-token bytes planted) moved aside inside HKCU through
# the live registry API; Rollback puts it back byte-exact ---------------------
lic='HKCU\Software\Microsoft\Office\16.0\Common\Licensing'
wine reg add "$lic" /v LicenseData /t REG_BINARY /d 6579304a7459616e746564746f6b656e /f >/dev/null 2>&1
wine reg add "$lic" /v NextUserLicensingLicenseIds /t REG_SZ /d planted-licence-token-5b1e /f >/dev/null 2>&1
wine reg add "$lic" /v Mode /t REG_DWORD /d 3 /f >/dev/null 2>&1
wine reg add "$lic\LicensingNext" /v o365bizrcat /t REG_MULTI_SZ /d 'a\0planted-licence-token-5b1e' /f >/dev/null 2>&1
export_key "$lic" "$work/lic0.reg"
[ -s "$work/lic0.reg" ] || fail "the planted Licensing key could not be exported"
sed -i 's/,false$/,true/' "$net/mapping.csv"
printf '\n[Features]\nOfficeActivation = on\n' >>"$net/cpuu.ini"
bat CPUU_Update.bat
rc=$?
[ "$rc" -eq 1 ] || fail "switch: exit $rc, want 1: $(log | tail -n 20)"
log | grep -q 'activation: switched (1 change) - Common\\Licensing key moved to Licensing.cpuu-old' ||
	fail "switch: no activation record: $(log | tail -n 20)"
wine reg query "$lic" >/dev/null 2>&1 && fail "switch: the Licensing key is still there"
export_key "$lic.cpuu-old" "$work/lic1.reg"
# reg export writes UTF-16LE: compared as text, the aside key's name put back.
python3 - "$work/lic0.reg" "$work/lic1.reg" <<'PY' ||
import sys
a, b = (open(f, "rb").read().decode("utf-16") for f in sys.argv[1:3])
sys.exit(0 if b.replace("Licensing.cpuu-old", "Licensing") == a else 1)
PY
	fail "switch: Licensing.cpuu-old differs from the key it was: $(diff "$work/lic0.reg" "$work/lic1.reg" | head -6)"
n=$(notices)
[ "$n" -eq 1 ] || fail "switch: $n notice processes up, want still 1 (a switched mailbox needs no notice)"
bat CPUU_Rollback.bat
rc=$?
[ "$rc" -eq 1 ] || fail "rollback: exit $rc, want 1: $(log | tail -n 20)"
export_key "$lic" "$work/lic2.reg"
cmp -s "$work/lic0.reg" "$work/lic2.reg" || fail "rollback: Licensing not restored byte-exact: $(diff "$work/lic0.reg" "$work/lic2.reg" | head -6)"
wine reg query "$lic.cpuu-old" >/dev/null 2>&1 && fail "rollback: Licensing.cpuu-old is still there"
# The planted token in no file cpuu wrote (state folder, log), ASCII or UTF-16.
for f in $(find "$home/AppData/Local/cpuu" "$home" -maxdepth 4 -type f \( -path '*/cpuu/*' -o -name 'cpuu-*.log' \) 2>/dev/null); do
	if grep -qa 'planted-licence-token-5b1e' "$f" ||
		python3 -c 'import sys; sys.exit(0 if "planted-licence-token-5b1e".encode("utf-16-le") in open(sys.argv[1],"rb").read() else 1)' "$f"; then
		fail "the planted licence token is in $f"
	fi
done

wine_finish "PASS: the notice was shown once without holding up the logon run, and marked; Licensing moved aside and back byte-exact"
