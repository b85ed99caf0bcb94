#!/usr/bin/env bash
# Issue 16 at the command line: one writer per hive (a second cpuu run on a
# hive another run holds waits, is refused and changes nothing; the first
# finishes normally), a corrupt hive refused with exit 5 before anything,
# and --config / --mapping inputs that are FIFOs or devices refused at once;
# names from the hive with control characters shown escaped in every text
# output, exact in JSON; backups of an older cpuu (no owner tag) kept by
# Update and removed by Cleanup only from the hive's own state folder; the
# user's Outlook folder swapped for a link right before the commit: the
# OST/OAB/Autodiscover moves refused, nothing outside changed.
# The second run is started by the first one at a fault point
# (CPUU_FAULT=update:before-commit:run), so the overlap is certain.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}" "${CPUU_SOURCE_DIR:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-safety-XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
mkdir -p "$work/users/frank"
hive="$work/users/frank/NTUSER.DAT"
"$CPUU_FIXTURE" --hive "$hive" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
printf '[Mapping]\nFile = %s/examples/mapping.csv\n' "$CPUU_SOURCE_DIR" >"$work/cpuu.ini"

# 1. The second run, inside the first one's lock.
second="env -u CPUU_FAULT -u CPUU_FAULT_RUN '$CPUU' update --config '$work/cpuu.ini' --hive '$hive' \
>'$work/second.out' 2>'$work/second.err'; echo \$? >'$work/second.rc'; cp '$hive' '$work/during.DAT'"
cp "$hive" "$work/before.DAT"
CPUU_FAULT=update:before-commit:run CPUU_FAULT_RUN="$second" \
	"$CPUU" update --config "$work/cpuu.ini" --hive "$hive" >"$work/first.out" 2>"$work/first.err"
rc=$?
[ "$rc" -eq 1 ] || fail "first run: exit $rc, want 1 (SUCCESS): $(cat "$work/first.err")"
[ -f "$work/second.rc" ] || fail "the second run never ran"
rc2=$(cat "$work/second.rc" 2>/dev/null || echo none)
[ "$rc2" -eq 20 ] 2>/dev/null || fail "second run: exit $rc2, want 20 (SWITCH_ERR|GLOBAL_ERR)"
grep -q "another cpuu run holds this hive" "$work/second.err" || fail "second run's message: $(cat "$work/second.err")"
cmp -s "$work/before.DAT" "$work/during.DAT" || fail "the refused run changed the hive"
grep -q "switched" "$work/first.out" || fail "the first run did not switch: $(cat "$work/first.out")"
[ ! -e "$work/users/frank/.NTUSER.DAT.cpuu-lock" ] || fail "lock file left behind"
# Afterwards the hive is free again: a rerun finds everything done.
"$CPUU" update --config "$work/cpuu.ini" --hive "$hive" >"$work/third.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "rerun: exit $rc, want 1: $(cat "$work/third.out")"

# 2. A corrupt hive (the root key's subkey list made to point at the root:
# a cycle) is refused with exit 5 by inspect and as a hive error by update,
# and no byte changes.
cp "$hive" "$work/cycle.DAT"
python3 - "$work/cycle.DAT" <<'EOF' || fail "could not build the cycle hive"
import struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
root = struct.unpack_from('<I', b, 36)[0] + 0x1000
lst = struct.unpack_from('<I', b, root + 4 + 0x1C)[0] + 0x1000
assert b[lst + 4:lst + 6] in (b'lf', b'lh', b'li'), b[lst + 4:lst + 6]
struct.pack_into('<I', b, lst + 8, root - 0x1000)   # first subkey -> the root
open(p, 'wb').write(bytes(b))
EOF
cp "$work/cycle.DAT" "$work/cycle.orig"
"$CPUU" inspect --hive "$work/cycle.DAT" >/dev/null 2>"$work/inspect.err"
rc=$?
[ "$rc" -eq 5 ] || fail "inspect of a cyclic hive: exit $rc, want 5"
grep -q "corrupt hive" "$work/inspect.err" || fail "inspect message: $(cat "$work/inspect.err")"
"$CPUU" update --config "$work/cpuu.ini" --hive "$work/cycle.DAT" >/dev/null 2>"$work/update.err"
rc=$?
[ $((rc & 16)) -ne 0 ] && [ $((rc & 1)) -eq 0 ] || fail "update of a cyclic hive: exit $rc, want GLOBAL_ERR and no SUCCESS"
cmp -s "$work/cycle.DAT" "$work/cycle.orig" || fail "a refused hive changed"

