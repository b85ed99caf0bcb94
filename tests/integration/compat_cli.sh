#!/usr/bin/env bash
# The established tool's command line and INI files (docs/compat.md, issue 12
# item 4): its switches are aliases (-ini, -Log, -Profiles, -Critical,
# -ExcludeScpLookupNever; one dash, any case); an INI in its layout (keys from
# its administration guide, as summarised in ../shared/reference/
# cpuu-behaviour.md) loads with one warning per key cpuu does not do and none
# for the keys it honours, which take effect; AllowAdditionalServices skips a
# profile holding a service it does not list; an unknown -Critical name is
# refused before anything changes.
set -u
. "${CPUU_SOURCE_DIR:?}/tests/support/demo_hive.sh"
demo_hive compat

# An INI in the established tool's layout: its keys, one section (the guide
# names none; cpuu knows them in any section), plus cpuu's [Mapping].
cat >"$work/legacy.ini" <<INI
[Settings]
Admin = SOURCE\\migadmin
Password = 0x1234ENCRYPTED
AdminTrg = TARGET\\migadmin
PasswordTrg = 0x5678ENCRYPTED
AskCredentials = 0
AskSourceCredentialsOnly = 0
AllowAdditionalServices = MSEMS, MSPST AB, MSPST MS, MSUPST MS, CONTAB
AutodiscoverSrcFile = \\\\srv\\ad\\source.xml
AutodiscoverTrgFile = \\\\srv\\ad\\target.xml
AutodiscoverDomainsFQDNs = source.example
Critical = AddBoxes Rules
AddBoxes = 0
CONTAB = 1
Delegates = 1
Rules = 1
SRS = 1
SearchFolders = 1
Shortcuts = 1
Activities = 1
FolderLists = 1
ExcludeScpLookupNever = 1
[Mapping]
File = $map
INI
ignored="Admin Password AdminTrg PasswordTrg AskCredentials AskSourceCredentialsOnly AutodiscoverSrcFile AutodiscoverTrgFile AutodiscoverDomainsFQDNs Delegates Rules SRS SearchFolders Shortcuts Activities FolderLists"
fresh
out=$("$CPUU" update -INI "$work/legacy.ini" --hive "$hive" --json 2>"$work/err")
rc=$?
[ "$rc" -eq 1 ] || fail "legacy INI: exit $rc, want 1 ($(cat "$work/err"))"
for k in $ignored; do
	grep -q ":[0-9]*: $k: the established tool's key; .*; ignored" "$work/err" || fail "no warning for $k"
done
n=$(grep -c "warning" "$work/err")
# One per ignored key, plus Critical's Rules (cpuu does not migrate rules).
want=$(($(echo $ignored | wc -w) + 1))
[ "$n" -eq "$want" ] || fail "legacy INI: $n warnings, want $want: $(cat "$work/err")"
grep -q "Critical: Rules: cpuu does not migrate" "$work/err" || fail "Critical Rules not warned"
grep -q "0x1234ENCRYPTED\|0x5678ENCRYPTED" "$work/err" && fail "a stored password was echoed"
for k in AllowAdditionalServices AddBoxes CONTAB Critical ExcludeScpLookupNever; do
	grep -q ":[0-9]*: $k: \|\] $k: " "$work/err" && fail "honoured key $k warned about: $(grep " $k" "$work/err")"
done
# AddBoxes = 0 took effect (no additional-mailbox record); the accounts switched.
echo "$out" | grep -q '"account":"additional:' && fail "AddBoxes = 0 (legacy key) ignored"
echo "$out" | grep -q '"profile":"Outlook","account":"frank.meyer@source.example","mode":"update","outcome":"switched"' ||
	fail "legacy INI: Outlook not switched: $out"
