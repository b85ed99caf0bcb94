#!/usr/bin/env bash
# The directory suite against two real Active Directory DCs (Samba AD, source
# and target forests, tests/support/samba-forest.sh): map export, live and
# file lookups, X500, update over live LDAP, and what AD does differently
# from the slapd suite (referrals in results, the global catalog, paged
# results (PageSize 200), an object with more than 1500 proxyAddresses, strong-auth
# refusal of plain simple binds, UPN binds, targetAddress as switch signal).
#   - the export's counts equal the generator's (expected.tsv);
#   - through the CLI, for a sample of every key kind (every 50th key, every
#     10th key without a target, every ambiguous and unknown key, the first 21
#     users' keys, every shared/room mailbox key, bigbox's first and last
#     X500), the live answer equals the expected one and the mapping file's
#     answer (every key, in-process: tests/unit/test_directory_samba.c);
#   - bind failures give their documented exit code and one line, never a
#     result.
set -u
: "${CPUU:?}" "${CPUU_SOURCE_DIR:?}" "${CPUU_FIXTURE:?}"

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-samba-XXXXXX")
export CPUU_SAMBA_CACHE=${CPUU_SAMBA_CACHE:-${CPUU_BINARY_DIR:-$work}/samba-cache}
forest="$CPUU_SOURCE_DIR/tests/support/samba-forest.sh"
cleanup() {
	bash "$forest" stop "$work/forest"
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
bash "$forest" start "$work/forest" $$
rc=$?
[ $rc -eq 77 ] && { echo "Samba AD cannot run here: skip"; exit 77; }
[ $rc -eq 0 ] || { echo "FAIL: the Samba DCs did not start"; exit 1; }
. "$work/forest/env"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# ini NAME [Source lines] [Target lines] [Switch lines] [extra sections]
ini() {
	cat >"$work/$1" <<INI
[Source]
Url = $SRC_LDAPS_URL
CACertFile = $SAMBA_CA
BaseDN = $SRC_BASE
BindDN = $SRC_BIND
PasswordFile = $SRC_PWFILE
TimeoutSeconds = 10
PageSize = 200
${2:-}
[Target]
Url = $TRG_URL
StartTLS = yes
CACertFile = $SAMBA_CA
BaseDN = $TRG_BASE
BindDN = $TRG_BIND
PasswordFile = $TRG_PWFILE
TimeoutSeconds = 10
PageSize = 200
${3:-}
[Correspondence]
Attribute = extensionAttribute1
Side = target
Holds = objectGUID
[Switch]
${4:-Attribute = extensionAttribute10
Value = cpuu-switched
Side = source}
${5:-}
INI
}

echo "  [${SECONDS}s]"
# --- export: every source mailbox, paged by 200
ini live.ini
"$CPUU" map export --config "$work/live.ini" --out "$work/mapping.csv" >"$work/export.out" 2>&1 ||
	fail "export: $(cat "$work/export.out")"
read -r n _ none _ < <(awk -F'\t' '$1 == "ldn" && $3 != "no_source" { n++; s[$3]++ }
	END { print n, s["found"] + 0, s["no_target"] + 0, s["ambiguous"] + 0 }' "$EXPECTED" "$RANGED")
# Two source objects sharing an X500 are one ambiguous case in the summary.
# The generator counts both users sharing an X500 (and the one with two
# targets) as ambiguous keys; the export counts objects, so only the totals
# are compared.
want="$n source mailbox(es).* $none without target"
grep -q "$want" "$work/export.out" || fail "export summary: $(cat "$work/export.out") (want $want)"
[ "$n" -ge 1000 ] || fail "only $n source mailboxes"
echo "  export: $(cat "$work/export.out")"

# --- the same export with targetAddress on the source as the switch signal
ini ta.ini "" "" "Attribute = targetAddress
Present = yes
Side = source"
"$CPUU" map export --config "$work/ta.ini" --out "$work/mapping-ta.csv" >/dev/null 2>&1 || fail "export (targetAddress)"
cmp -s <(sort "$work/mapping.csv") <(sort "$work/mapping-ta.csv") ||
	fail "targetAddress switch signal differs from extensionAttribute10: $(diff <(sort "$work/mapping.csv") <(sort "$work/mapping-ta.csv") | head -3)"

# --- the global catalog (3269, LDAPS) answers like the domain's LDAP
ini gc.ini "Url = $SRC_GCS_URL"
"$CPUU" map export --config "$work/gc.ini" --out "$work/mapping-gc.csv" >"$work/gc.out" 2>&1 || fail "export via GC: $(cat "$work/gc.out")"
cmp -s <(sort "$work/mapping.csv") <(sort "$work/mapping-gc.csv") || fail "the global catalog's export differs"

echo "  [${SECONDS}s]"
# --- lookups: live = expected = mapping file
ini file.ini "" "" "" "[Mapping]
File = $work/mapping.csv"
awk -F'\t' 'BEGIN { OFS = "\t" }
	{ i++ }
	$2 ~ /bigbox/ && $1 == "x500" { bx++; if (bx <= 2 || bx >= 1599) print; next }
	i % 50 == 0 || ($3 != "found" && i % 10 == 0) || $3 == "ambiguous" || $3 == "no_source" ||
		$2 ~ /(shared|room)[0-9]|user00(0[0-9]|1[0-9]|20)/ { print }' \
	"$EXPECTED" >"$work/sample.tsv"
echo "  $(wc -l <"$work/sample.tsv") of $(wc -l <"$EXPECTED") keys looked up live and in the file"
check_one() { # one expected line -> FAIL lines on stdout
	IFS=$'\t' read -r kind key status _ t_smtp _ _ _ _ switched <<<"$1"
	local live lrc file frc want
	live=$("$CPUU" map lookup --config "$work/live.ini" --json "$key" 2>&1)
	lrc=$?
	case $status in found) want=0 ;; ambiguous) want=9 ;; *) want=3 ;; esac
	[ "$lrc" = "$want" ] || echo "FAIL: live $key: exit $lrc, want $want: $live"
	case $live in *"\"status\":\"$status\""*) ;; *) echo "FAIL: live $key: $live (want $status)" ;; esac
	if [ "$switched" = 1 ]; then
		case $live in *'"switched":true'*) ;; *) echo "FAIL: live $key: not switched" ;; esac
	else
		case $live in *'"switched":false'*) ;; *) echo "FAIL: live $key: switched" ;; esac
	fi
	[ "$status" = found ] && case $live in *"\"target_smtp\":\"$t_smtp\""*) ;; *) echo "FAIL: live $key: target smtp" ;; esac
	[ "$kind" = smtp2 ] && return 0 # secondary SMTP addresses: directory only
	file=$("$CPUU" map lookup --config "$work/file.ini" --json "$key" 2>&1)
	frc=$?
	[ "$frc" = "$lrc" ] || echo "FAIL: file $key: exit $frc, live $lrc"
	[ "${file/\"answered_by\":\"mapping\"/}" = "${live/\"answered_by\":\"directory\"/}" ] ||
		echo "FAIL: file and live differ for $key: $file vs $live"
	return 0
}
export -f check_one
export CPUU work
tr '\n' '\0' <"$work/sample.tsv" | xargs -0 -P 2 -n 1 bash -c 'check_one "$1"' _ >"$work/lookups.out"
n_lf=$(grep -c '^FAIL' "$work/lookups.out")
[ "$n_lf" = 0 ] || { head -20 "$work/lookups.out"; fail "$n_lf lookup failure(s)"; }
# Contacts and groups are not mailboxes, even when they carry a user's address.
out=$("$CPUU" map lookup --config "$work/live.ini" --json contact05@partner.example)
[ $? = 3 ] && case $out in *'"status":"no_source"'*) true ;; *) false ;; esac || fail "contact found as a mailbox: $out"
out=$("$CPUU" map lookup --config "$work/live.ini" --json group01@source.example)
[ $? = 3 ] || fail "group found as a mailbox: $out"
# Ranged values through the CLI: rangebox's last X500 (value 3,001) read in
# ranges of 500 (the test hook; in-process: test_directory_samba.c).
key=$(awk -F'\t' '$1 == "x500" { k = $2 } END { print k }' "$RANGED")
out=$(CPUU_TEST_LDAP_RANGE_STEP=500 "$CPUU" map lookup --config "$work/live.ini" --json "$key")
[ $? = 0 ] && case $out in *'"status":"found"'*'"target_smtp":"rangebox@target.example"'*) true ;; *) false ;; esac ||
	fail "rangebox's last X500 in ranges of 500: $out"