# 3. Inputs that would block or never end: refused at once.
mkfifo "$work/fifo.ini"
timeout 20 "$CPUU" update --config "$work/fifo.ini" --hive "$hive" >/dev/null 2>"$work/fifo.err"
rc=$?
[ "$rc" -ne 124 ] || fail "--config FIFO blocked"
grep -q "not a regular file" "$work/fifo.err" || fail "--config FIFO message: $(cat "$work/fifo.err")"
timeout 20 "$CPUU" update --config "$work/cpuu.ini" --mapping /dev/zero --hive "$hive" >/dev/null 2>"$work/zero.err"
rc=$?
[ "$rc" -ne 124 ] || fail "--mapping /dev/zero did not end"
grep -q "not a regular file" "$work/zero.err" || fail "--mapping /dev/zero message: $(cat "$work/zero.err")"

# 4. Names are data: a profile name and an account display name carrying
# terminal escape sequences, a line break and U+202E (RIGHT-TO-LEFT
# OVERRIDE) reach no text output raw (docs/update.md, "What is shown").
# No fixture can write such names: Win::Hivex renames the profile and
# rewrites the display name in a copy of a fixture hive.
if perl -MWin::Hivex -e 1 2>/dev/null; then
	SRC_AG="/o=Source/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
	TRG_AG="/o=Target/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
	printf '%s\n' "[profile EvilProfile]" "default = yes" "[exchange]" "display_name = EVILDISPLAY" \
		"smtp = alice@source.example" "legacy_dn = ${SRC_AG}alice" \
		"mailbox_guid = 11111111-2222-4333-8444-555555555555" "cached = no" >"$work/evil.fixture"
	{
		echo "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched"
		echo "${SRC_AG}alice,alice@source.example,11111111-2222-4333-8444-555555555555,,${TRG_AG}alice,alice@target.example,aaaaaaaa-2222-4333-8444-555555555555,Alice Example,onprem,aaaaaaaa-2222-4333-8444-555555555555@target.example,true"
	} >"$work/evil.csv"
	printf '[Mapping]\nFile = %s\n[General]\nLogFile = %s\n' "$work/evil.csv" "$work/evil.log" >"$work/evil.ini"
	cat >"$work/evil.pl" <<'PERL'
use strict; use warnings; use Encode; use Win::Hivex;
my ($file, $name, $disp) = map { decode('UTF-8', $_) } @ARGV;
my $h = Win::Hivex->open($file, write => 1);
my $node = $h->root;
$node = $h->node_get_child($node, $_) or die "no $_" for qw(Software Microsoft Office 16.0 Outlook Profiles);
my $old = $h->node_get_child($node, 'EvilProfile') or die 'no EvilProfile';
my ($from, $to) = (encode('UTF-16LE', 'EVILDISPLAY'), encode('UTF-16LE', $disp));
sub copy {
	my ($src, $dst) = @_;
	my @vals;
	for my $v ($h->node_values($src)) {
		my ($type, $data) = $h->value_value($v);
		$data =~ s/\Q$from\E/$to/g;
		push @vals, { key => $h->value_key($v), t => $type, value => $data };
	}
	$h->node_set_values($dst, \@vals);
	copy($_, $h->node_add_child($dst, $h->node_name($_))) for $h->node_children($src);
}
copy($old, $h->node_add_child($node, $name));
$h->node_delete_child($old);
$h->node_set_value($h->node_parent($node), { key => 'DefaultProfile', t => 1, value => encode('UTF-16LE', "$name\0") });
$h->commit(undef);
PERL
	# No raw C0 control but the line ends, no DEL, C1 or bidi override.
	. "$CPUU_SOURCE_DIR/tests/support/raw_free.sh"
	name=$(printf 'Evil\033[31mRED\033[0m\342\200\256exe.txt')
	disp=$(printf 'Alice \033]0;pwned\007\n\342\200\256X')
	shown_name='Evil\x1b[31mRED\x1b[0m\u202eexe.txt'
	shown_disp='Alice \x1b]0;pwned\x07\x0a\u202eX'
	"$CPUU_FIXTURE" --hive "$work/evil0.DAT" "$work/evil.fixture" >/dev/null
	cp "$work/evil0.DAT" "$work/evil.DAT"
	perl "$work/evil.pl" "$work/evil.DAT" "$name" "$disp" || fail "could not plant the names"
	"$CPUU" inspect --hive "$work/evil.DAT" >"$work/e-inspect.out" 2>&1
	"$CPUU" inspect --hive "$work/evil.DAT" --json >"$work/e-inspect.json" 2>&1
	"$CPUU" update --config "$work/evil.ini" --hive "$work/evil.DAT" --dry-run >"$work/e-dry.out" 2>&1
	"$CPUU" update --config "$work/evil.ini" --hive "$work/evil.DAT" >"$work/e-update.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "update of the hive with hostile names: exit $rc: $(cat -v "$work/e-update.out")"
	"$CPUU" update --config "$work/evil.ini" --hive "$work/evil.DAT" --json >"$work/e-update.json" 2>&1
	"$CPUU" rollback --config "$work/evil.ini" --hive "$work/evil.DAT" >"$work/e-rollback.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "rollback of the hive with hostile names: exit $rc: $(cat -v "$work/e-rollback.out")"
	# A line break in the profile name: the .reg backup cannot hold it, so
	# the update is refused; its message names the key, escaped.
	cp "$work/evil0.DAT" "$work/evilnl.DAT"
	perl "$work/evil.pl" "$work/evilnl.DAT" "$(printf 'Evil\033[2J\nforged line')" "$disp" ||
		fail "could not plant the names"
	"$CPUU" update --config "$work/evil.ini" --hive "$work/evilnl.DAT" >"$work/e-refused.out" 2>&1
	texts=("$work/e-inspect.out" "$work/e-dry.out" "$work/e-update.out" "$work/e-rollback.out"
		"$work/e-refused.out" "$work/evil.log")
	hit=$(raw_free "${texts[@]}") || fail "raw control characters in: $hit"
	for f in e-inspect.out e-dry.out e-update.out e-rollback.out evil.log; do
		grep -qF "$shown_name" "$work/$f" || fail "$f does not show the profile name escaped: $(cat -v "$work/$f" | head -5)"
	done
	grep -qF "$shown_disp" "$work/e-inspect.out" || fail "inspect does not show the display name escaped"
	grep -qF 'Evil\x1b[2J\x0aforged line' "$work/e-refused.out" ||
		fail "the refusal does not show the name escaped: $(cat -v "$work/e-refused.out")"
	! grep -q '^forged line' "$work/e-refused.out" "$work/evil.log" || fail "a name forged a line"
	# JSON keeps the exact names, as JSON escapes.
	hit=$(raw_free "$work/e-inspect.json" "$work/e-update.json") || fail "raw control characters in JSON: $hit"
	python3 - "$work/e-inspect.json" "$name" "$disp" <<'PY' || fail "inspect --json does not carry the exact names"