# ExcludeScpLookupNever = 1: no ExcludeScpLookup value written.
"$CPUU" inspect --hive "$hive" >/dev/null || fail "inspect after legacy run"
if command -v hivexget >/dev/null; then
	v=$(hivexget "$hive" 'Software\Microsoft\Office\16.0\Outlook\AutoDiscover' ExcludeScpLookup 2>/dev/null)
	[ -z "$v" ] || fail "ExcludeScpLookupNever: ExcludeScpLookup written ($v)"
fi

# The switches as aliases: -ini, -Profiles (a list up to the next switch),
# -Log with #u (docs/logging.md), any case.
fresh
printf '[Mapping]\nFile = %s\n' "$map" >"$work/plain.ini"
out=$("$CPUU" update -ini "$work/plain.ini" -profiles "Outlook 2013" -LOG "$work/log_#u.txt" --hive "$hive" --json 2>"$work/err")
rc=$?
[ "$rc" -eq 1 ] || fail "aliases: exit $rc, want 1 ($(cat "$work/err"))"
echo "$out" | grep -q '"profile":"Outlook 2013","account":"frank.meyer@source.example","mode":"update","outcome":"switched"' ||
	fail "-profiles: 'Outlook 2013' not switched: $out"
echo "$out" | grep -q '"profile":"Outlook","account":null,"mode":"update","outcome":"skipped"' ||
	fail "-profiles: 'Outlook' not skipped: $out"
[ -s "$work/log_frank.txt" ] || fail "-Log: no log at $work/log_frank.txt ($(ls "$work"))"

# -Critical: an unknown name is refused (GLOBAL_ERR) and nothing changes.
fresh
"$CPUU" update -ini "$work/plain.ini" -Critical AddBoxes Bogus --hive "$hive" >/dev/null 2>"$work/err"
rc=$?
[ "$rc" -eq 16 ] || fail "-Critical Bogus: exit $rc, want 16"
grep -q "unknown feature 'Bogus'" "$work/err" || fail "-Critical Bogus: $(cat "$work/err")"
cmp -s "$hive" "$work/orig.DAT" || fail "-Critical Bogus changed the hive"

# AllowAdditionalServices without the PST services: the profile with the PST
# is skipped and unchanged; 'All' lifts the rule.
fresh
printf '[General]\nAllowAdditionalServices = MSEMS\n[Mapping]\nFile = %s\n' "$map" >"$work/svc.ini"
out=$("$CPUU" update --config "$work/svc.ini" --hive "$hive" --json 2>/dev/null)
echo "$out" | grep '"profile":"Outlook","account":null' | grep -q '"outcome":"skipped".*AllowAdditionalServices' ||
	fail "AllowAdditionalServices = MSEMS: Outlook (with a PST) not skipped: $out"
echo "$out" | grep -q '"profile":"Outlook 2013","account":"frank.meyer@source.example","mode":"update","outcome":"switched"' ||
	fail "AllowAdditionalServices = MSEMS: Outlook 2013 not switched"
fresh
printf '[General]\nAllowAdditionalServices = All\n[Mapping]\nFile = %s\n' "$map" >"$work/svc.ini"
out=$("$CPUU" update --config "$work/svc.ini" --hive "$hive" --json 2>/dev/null)
echo "$out" | grep -q '"profile":"Outlook","account":"frank.meyer@source.example","mode":"update","outcome":"switched"' ||
	fail "AllowAdditionalServices = All: Outlook not switched: $out"

# No command word, as the established tool's logon scripts call it: the
# mode [General] Mode names over the logged-on user's registry (--live:
# Windows only, so here a clear refusal, not "unknown command").
"$CPUU" -ini "$work/plain.ini" -Log "$work/x.log" >/dev/null 2>"$work/err"
rc=$?
grep -q "unknown command" "$work/err" && fail "no-command form: $(cat "$work/err")"
[ "$rc" -eq 16 ] || fail "no-command form on Linux: exit $rc, want 16 (GLOBAL_ERR: no live registry)"

[ "$fails" -eq 0 ] && echo "established switches, INI layout, Critical names, AllowAdditionalServices: as documented"
exit $((fails > 0))
