#!/usr/bin/env bash
# Sharded bulk runs (`--shard K/N`, docs/update.md "Sharded bulk runs"):
# N processes started at once over one users folder, each with its own shard
# and no coordinator, must
#  - together process every hive exactly once (no hive in two shards' records);
#  - give, merged and sorted, the same result records and exit bits as one
#    unsharded run over a copy of the folder, and the same profiles after;
#  - pick a hive by its user folder's name only: a --hives list reaching the
#    same folders through another path selects the same users;
#  - finish with success when a shard holds no hive;
#  - refuse a malformed K/N (and --shard on one hive) with GLOBAL_ERR,
#    changing nothing.
set -u
: "${CPUU:?}" "${CPUU_FIXTURE:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-shard-XXXXXX")
[ -n "${CPUU_TEST_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
AG="/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn="
N=4

map="$work/mapping.csv"
echo "source_legacy_dn,source_smtp,source_mailbox_guid,source_x500,target_legacy_dn,target_smtp,target_mailbox_guid,target_display_name,target_kind,target_server,switched" >"$map"
mkdir -p "$work/orig"
users=()
for i in $(seq 0 26); do
	# Mixed-case names: the shard is chosen on the name, ASCII case folded.
	u=$(printf 'User.%02d' "$i")
	[ $((i % 3)) -eq 0 ] && u=$(printf 'user%02d' "$i")
	users+=("$u")
	g=$(printf '%012d' "$i")
	mkdir -p "$work/orig/$u"
	printf '[profile Outlook]\nversion = 16.0\ndefault = yes\n[exchange]\ndisplay_name = User %s\nsmtp = u%s@source.example\nlegacy_dn = /o=Source%su%s\nmailbox_guid = 11111111-2222-4333-8444-%s\ncached = yes\n' \
		"$i" "$i" "$AG" "$i" "$g" >"$work/$i.fixture"
	"$CPUU_FIXTURE" --hive "$work/orig/$u/NTUSER.DAT" "$work/$i.fixture" >/dev/null || fail "fixture $u"
	# u24.. have no correspondence, u20..u23 are not switched yet: outcomes vary.
	[ "$i" -ge 24 ] && continue
	sw=true
	[ "$i" -ge 20 ] && sw=false
	echo "/o=Source${AG}u$i,u$i@source.example,11111111-2222-4333-8444-$g,,/o=Target${AG}u$i,u$i@target.example,aaaaaaaa-2222-4333-8444-$g,User $i,onprem,aaaaaaaa-2222-4333-8444-$g@target.example,$sw" >>"$map"
done
total=${#users[@]}
cp -a "$work/orig" "$work/single"
cp -a "$work/orig" "$work/sharded"

# Records without timings, hive paths relative to their folder.
norm() { sed -E -e 's/"duration_ms":[0-9.]+//' -e "s#$2/##g" "$1" | sort; }

"$CPUU" update --mapping "$map" --users-dir "$work/single" --workers 2 --json >"$work/single.jsonl" 2>"$work/single.err"
single_rc=$?
[ -s "$work/single.jsonl" ] || fail "the unsharded run wrote no records: $(cat "$work/single.err")"

# The N shards at once, as N hosts would run them.
pids=()
for k in $(seq 0 $((N - 1))); do
	"$CPUU" update --mapping "$map" --users-dir "$work/sharded" --shard "$k/$N" --workers 1 --json \
		>"$work/shard$k.jsonl" 2>"$work/shard$k.err" &
	pids+=($!)
done
merged_rc=0
nonempty=0
for k in $(seq 0 $((N - 1))); do
	wait "${pids[$k]}"
	rc=$?
	merged_rc=$((merged_rc | rc))
	grep -q "shard $k/$N of $total" "$work/shard$k.err" || fail "shard $k: summary lacks 'shard $k/$N of $total': $(cat "$work/shard$k.err")"
	[ -s "$work/shard$k.jsonl" ] && nonempty=$((nonempty + 1))
done
[ "$nonempty" -ge 2 ] || fail "only $nonempty of $N shards got hives: the split is not spreading users"

# Every hive in exactly one shard.
for u in "${users[@]}"; do
	n=0
	for k in $(seq 0 $((N - 1))); do
		grep -qF "\"hive\":\"$work/sharded/$u/NTUSER.DAT\"" "$work/shard$k.jsonl" && n=$((n + 1))
	done
	[ "$n" -eq 1 ] || fail "$u: in $n shards, want exactly 1"
done

# Merged records and exit bits equal the single run's.
cat "$work"/shard?.jsonl >"$work/merged.jsonl"
if ! diff <(norm "$work/single.jsonl" "$work/single") <(norm "$work/merged.jsonl" "$work/sharded") >"$work/diff"; then
	fail "merged shard records differ from one run's:"
	head -20 "$work/diff"
fi
[ "$merged_rc" -eq "$single_rc" ] || fail "exit bits: shards OR'ed $merged_rc, one run $single_rc"
for u in "${users[@]}"; do
	a=$("$CPUU" inspect --hive "$work/single/$u/NTUSER.DAT" --json 2>&1)
	b=$("$CPUU" inspect --hive "$work/sharded/$u/NTUSER.DAT" --json 2>&1)
	[ "$a" = "$b" ] || fail "$u: profiles after the sharded run differ from one run's"
done

# The same folder names through another path (another host's mount point):
# a --hives list selects the same users as --users-dir.
ln -s "$work/orig" "$work/mnt"
for u in "${users[@]}"; do echo "$work/mnt/$u/NTUSER.DAT"; done >"$work/list"
for k in $(seq 0 $((N - 1))); do
	"$CPUU" update --mapping "$map" --hives "$work/list" --shard "$k/$N" --dry-run --json >"$work/list$k.jsonl" 2>/dev/null
	want=$(grep -o '"user":"[^"]*"' "$work/shard$k.jsonl" | sort -u)
	got=$(grep -o '"user":"[^"]*"' "$work/list$k.jsonl" | sort -u)
	[ "$want" = "$got" ] || fail "shard $k: --hives picked [$got], --users-dir [$want]"
done

# A shard with no hive: success, nothing run.
mkdir -p "$work/one"
cp -a "$work/orig/${users[0]}" "$work/one/"
empty_k=-1
for k in $(seq 0 $((N - 1))); do
	grep -qF "/${users[0]}/NTUSER.DAT" "$work/shard$k.jsonl" || { empty_k=$k; break; }
done
out=$("$CPUU" update --mapping "$map" --users-dir "$work/one" --shard "$empty_k/$N" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "an empty shard exits $rc, want 0 ($out)"
grep -q "0 hives" <<<"$out" || fail "an empty shard says: $out"
cmp -s "$work/orig/${users[0]}/NTUSER.DAT" "$work/one/${users[0]}/NTUSER.DAT" || fail "an empty shard changed a hive"

# Malformed K/N: refused with GLOBAL_ERR (16), nothing changed. Shards count
# from 0, so K = N is out of range.
before=$(cd "$work/orig" && find . -name NTUSER.DAT -print0 | sort -z | xargs -0 sha256sum)
for bad in "$N/$N" "-1/$N" "1/0" "0/0" "1/" "/4" "a/4" "1/4x" " 1/4" "1/4/2" "1" "0/65537" "99999999999999999999/4"; do
	err=$("$CPUU" update --mapping "$map" --users-dir "$work/orig" --shard "$bad" 2>&1 >/dev/null)
	rc=$?
	[ $((rc & 16)) -ne 0 ] || fail "--shard '$bad': exit $rc, want the GLOBAL_ERR bit"
	grep -q -- "--shard" <<<"$err" || fail "--shard '$bad': message does not name the option: $err"
done
err=$("$CPUU" update --mapping "$map" --users-dir "$work/orig" --shard=9/4 2>&1 >/dev/null)
[ $(($? & 16)) -ne 0 ] || fail "--shard=9/4 accepted"
err=$("$CPUU" update --mapping "$map" --hive "$work/orig/${users[0]}/NTUSER.DAT" --shard 0/2 2>&1 >/dev/null)
rc=$?
[ $((rc & 16)) -ne 0 ] || fail "--shard with --hive: exit $rc, want GLOBAL_ERR"
grep -q "bulk" <<<"$err" || fail "--shard with --hive: $err"
after=$(cd "$work/orig" && find . -name NTUSER.DAT -print0 | sort -z | xargs -0 sha256sum)
[ "$before" = "$after" ] || fail "a refused --shard run changed a hive"
[ -z "$(find "$work/orig" -name '*.cpuu*' -o -name '*.tmp*')" ] || fail "a refused run left files behind"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "shard_cli: $total users over $N shards ($nonempty non-empty), each once; merged = one run"
