# The Wine side of a test of the Windows build (sourced, not run):
# tests/integration/wine_*.sh. One fresh prefix per test, so no test sees
# another's registry, and the same environment for all of them.
#
#   . "$CPUU_SOURCE_DIR/tests/support/wine.sh"
#   wine_need [FILE...]     exit 77 (skip) unless each FILE is in the Windows
#                           build (default: cpuu.exe cpuu-fixture.exe) and
#                           wine is installed; do the test's own skips
#                           (slapd, python3, ...) after it, before wine_prefix
#   wine_prefix NAME [--null-graphics]
#                           $work: a fresh folder (cpuu-NAME-XXXXXX under
#                           $TMPDIR), removed at exit; WINEPREFIX=$work/prefix
#                           booted (64-bit, no Mono/Gecko, no display, quiet)
#                           with one persistent wineserver for the whole test
#                           (a wine command started while the previous one's
#                           server is shutting down can fail to start its
#                           child under load); HKCU checked usable.
#                           --null-graphics: Wine's null graphics driver, for
#                           tests whose programs open real (invisible) windows
#   wine_finish "MESSAGE"   exit 0 printing MESSAGE when no check failed,
#                           else exit 1 printing the count
#
# Sets SRC (CPUU_SOURCE_DIR), WIN (CPUU_WIN_BUILD, else $SRC/build-win),
# work, WINEPREFIX and the WINE* variables, fails (0). Gives:
#   skip MSG                exit 77
#   fail MSG                print FAIL: MSG and count it in $fails
#   winpath PATH            the Windows path of a Linux path (Z:\...)
#   export_key KEY FILE     reg export KEY to FILE (UTF-16LE .reg text, what
#                           tests compare byte for byte); fail when it fails
#   wine_user               wuser (the Wine user) and home (its profile
#                           folder under drive_c/users); skip without them
#   user_files_sum          sha256sum of every file under $home/AppData but
#                           cpuu's own (state folder, logs) and Temp
#   user_state NAME         user_files_sum into $work/NAME.files and
#                           HKCU\Software into $work/NAME.reg
#   user_state_same A B WHAT
#                           fail (saying WHAT) unless states A and B have the
#                           same files and HKCU\Software byte for byte
#   alice_fixture FILE CACHED [LINE...]
#                           cpuu-fixture text: a default Outlook 2016 profile
#                           with alice's Exchange account (source side),
#                           cached = CACHED, then the LINEs
#   alice_mapping FILE      a mapping CSV: alice switched to the target
#   MAPPING_HEADER          the mapping CSV's header line
#   SRC_AG, TRG_AG          the source's and the target's recipients
#                           container (legacyExchangeDN prefix)
# At exit: the test's own function wine_test_cleanup if it defines one (its
# clients, its servers), then this prefix's wineserver (only ours), then
# $work.
#
# A test in full (tests/integration/wine_exit_bits.sh is a short one):
#   set -u
#   . "${CPUU_SOURCE_DIR:?}/tests/support/wine.sh"
#   wine_need
#   wine_prefix mytest
#   alice_fixture "$work/alice.fixture" no
#   alice_mapping "$work/mapping.csv"
#   wine "$WIN/cpuu-fixture.exe" --live "$(winpath "$work/alice.fixture")" >/dev/null 2>&1 || fail "fixture"
#   wine "$WIN/cpuu.exe" update --live --mapping "$(winpath "$work/mapping.csv")" ... || fail "..."
#   wine_finish "mytest: what it showed"