echo "  [${SECONDS}s]"
# --- binds and their refusals: exit code, one line, no result, no password
expect_err() { # code name ini
	local out rc
	out=$("$CPUU" map lookup --config "$work/$3" user0002@source.example 2>"$work/err.all")
	rc=$?
	grep -v '^cpuu: warning:' "$work/err.all" >"$work/err"
	[ "$rc" = "$1" ] || fail "$2: exit $rc, want $1 ($(cat "$work/err"))"
	[ "$(wc -l <"$work/err")" = 1 ] || fail "$2: not one line: $(cat "$work/err")"
	grep -qF "$(cat "$SRC_PWFILE")" "$work/err" && fail "$2: password in message"
	case $out in *switched* | *no_source* | *no_target*) fail "$2: printed a result: $out" ;; esac
	echo "  $2: $(cat "$work/err")"
}
ini badpw.ini "PasswordFile = $WRONG_PWFILE"
expect_err 11 "wrong password (AD: data 52e)" badpw.ini
ini plain.ini "Url = $SRC_URL"
expect_err 11 "simple bind without TLS (AD: strong auth required)" plain.ini
ini wrongca.ini "CACertFile = $SAMBA_WRONG_CA"
expect_err 12 "LDAPS, certificate not from the CA" wrongca.ini
ini wrongca-st.ini "" "CACertFile = $SAMBA_WRONG_CA"
expect_err 12 "StartTLS, certificate not from the CA" wrongca-st.ini
ini nouser.ini "BindDN = nobody@source.example"
expect_err 11 "unknown account" nouser.ini
ini nobase.ini "BaseDN = OU=Nowhere,DC=source,DC=example"
"$CPUU" map export --config "$work/nobase.ini" --out "$work/x.csv" >/dev/null 2>"$work/nobase.err"
rc=$?
[ "$rc" != 0 ] && grep -q "does not exist" "$work/nobase.err" || fail "missing base DN: exit $rc, $(cat "$work/nobase.err")"

