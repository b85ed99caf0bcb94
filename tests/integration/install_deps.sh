#!/usr/bin/env bash
# A fresh machine must pass: every command that a test, the demo or a
# benchmark runs comes from a package that scripts/install-deps.sh names (or
# one Debian marks Essential, or a direct dependency of a named one).
# Commands are found by reading the scripts at command positions (start of a
# line, after | && || ; $( ` then do else ! exec time timeout N) and resolved
# on this machine with `command -v` and `dpkg -S`, so a developer machine
# where a package happens to be installed can no longer hide a missing step.
set -u
: "${CPUU_SOURCE_DIR:?}"
src=$CPUU_SOURCE_DIR
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v dpkg-query >/dev/null || { echo "skip: not a Debian system"; exit 77; }

# Every package the install step names, over all its groups.
named=$(bash "$src/scripts/install-deps.sh" --list build test windows | sort -u)
[ -n "$named" ] || fail "no package list read from scripts/install-deps.sh"
for must in libhivex-bin slapd postgresql wine; do
	grep -qx "$must" <<<"$named" || fail "install-deps.sh --list missed '$must' (its format changed?)"
done
# A package pulled in only as another's dependency does not count: that is
# how the PostgreSQL command-line client (postgresql-client-common, under
# postgresql) once went unnamed; no test runs that client now (the report
# tests reach PostgreSQL through libpq, tests/support/pg.sh through initdb
# and pg_ctl of the named server package).

# scripts/fuzz.sh is left out: it installs its own clang when asked to fuzz.
scripts=$(ls "$src"/tests/integration/*.sh "$src"/tests/support/*.sh "$src"/scripts/demo.sh \
	"$src"/scripts/bench.sh "$src"/scripts/install-deps.sh "$src"/bench/*.sh \
	"$src"/tests/data/ldap/*.py 2>/dev/null)
# Words in command position, from shell scripts: '#' comments, here-document
# bodies (embedded Python, fixtures) and single-quoted text dropped; a word
# followed by '=' is an assignment, not a command.
words=$(for f in $scripts; do
	case "$f" in *.py) echo python3; continue ;; esac
	awk '
		heredoc != "" { if ($0 ~ "^[[:space:]]*" heredoc "$") heredoc = ""; next }
		{ line = $0
		  if (match(line, /<<-?[[:space:]]*["\047]?[A-Za-z_]+/)) {
			h = substr(line, RSTART, RLENGTH); gsub(/[<"\047[:space:]-]/, "", h); heredoc = h }
		  gsub(/\047[^\047]*\047/, "", line)
		  sub(/^[[:space:]]*#.*$/, "", line); sub(/[[:space:]]#.*$/, "", line)
		  print line }' "$f" |
		grep -oE '(^|[|;&`(!]|\$\(|\b(then|do|else|exec|time|command|timeout( -[a-z]+ [A-Z0-9]+)? [0-9.]+[smh]?))[[:space:]]*[a-z][a-z0-9_.+-]*([[:space:]]|$|[;|&)])' |
		sed -E 's/[[:space:];|&)]+$//' | grep -oE '[a-z][a-z0-9_.+-]*$'
done | sort -u)
# Commands the C benchmarks and tests run through popen/system/exec.
cwords=$(grep -hoE '"(hivexregedit|hivexsh|reged|sqlite3|openssl|wine|chromium|slapd|ldapsearch|initdb|pg_ctl)[ "]' \
	"$src"/bench/*.c "$src"/tests/unit/*.c 2>/dev/null | tr -d '" ' | sort -u)

# Each command resolved as on a fresh machine (no /usr/local, no pyenv shims);
# merged /usr means dpkg may know /bin/x rather than /usr/bin/x. One dpkg -S
# for all of them: it reads every package's file list per call.
declare -A owner=()
cands=()
for w in $words $cwords; do
	[ "$(type -t "$w" 2>/dev/null)" = file ] || continue
	path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$w" || true)
	owner[$w]=
	for c in "$path" "$(readlink -f "$path" 2>/dev/null)" "/bin/$w" "/sbin/$w" "/usr/sbin/$w" "/usr/bin/$w"; do
		[ -n "$c" ] && [ -e "$c" ] && cands+=("$c")
	done
done
declare -A pkg_of=()
while IFS= read -r line; do
	p=${line%%: *}; f=${line#*: }
	pkg_of[$f]=${p%%:*}
done < <(dpkg -S "${cands[@]}" 2>/dev/null | grep -v '^diversion ')
checked=0
for w in "${!owner[@]}"; do
	path=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$w" || true)
	pkg=
	for c in "$path" "$(readlink -f "$path" 2>/dev/null)" "/bin/$w" "/sbin/$w" "/usr/sbin/$w" "/usr/bin/$w"; do
		[ -z "$pkg" ] && [ -n "$c" ] && pkg=${pkg_of[$c]:-}
	done
	[ -n "$pkg" ] || { echo "note: '$w' (${path:-not in /usr/bin or /bin}) belongs to no package: not checked"; continue; }
	checked=$((checked + 1))
	if grep -qx "$pkg" <<<"$named"; then continue; fi
	[ "$(dpkg-query -W -f='${Essential}' "$pkg" 2>/dev/null)" = yes ] && continue
	# Priority required (mawk, ...) is on every Debian system; apt itself runs
	# the install step, so a machine without it installs nothing.
	[ "$(dpkg-query -W -f='${Priority}' "$pkg" 2>/dev/null)" = required ] && continue
	[ "$pkg" = apt ] && continue
	fail "command '$w' comes from package '$pkg', which scripts/install-deps.sh does not name"
done
[ "$checked" -ge 10 ] || fail "only $checked commands checked: the script reader is broken"
echo "checked $checked commands used by the suite, the demo and the benchmarks"
exit $((fails > 0))
