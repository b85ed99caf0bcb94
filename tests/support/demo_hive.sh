# The demo user's hive for a CLI test (sourced, not run): tests/integration/
# compat_cli.sh, exit_bits.sh, config_keys.sh.
#
#   . "${CPUU_SOURCE_DIR:?}/tests/support/demo_hive.sh"
#   demo_hive NAME
#
# Needs CPUU, CPUU_FIXTURE and CPUU_SOURCE_DIR. Sets fails (0), fail MSG
# (print FAIL: MSG and count it), work (a fresh folder cpuu-NAME-XXXXXX under
# $TMPDIR, removed at exit unless CPUU_TEST_KEEP is set), map (the example
# mapping, examples/mapping.csv), hive ($work/users/frank/NTUSER.DAT, built
# by cpuu-fixture from examples/demo.fixture; a failure counts), its copy
# $work/orig.DAT, and gives fresh: the hive back as built, its backups gone.

: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
fresh() { cp "$work/orig.DAT" "$hive"; rm -rf "$hive.cpuu"; }

demo_hive() { # name
	work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-$1-XXXXXX")
	[ -n "${CPUU_TEST_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
	map="$CPUU_SOURCE_DIR/examples/mapping.csv"
	mkdir -p "$work/users/frank"
	hive="$work/users/frank/NTUSER.DAT"
	"$CPUU_FIXTURE" --hive "$hive" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null || fail "fixture"
	cp "$hive" "$work/orig.DAT"
}
