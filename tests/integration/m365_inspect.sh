#!/bin/bash
# cpuu inspect shows the Microsoft 365 state beside the profiles (docs/m365.md,
# docs/inspect-json.md "Microsoft 365"): a fixture hive with keys of
# ../shared/reference/m365-cutover.md §3 merged in (hivexregedit), read as
# JSON and text; the planted token never appears in either; --source-domains
# decides which identity and accounts are the source's.
set -u
skip() { echo "SKIP: $*"; exit 77; }
[ -n "${CPUU:-}" ] && [ -x "$CPUU" ] || skip "CPUU (the cpuu CLI) is not built"
[ -n "${CPUU_FIXTURE:-}" ] && [ -x "$CPUU_FIXTURE" ] || skip "CPUU_FIXTURE (cpuu-fixture) is not built"
command -v python3 >/dev/null || skip "python3 missing"
command -v hivexregedit >/dev/null || skip "hivexregedit missing"
SRC=${CPUU_SOURCE_DIR:?}
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-m365-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

hive=$work/NTUSER.DAT
"$CPUU_FIXTURE" --hive "$hive" "$SRC/examples/demo.fixture" >/dev/null || { echo "FAIL: fixture"; exit 1; }
cat >"$work/m365.reg" <<'REG'
Windows Registry Editor Version 5.00

[\Software\Microsoft\Office\16.0\Common]

[\Software\Microsoft\Office\16.0\Common\Identity]
"FederationProvider"="https://sts.source.example/adfs/services/trust"
"DisableAADWAM"=dword:00000001

[\Software\Microsoft\Office\16.0\Common\Identity\Identities]

[\Software\Microsoft\Office\16.0\Common\Identity\Identities\0a1b_ADAL]
"EmailAddress"="alice@source.example"
"ProviderId"="ADAL"
"FederationProvider"="https://sts.source.example/adfs/services/trust"
"AuthToken"=hex:70,6c,61,6e,74,65,64,2d,74,6f,6b,65,6e,2d,35,35,61,61
"RefreshTokenCache"="planted-token-55aa"

[\Software\Microsoft\Office\16.0\Common\Identity\Identities\2c3d_ADAL]
"EmailAddress"="alice@target.example"
"ProviderId"="ADAL"

[\Software\Microsoft\Office\16.0\Outlook\AutoDiscover]
"ExcludeExplicitO365Endpoint"=dword:00000001

[\Software\Policies]

[\Software\Policies\Microsoft]

[\Software\Policies\Microsoft\Office]

[\Software\Policies\Microsoft\Office\16.0]

[\Software\Policies\Microsoft\Office\16.0\Outlook]

[\Software\Policies\Microsoft\Office\16.0\Outlook\AutoDiscover]
"ZeroConfigExchange"=dword:00000001

[\Software\Microsoft\Office\16.0\Outlook\Preferences]
"UseNewOutlook"=dword:00000001

[\Software\Microsoft\OneDrive]

[\Software\Microsoft\OneDrive\Accounts]

[\Software\Microsoft\OneDrive\Accounts\Business1]
"UserEmail"="alice@source.example"

[\Software\Microsoft\Office\Teams]
"HomeUserUpn"="alice@target.example"
REG
hivexregedit --merge "$hive" --prefix '' "$work/m365.reg" || { echo "FAIL: hivexregedit --merge"; exit 1; }
before=$(sha256sum <"$hive")

"$CPUU" inspect --hive "$hive" --json --source-domains "source.example, old.example" >"$work/out.json" ||
	fail "inspect --json failed"
"$CPUU" inspect --hive "$hive" --source-domains source.example >"$work/out.txt" || fail "inspect (text) failed"
[ "$before" = "$(sha256sum <"$hive")" ] || fail "inspect changed the hive"
grep -q "planted-token" "$work/out.json" "$work/out.txt" && fail "the planted token was printed"

python3 - "$work/out.json" <<'PY' || fail "JSON facts differ"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["profiles", "m365"], list(d)
assert d["profiles"], "the profiles are still there"
m = d["m365"]
assert list(m) == ["identities", "findings"]
ids = {i["id"]: i for i in m["identities"]}
assert ids["0a1b_ADAL"]["source"] is True and ids["0a1b_ADAL"]["reset"] is False, ids
assert ids["2c3d_ADAL"]["source"] is False, ids
assert list(ids["0a1b_ADAL"]) == ["version", "id", "email", "provider", "federation_provider", "tenant", "source", "reset"]
assert ids["0a1b_ADAL"]["tenant"] is None
f = {(x["kind"], x["name"]): x for x in m["findings"]}
assert f[("health", "DisableAADWAM")]["problem"] is True
assert f[("autodiscover", "ExcludeExplicitO365Endpoint")]["value"] == "1"
assert f[("autodiscover-policy", "ZeroConfigExchange")]["problem"] is True
assert f[("new-outlook", "UseNewOutlook")]["value"] == "1"
assert f[("onedrive", "Business1")]["source"] is True
assert f[("teams", "HomeUserUpn")]["source"] is False
assert f[("identity-root", "FederationProvider")]["value"].startswith("https://sts.source.example")
for x in m["findings"]:
    assert list(x) == ["kind", "version", "key", "name", "value", "source", "problem", "note"], x
PY
grep -q "identity 16.0 0a1b_ADAL: alice@source.example (ADAL) \[source\]" "$work/out.txt" || fail "text: source identity"
grep -q "health 16.0: DisableAADWAM = 1 \[problem\]" "$work/out.txt" || fail "text: health finding"

# Without source domains nothing is the source's.
"$CPUU" inspect --hive "$hive" --json >"$work/plain.json" || fail "inspect without domains"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["m365"]; sys.exit(any(i["source"] for i in m["identities"]))' \
	"$work/plain.json" || fail "an identity is the source's without source domains"

# New Teams (MSIX): its package folder in the user's profile folder is
# reported (Microsoft documents no place of its account); none without it.
grep -q "new-teams" "$work/out.json" "$work/out.txt" && fail "new Teams reported without a user folder"
mkdir -p "$work/alice/AppData/Local/Packages/MSTeams_8wekyb3d8bbwe/LocalCache/Microsoft/MSTeams"
"$CPUU" inspect --hive "$hive" --json --user-dir "$work/alice" >"$work/teams.json" || fail "inspect --user-dir"
"$CPUU" inspect --hive "$hive" --user-dir "$work/alice" >"$work/teams.txt" || fail "inspect --user-dir (text)"
python3 - "$work/teams.json" <<'PY' || fail "JSON: new Teams not reported"
import json, sys
m = json.load(open(sys.argv[1]))["m365"]
t = [x for x in m["findings"] if x["kind"] == "new-teams"]
assert len(t) == 1, t
assert t[0]["key"] == "AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe" and t[0]["value"] is None, t
assert t[0]["source"] is False and "no documented place" in t[0]["note"], t
PY
grep -q "^  new-teams" "$work/teams.txt" || fail "text: new Teams not reported: $(cat "$work/teams.txt")"
"$CPUU" inspect --hive "$hive" --json --user-dir "$work/nobody" | grep -q new-teams && fail "new Teams reported for a folder without it"

[ "$failures" -eq 0 ] && echo "m365 inspect: ok"
exit $((failures > 0))