import json, sys
d = json.load(open(sys.argv[1]))
p = d['profiles'][0]
assert p['name'] == sys.argv[2], p['name']
assert any(a.get('display_name') == sys.argv[3] for a in p['accounts']), p['accounts']
PY
else
	echo "note: perl Win::Hivex missing (scripts/install-deps.sh test): names with control characters not tested"
fi

# 5. Backups of an older cpuu (backup-<time>-<n>.reg, no owner tag): the
# committed hive's entries are made to name one (as an older cpuu wrote
# them), and unnamed ones (a rolled-back run's, a killed run's temp) lie
# beside it. Update never sweeps any of them; Rollback restores from the
# named one and retires it; Cleanup removes the retired one and the
# unnamed older ones from the hive's own state folder, and leaves older
# ones in a state folder given by --state-dir (maybe shared) alone.
if perl -MWin::Hivex -e 1 2>/dev/null; then
	mkdir -p "$work/old/u"
	oh="$work/old/u/NTUSER.DAT"
	"$CPUU_FIXTURE" --hive "$oh" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
	cp "$oh" "$work/old/orig.DAT"
	"$CPUU" update --config "$work/cpuu.ini" --hive "$oh" >/dev/null 2>&1
	st="$oh.cpuu"
	tagged=$(cd "$st" && ls backup-*.reg)
	legacy=backup-20240101T080000Z-1.reg
	mv "$st/$tagged" "$st/$legacy"
	perl -MWin::Hivex -MEncode -e '
		my ($file, $from, $to) = @ARGV;
		my $h = Win::Hivex->open($file, write => 1);
		my $k = $h->root;
		$k = $h->node_get_child($k, $_) for qw(Software cpuu Backups);
		my @v = map { my ($t, $d) = $h->value_value($_);
			my $s = decode("UTF-16LE", $d); $s =~ s/\Q$from\E/$to/;
			{ key => $h->value_key($_), t => $t, value => encode("UTF-16LE", $s) } } $h->node_values($k);
		$h->node_set_values($k, \@v);
		$h->commit(undef);' "$oh" "$tagged" "$legacy" || fail "could not rename the backup entries"
	printf 'old' >"$st/backup-20240101T070000Z-1.reg"     # a rolled-back older run's
	printf 'tmp' >"$st/backup-20240101T070000Z-2.reg.tmp.4242.0" # a killed older run's temp
	printf 'x' >"$st/notes.txt"                            # not cpuu's
	"$CPUU" update --config "$work/cpuu.ini" --hive "$oh" >"$work/old/up.out" 2>&1
	for f in "$legacy" backup-20240101T070000Z-1.reg backup-20240101T070000Z-2.reg.tmp.4242.0; do
		[ -f "$st/$f" ] || fail "update swept the older backup $f"
	done
	"$CPUU" rollback --config "$work/cpuu.ini" --hive "$oh" >"$work/old/rb.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "rollback from an older backup: exit $rc: $(cat "$work/old/rb.out")"
	hivexregedit --export "$oh" '\' >"$work/old/after.reg" 2>/dev/null
	hivexregedit --export "$work/old/orig.DAT" '\' >"$work/old/orig.reg" 2>/dev/null
	cmp -s "$work/old/after.reg" "$work/old/orig.reg" || fail "rollback from an older backup: hive differs"
	[ ! -e "$st/$legacy" ] && ls "$st" | grep -q '^retired-' || fail "the older backup used was not retired: $(ls "$st")"
	"$CPUU" cleanup --config "$work/cpuu.ini" --hive "$oh" >"$work/old/cl.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] || fail "cleanup: exit $rc: $(cat "$work/old/cl.out")"
	[ "$(ls "$st" 2>/dev/null)" = "notes.txt" ] || fail "cleanup left: $(ls "$st"); $(cat "$work/old/cl.out")"
	[ "$(grep -c 'of an older cpuu no entry names: removed' "$work/old/cl.out")" -eq 2 ] ||
		fail "cleanup's records: $(cat "$work/old/cl.out")"
	# A state folder given by --state-dir: older backups stay, said once.
	mkdir -p "$work/old/shared"
	printf 'old' >"$work/old/shared/backup-20240101T070000Z-1.reg"
	"$CPUU" cleanup --config "$work/cpuu.ini" --hive "$oh" --state-dir "$work/old/shared" >"$work/old/cl2.out" 2>&1
	[ -f "$work/old/shared/backup-20240101T070000Z-1.reg" ] || fail "cleanup removed an older backup of a shared folder"
	grep -q 'skipped - 1 backup file of an older cpuu (no owner tag) left in the shared state folder' \
		"$work/old/cl2.out" || fail "cleanup did not say it left one: $(cat "$work/old/cl2.out")"
