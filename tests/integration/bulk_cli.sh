#!/usr/bin/env bash
# Bulk offline runs through the CLI (`cpuu update|rollback --users-dir`):
# 30 users in one folder, among them a hive of garbage, a hive with a
# damaged header, and one whose worker is killed mid-run (CPUU_FAULT with
# CPUU_FAULT_SUBJECT). Checks, with 2 workers, hive by hive and in batches:
#  - every other user is processed and gets one JSON record per account;
#  - the exit bits add up (SUCCESS, NO_SWITCH, GLOBAL_ERR, CRASH);
#  - refused and crashed hives are byte-identical to before, with no temp
#    file left once they are run again;
#  - a third run changes no byte; batches give the same profiles as single
#    commits; a bulk rollback restores every key and value.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-bulk-XXXXXX")
[ -n "${CPUU_TEST_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
AG="/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
SWITCHED=24 # u00..u23 switched; u24..u27 not yet; u28 has no correspondence

map="$work/mapping.csv"
echo "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched" >"$map"
mkdir -p "$work/orig"
for i in $(seq 0 28); do
	u=$(printf 'u%02d' "$i")
	g=$(printf '%012d' "$i")
	mkdir -p "$work/orig/$u"
	printf '[profile Outlook]\nversion = 16.0\ndefault = yes\n[exchange]\ndisplay_name = User %s\nsmtp = %s@source.example\nlegacy_dn = /o=Source%s%s\nmailbox_guid = 11111111-2222-4333-8444-%s\ncached = yes\n' \
		"$u" "$u" "$AG" "$u" "$g" >"$work/$u.fixture"
	"$CPUU_FIXTURE" --hive "$work/orig/$u/NTUSER.DAT" "$work/$u.fixture" >/dev/null || fail "fixture $u"
	[ "$i" -eq 28 ] && continue
	sw=true
	[ "$i" -ge "$SWITCHED" ] && sw=false
	echo "/o=Source$AG$u,$u@source.example,11111111-2222-4333-8444-$g,,/o=Target$AG$u,$u@target.example,aaaaaaaa-2222-4333-8444-$g,User $u,onprem,aaaaaaaa-2222-4333-8444-$g@target.example,$sw" >>"$map"
done
# The one whose worker dies: a normal user, switched, in the middle of the
# list (users go in name order), so batch-mates on both sides.
mkdir -p "$work/orig/u10crash"
cp "$work/orig/u00/NTUSER.DAT" "$work/orig/u10crash/NTUSER.DAT"
# Garbage, and a real hive whose header says it was not written completely.
mkdir -p "$work/orig/garbage" "$work/orig/damaged"
head -c 8192 /dev/urandom >"$work/orig/garbage/NTUSER.DAT"
cp "$work/orig/u01/NTUSER.DAT" "$work/orig/damaged/NTUSER.DAT"
printf '\x77\x77' | dd of="$work/orig/damaged/NTUSER.DAT" bs=1 seek=4 conv=notrunc status=none

sums() { (cd "$1" && find . -name NTUSER.DAT -print0 | sort -z | xargs -0 sha256sum); }
same_file() { cmp -s "$work/orig/$2/NTUSER.DAT" "$1/$2/NTUSER.DAT"; }

# One bulk update with the crash; prints the records, returns the exit status.
run_update() { # dir batch
	CPUU_FAULT=update:before-commit:kill CPUU_FAULT_SUBJECT=/u10crash/ \
		"$CPUU" update --mapping "$map" --users-dir "$1" --workers 2 --batch "$2" --json 2>"$1.err"
}

check_first_run() { # dir batch rc records
	local d=$1 batch=$2 rc=$3 rec=$4
	[ $((rc & 1)) -ne 0 ] || fail "batch $batch: no SUCCESS bit in $rc"
	[ $((rc & 2)) -ne 0 ] || fail "batch $batch: no NO_SWITCH bit in $rc"
	[ $((rc & 16)) -ne 0 ] || fail "batch $batch: no GLOBAL_ERR bit in $rc (refused hives)"
	[ $((rc & 32)) -ne 0 ] || fail "batch $batch: no CRASH bit in $rc"
	grep -q '/u10crash/NTUSER.DAT",.*"outcome":"error".*worker crashed' "$rec" || fail "batch $batch: no crash record"
	for bad in garbage damaged; do
		grep -q "/$bad/NTUSER.DAT\",.*\"outcome\":\"error\"" "$rec" || fail "batch $batch: no error record for $bad"
		same_file "$d" "$bad" || fail "batch $batch: refused hive $bad was changed"
	done
	same_file "$d" u10crash || fail "batch $batch: the crashed hive was changed"
	local crashed_mates=0
	for i in $(seq 0 28); do
		u=$(printf 'u%02d' "$i")
		want=switched
		[ "$i" -ge "$SWITCHED" ] && want=not_switched
		[ "$i" -eq 28 ] && want=no_match
		if grep -q "/$u/NTUSER.DAT\",.*worker crashed" "$rec"; then
			# Batch-mates of the crash: each hive old or new, never half.
			crashed_mates=$((crashed_mates + 1))
			same_file "$d" "$u" || "$CPUU" inspect --hive "$d/$u/NTUSER.DAT" --json | grep -q "$u@target.example" ||
				fail "batch $batch: $u crashed with its batch and is neither old nor switched"
			continue
		fi
		grep -q "/$u/NTUSER.DAT\",.*\"outcome\":\"$want\"" "$rec" || fail "batch $batch: $u is not $want"
	done
	[ "$batch" -gt 1 ] || [ "$crashed_mates" -eq 0 ] || fail "hive by hive, $crashed_mates other hives went down with the crash"
	grep -q "update: 32 hives, 2 workers" "$d.err" || fail "batch $batch: no summary line: $(tail -2 "$d.err")"
}

for batch in 1 8; do
	d="$work/run$batch"
	cp -a "$work/orig" "$d"
	run_update "$d" "$batch" >"$d.jsonl"
	check_first_run "$d" "$batch" $? "$d.jsonl"

	# Again, without the fault: the crashed hive (and its batch) catch up,
	# no temp file of the killed commits is left.
	"$CPUU" update --mapping "$map" --users-dir "$d" --workers 2 --batch "$batch" --json >"$d.2.jsonl" 2>/dev/null
	grep -q '/u10crash/NTUSER.DAT",.*"outcome":"switched"' "$d.2.jsonl" || fail "batch $batch: the crashed user was not switched on the next run"
	left=$(find "$d" -name '.NTUSER.DAT.cpuu-tmp*' | wc -l)
	[ "$left" -eq 0 ] || fail "batch $batch: $left temp files of killed commits are left"
	# And once more: nothing changes.
	before=$(sums "$d")
	"$CPUU" update --mapping "$map" --users-dir "$d" --workers 2 --batch "$batch" --json >"$d.3.jsonl" 2>/dev/null
	[ "$(sums "$d")" = "$before" ] || fail "batch $batch: a third run changed hives"
	n=$(grep '"outcome":"already_switched"' "$d.3.jsonl" | grep -c '"account":"u[0-9]*@target.example"')
	[ "$n" -eq $((SWITCHED + 1)) ] || fail "batch $batch: $n accounts already_switched on the third run, want $((SWITCHED + 1))"
	grep -q '"changes":[1-9]' "$d.3.jsonl" && fail "batch $batch: the third run reports changes"
done

# Batches and single commits leave the same profiles.
for u in u00 u07 u23 u26 u10crash; do
	a=$("$CPUU" inspect --hive "$work/run1/$u/NTUSER.DAT" --json)
	b=$("$CPUU" inspect --hive "$work/run8/$u/NTUSER.DAT" --json)
	[ "$a" = "$b" ] || fail "$u: profiles differ between batch 1 and batch 8"
done
"$CPUU" inspect --hive "$work/run1/u05/NTUSER.DAT" --json | grep -q "u05@target.example" || fail "u05 was not switched"

# Bulk rollback: every hive holds again exactly what it held (hivex lays
# cells out anew on every commit, so the keys and values are compared).
export_hive() { hivexregedit --export "$1" '\' 2>/dev/null; }
[ "$(export_hive "$work/orig/u00/NTUSER.DAT" | grep -c '^\[')" -gt 10 ] || fail "hivexregedit --export shows no keys"
"$CPUU" rollback --users-dir "$work/run8" --workers 2 --json >"$work/rollback.jsonl" 2>/dev/null
rc=$?
[ $((rc & 1)) -ne 0 ] || fail "rollback exit $rc has no SUCCESS bit"
for i in $(seq 0 28) u10crash; do
	u=$i
	[ "$i" != u10crash ] && u=$(printf 'u%02d' "$i")
	[ "$(export_hive "$work/run8/$u/NTUSER.DAT")" = "$(export_hive "$work/orig/$u/NTUSER.DAT")" ] ||
		fail "rollback: $u does not hold what it held before"
done

[ "$fails" -eq 0 ] && echo "bulk runs: 32 hives, 2 workers, hive by hive and in batches of 8: crash, refusals, idempotence, rollback"
exit $((fails > 0))