SRC=${CPUU_SOURCE_DIR:?}
WIN=${CPUU_WIN_BUILD:-$SRC/build-win}
fails=0
SRC_AG="/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
TRG_AG="/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
MAPPING_HEADER="source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
winpath() { local p=${1//\//\\}; printf 'Z:%s' "$p"; }

wine_need() {
	local f
	[ "$#" -gt 0 ] || set -- cpuu.exe cpuu-fixture.exe
	for f in "$@"; do
		[ -f "$WIN/$f" ] || skip "no $f in $WIN (run 'make windows')"
	done
	command -v wine >/dev/null || skip "wine is not installed (scripts/install-deps.sh windows)"
}

wine_cleanup() {
	declare -F wine_test_cleanup >/dev/null && wine_test_cleanup
	wineserver -k >/dev/null 2>&1 # this prefix's server only
	rm -rf "$work"
}

wine_boot() { # [--null-graphics]: a new prefix
	wineboot -i >/dev/null 2>&1
	wineserver -w
	if [ "${1:-}" = --null-graphics ]; then
		wine reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f >/dev/null 2>&1
		wineserver -w
	fi
}

wine_prefix() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-$1-XXXXXX")
	export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEARCH=win64
	export WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
	unset WAYLAND_DISPLAY
	trap wine_cleanup EXIT
	echo "wine: $(wine --version 2>/dev/null); prefix $WINEPREFIX"
	wine_boot "${2:-}"
	wineserver -p
	# Under load (the ASan pass beside the Samba DCs) wineboot has once left a
	# prefix whose HKCU was not readable yet: let it finish its update and ask
	# again (three times at most) before calling the prefix unusable.
	# Once (three Wine tests starting together on a loaded machine) wineboot
	# -i left a prefix without its DLLs ("could not load kernel32.dll"),
	# which no update repairs: such a prefix is made again from nothing.
	local try
	for try in 1 2 3; do
		wine reg query 'HKCU\Software' >"$work/hkcu.err" 2>&1 && return 0
		echo "wine: HKCU not readable yet (try $try): $(tail -n 1 "$work/hkcu.err")"
		wineserver -k >/dev/null 2>&1 # the persistent server, or -w waits forever
		if grep -q 'could not load' "$work/hkcu.err"; then
			wineserver -w
			rm -rf "$WINEPREFIX"
			wine_boot "${2:-}"
		else
			wineboot -u >/dev/null 2>&1
		fi
		wineserver -w
		wineserver -p
	done
	echo "FAIL: wineboot left no usable HKCU"
	exit 1
}

export_key() { # key file
	rm -f "$2"
	# One retry: reg.exe itself failed once in many runs (not cpuu's doing).
	wine reg export "$1" "$(winpath "$2")" /y >"$work/export.err" 2>&1 ||
		{ sleep 1; wine reg export "$1" "$(winpath "$2")" /y >"$work/export.err" 2>&1; } ||
		fail "reg export $1: $(cat "$work/export.err")"
}

wine_user() {
	wuser=$(wine cmd /c 'echo %USERNAME%' 2>/dev/null | tr -d '\r\n')
	[ -n "$wuser" ] || skip "no Wine user name"
	home="$WINEPREFIX/drive_c/users/$wuser"
	[ -d "$home" ] || skip "no Wine profile folder $home"
}

user_files_sum() {
	(cd "$home/AppData" && find . -type f ! -path './Local/cpuu/*' ! -path './Local/Temp/*' \
		! -name 'cpuu-*.log' -print0 | sort -z | xargs -0 sha256sum)
}

user_state() { # name
	user_files_sum >"$work/$1.files"
	export_key 'HKCU\Software' "$work/$1.reg"
}

user_state_same() { # a b what
	cmp -s "$work/$1.files" "$work/$2.files" ||
		fail "$3: the user's files differ: $(diff "$work/$1.files" "$work/$2.files" | head -6)"
	cmp -s "$work/$1.reg" "$work/$2.reg" || fail "$3: HKCU\\Software differs"
}

alice_fixture() { # file cached [line...]
	local f=$1 cached=$2
	shift 2
	printf '%s\n' "[profile Outlook]" "version = 16.0" "default = yes" "[exchange]" \
		"display_name = Alice Example" "smtp = alice@source.example" "legacy_dn = ${SRC_AG}alice" \
		"mailbox_guid = 11111111-2222-4333-8444-555555555555" "cached = $cached" "$@" >"$f"
}

alice_mapping() { # file
	printf '%s\n' "$MAPPING_HEADER" \
		"${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true" \
		>"$1"
}

wine_finish() { # message
	if [ "$fails" -ne 0 ]; then
		echo "$fails failure(s)"
		exit 1
	fi
	echo "$1"
	exit 0
}