fi

# 6. The user's Outlook folder swapped for a link to a folder outside at the
# last moment before the commit (after every check and plan; the OST, OAB
# and cached Autodiscover moves come after the commit): every move is
# refused and reported, nothing outside changes (names, sizes, bytes).
mkdir -p "$work/sw/users/frank" "$work/sw/outside/Offline Address Books"
sh="$work/sw/users/frank/NTUSER.DAT"
ol="$work/sw/users/frank/AppData/Local/Microsoft/Outlook"
mkdir -p "$ol/Offline Address Books"
"$CPUU_FIXTURE" --hive "$sh" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null
for d in "$ol" "$work/sw/outside"; do
	printf ost >"$d/frank.meyer@source.example.ost"
	printf oab >"$d/Offline Address Books/u.oab"
	printf xml >"$d/frank - Autodiscover.xml"
done
tree_of() { (cd "$1" && find . -printf '%p %s %y\n' | LC_ALL=C sort && find . -type f -exec cat {} + | md5sum); }
tree_of "$work/sw/outside" >"$work/sw/outside.before"
CPUU_FAULT=update:before-commit:run CPUU_FAULT_RUN="mv '$ol' '$ol.real' && ln -s '$work/sw/outside' '$ol'" \
	"$CPUU" update --config "$work/cpuu.ini" --hive "$sh" --user-dir "$work/sw/users/frank" >"$work/sw/up.out" 2>&1
rc=$?
[ $((rc & 4)) -ne 0 ] || fail "moves through a swapped-in link: exit $rc, want SWITCH_ERR: $(cat "$work/sw/up.out")"
tree_of "$work/sw/outside" >"$work/sw/outside.after"
cmp -s "$work/sw/outside.before" "$work/sw/outside.after" ||
	fail "outside the user folder changed: $(diff "$work/sw/outside.before" "$work/sw/outside.after")"
[ "$(grep -c 'a component is a link' "$work/sw/up.out")" -ge 3 ] ||
	fail "the refused moves are not all reported: $(cat "$work/sw/up.out")"

[ "$fails" -eq 0 ] && echo "one writer per hive, corrupt hive refused, bounded inputs, names shown escaped, older backups, link swaps"
exit $((fails > 0))