# --- Kerberos (SASL GSSAPI) from Linux: a ticket from the source KDC, the
# source read over ldap:// (Kerberos signs and seals), the same mapping.
if command -v kinit >/dev/null 2>&1; then
	export KRB5_CONFIG=$KRB5_SRC_CONF KRB5CCNAME="FILE:$work/krb5cc"
	kinit -k -t "$SRC_KEYTAB" cpuu@SOURCE.EXAMPLE || fail "kinit with the service account's keytab"
	ini krb.ini "Url = $SRC_URL
BindMethod = kerberos"
	"$CPUU" map export --config "$work/krb.ini" --out "$work/mapping-krb.csv" >"$work/krb.out" 2>&1 ||
		fail "export with Kerberos: $(cat "$work/krb.out")"
	cmp -s <(sort "$work/mapping.csv") <(sort "$work/mapping-krb.csv") || fail "the Kerberos export differs"
	ini krb-tls.ini "BindMethod = kerberos"
	expect_err 11 "Kerberos inside TLS (AD refuses the sealed layer there)" krb-tls.ini
	KRB5CCNAME="FILE:$work/no-such-cache" expect_err 11 "Kerberos without a ticket" krb.ini
	unset KRB5_CONFIG KRB5CCNAME
else
	echo "  kinit not installed: Kerberos binds not tested"
fi

# --- referrals: a search from the domain root returns continuation
# references to the configuration and DNS partitions on a host name that
# does not resolve here; the export above succeeded, and did not wait.
refs=$(LDAPTLS_CACERT=$SAMBA_CA ldapsearch -x -H "$SRC_LDAPS_URL" -D "$SRC_BIND" -w "$(cat "$SRC_PWFILE")" \
	-b "$SRC_BASE" '(cn=user0001)' dn 2>/dev/null | grep -c '^ref: ldap')
[ "${refs:-0}" -gt 0 ] || fail "the DC returned no referral: the export above proved nothing about them"

echo "  [${SECONDS}s]"
# --- X500: plan, apply, re-apply adds nothing; bigbox's 1601 addresses
"$CPUU" map x500 --config "$work/live.ini" --out "$work/x500.ldif" >"$work/x1.out" 2>&1 || fail "x500: $(cat "$work/x1.out")"
planned=$(sed -n 's/^\([0-9]*\) X500 address(es) to add.*/\1/p' "$work/x1.out")
[ "${planned:-0}" -gt 1600 ] || fail "x500 plans ${planned:-0}, want > 1600 (bigbox alone has 1600): $(cat "$work/x1.out")"
"$CPUU" map x500 --config "$work/live.ini" --apply >"$work/x2.out" 2>&1 || fail "x500 --apply: $(cat "$work/x2.out")"
grep -q "^applied: $planned X500 address(es) added" "$work/x2.out" || fail "first apply: $(cat "$work/x2.out")"
"$CPUU" map x500 --config "$work/live.ini" --apply >"$work/x3.out" 2>&1 || fail "second apply: $(cat "$work/x3.out")"
grep -q "^applied: 0 X500" "$work/x3.out" || fail "second apply added something: $(cat "$work/x3.out")"
cnt=$(LDAPTLS_CACERT=$SAMBA_CA ldapsearch -LLL -o ldif-wrap=no -x -H "$TRG_LDAPS_URL" -D "$TRG_BIND" \
	-w "$(cat "$TRG_PWFILE")" -b "$TRG_BASE" '(cn=bigbox)' proxyAddresses | grep -ci '^proxyAddresses: x500:')
# 1600 from the source's history and the source legacyExchangeDN.
[ "$cnt" = 1601 ] || fail "bigbox target has $cnt X500 addresses, want 1601"

echo "  [${SECONDS}s]"
# --- update over live LDAP equals update over the exported file
python3 - "$work/mapping.csv" "$work/user.fixture" "$work/expect" <<'PY' || fail "no sample users"
import csv, sys
csv.field_size_limit(1 << 30)  # rangebox: 3,000 X500 addresses in one field
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
def pick(switched):
    for r in rows:
        if r["switched"].lower() == switched and r["target_legacy_dn"] and r["source_mailbox_guid"] and r["target_kind"] != "online":
            return r
    raise SystemExit("no row with switched=%s" % switched)
a, b = pick("true"), pick("false")
with open(sys.argv[2], "w") as f:
    f.write("[profile Outlook]\nversion = 16.0\ndefault = yes\n")
    for r, cached in ((a, "yes"), (b, "no")):
        f.write("[exchange]\ndisplay_name = %s\nsmtp = %s\nlegacy_dn = %s\nmailbox_guid = %s\ncached = %s\n"
                % (r["source_smtp"], r["source_smtp"], r["source_legacy_dn"], r["source_mailbox_guid"], cached))
open(sys.argv[3], "w").write("%s\n%s\n%s\n" % (a["source_smtp"], a["target_smtp"], b["source_smtp"]))
PY
read -r a_src a_trg b_src < <(tr '\n' ' ' <"$work/expect")
mkdir -p "$work/ulive" "$work/ufile"
"$CPUU_FIXTURE" --hive "$work/ulive/NTUSER.DAT" "$work/user.fixture" >/dev/null || fail "fixture"
cp "$work/ulive/NTUSER.DAT" "$work/ufile/NTUSER.DAT"
"$CPUU" update --config "$work/live.ini" --hive "$work/ulive/NTUSER.DAT" --json >"$work/ulive.jsonl"
rc=$?
[ "$rc" -eq 3 ] || fail "live update exit $rc, want 3: $(cat "$work/ulive.jsonl")"
"$CPUU" update --mapping "$work/mapping.csv" --hive "$work/ufile/NTUSER.DAT" --json >"$work/ufile.jsonl"
rc=$?
[ "$rc" -eq 3 ] || fail "file update exit $rc, want 3: $(cat "$work/ufile.jsonl")"
grep -q "\"account\":\"$a_src\".*\"outcome\":\"switched\"" "$work/ulive.jsonl" || fail "live: $a_src not switched"
"$CPUU" inspect --hive "$work/ulive/NTUSER.DAT" --json >"$work/ulive.json"
"$CPUU" inspect --hive "$work/ufile/NTUSER.DAT" --json >"$work/ufile.json"
cmp -s "$work/ulive.json" "$work/ufile.json" || fail "live and file updates differ"
grep -qF "\"smtp\": \"$a_trg\"" "$work/ulive.json" || fail "target SMTP $a_trg not in the profile"
# A refused bind during update: GLOBAL_ERR, the hive untouched.
mkdir -p "$work/ubad" && "$CPUU_FIXTURE" --hive "$work/ubad/NTUSER.DAT" "$work/user.fixture" >/dev/null
sum=$(sha256sum <"$work/ubad/NTUSER.DAT")
"$CPUU" update --config "$work/badpw.ini" --hive "$work/ubad/NTUSER.DAT" >/dev/null 2>"$work/ubad.err"
rc=$?
[ $((rc & 16)) -eq 16 ] || fail "refused bind: update exit $rc, want GLOBAL_ERR (16)"
[ "$sum" = "$(sha256sum <"$work/ubad/NTUSER.DAT")" ] || fail "refused bind: hive changed"

[ "$fails" = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok"
