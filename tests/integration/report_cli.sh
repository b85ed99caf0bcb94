#!/usr/bin/env bash
# cpuu report ingest / summary from the command line, on both stores: the
# default SQLite file in the current folder and a real PostgreSQL cluster
# (tests/support/pg.sh). Results written by cpuu update itself (a bulk run
# over fixture hives, when cpuu-fixture is there) and hand-made records;
# ingesting twice adds nothing; the text, JSON and CSV summaries agree with
# each other and with both stores; usage errors and bad stores give distinct
# exit codes. The PostgreSQL half is skipped (with the reason) only when the
# server is not installed.
set -u
: "${CPUU:?}" "${CPUU_SOURCE_DIR:?}"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-reportcli-XXXXXX")
pg_started=
cleanup() {
	[ -n "$pg_started" ] && bash "$CPUU_SOURCE_DIR/tests/support/pg.sh" stop "$work/pg"
	rm -rf "$work"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$work/share/a" "$work/share/b"
rec() { # user profile account outcome changes message
	local p=null a=null m=null
	[ -n "$2" ] && p="\"$2\""
	[ -n "$3" ] && a="\"$3\""
	[ -n "$6" ] && m="\"$6\""
	printf '{"user":"%s","hive":"/p/%s/NTUSER.DAT","profile":%s,"account":%s,"mode":"update","outcome":"%s","changes":%s,"message":%s,"duration_ms":1.25}\n' \
		"$1" "$1" "$p" "$a" "$4" "$5" "$m"
}
{
	rec alice Outlook alice@src.example switched 17 ""
	rec bob Outlook bob@src.example error 0 'commit failed: \"disk\" full'
	rec carol "" "" skipped 0 "no profile"
} >"$work/share/a/ws1.jsonl"
{
	rec dave Outlook dave@src.example ambiguous 0 "two targets"
	rec erin Outlook erin@src.example not_switched 0 ""
	rec erin Outlook erin-2@src.example already_switched 0 ""
	printf 'not json\n'
} >"$work/share/b/ws2.jsonl"
touch -d "2026-11-20 10:00 UTC" "$work/share/a/ws1.jsonl"
touch -d "2026-11-20 11:00 UTC" "$work/share/b/ws2.jsonl"
expected_records=6

# Records written by cpuu itself, when the fixture builder is available.
if [ -n "${CPUU_FIXTURE:-}" ] && [ -x "${CPUU_FIXTURE:-}" ] && [ -f "$CPUU_SOURCE_DIR/examples/demo.fixture" ]; then
	mkdir -p "$work/users/frank"
	if "$CPUU_FIXTURE" --hive "$work/users/frank/NTUSER.DAT" "$CPUU_SOURCE_DIR/examples/demo.fixture" >/dev/null 2>&1 &&
		"$CPUU" update --hive "$work/users/frank/NTUSER.DAT" --dry-run --json --mapping "$CPUU_SOURCE_DIR/examples/mapping.csv" \
			>"$work/share/b/frank.jsonl" 2>/dev/null; [ -s "$work/share/b/frank.jsonl" ]; then
		expected_records=$((expected_records + $(grep -c . "$work/share/b/frank.jsonl")))
	else
		fail "cpuu update --json wrote no records for the fixture hive"
		rm -f "$work/share/b/frank.jsonl"
	fi
fi

check_store() { # label db
	local label=$1 db=$2
	"$CPUU" report ingest --from "$work/share/a" "$work/share/b" --db "$db" >"$work/$label.in1" 2>&1
	local rc=$?
	[ $rc -eq 7 ] || fail "$label: ingest with one malformed line: exit $rc, want 7: $(cat "$work/$label.in1")"
	grep -q "ws2.jsonl:4: " "$work/$label.in1" || fail "$label: malformed line not named file:line"
	grep -q "$expected_records record(s): $expected_records added, 0 already stored, 1 malformed" "$work/$label.in1" ||
		fail "$label: first ingest: $(tail -1 "$work/$label.in1")"
	"$CPUU" report ingest --quiet --from "$work/share" --db "$db" >"$work/$label.in2" 2>&1
	# Incremental: every file was read to its end, so none is opened again.
	grep -q "0 file(s), 0 record(s): 0 added, 0 already stored, 0 malformed line(s), [0-9]* file(s) unchanged since the last ingest" "$work/$label.in2" ||
		fail "$label: second ingest added something: $(tail -1 "$work/$label.in2")"
	grep -q "warning" "$work/$label.in2" && fail "$label: --quiet still printed warnings"
	"$CPUU" report summary --db "$db" >"$work/$label.txt" || fail "$label: summary"
	"$CPUU" report summary --json --db "$db" >"$work/$label.json" || fail "$label: summary --json"
	"$CPUU" report summary --csv --db "$db" >"$work/$label.csv" || fail "$label: summary --csv"
	grep -q "commit failed: \"disk\" full" "$work/$label.txt" || fail "$label: failure reason missing from text"
	grep -q "^records $expected_records " "$work/$label.txt" || fail "$label: text: $(head -2 "$work/$label.txt")"
	head -1 "$work/$label.txt" | grep -q '^users [0-9]*: done [0-9]*' || fail "$label: text does not lead with users: $(head -1 "$work/$label.txt")"
	python3 - "$work/$label.json" "$work/$label.csv" "$expected_records" <<'PY' || fails=$((fails + 1))
import csv, json, sys
s = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2], newline="")))
bad = []
if s["records"] != int(sys.argv[3]): bad.append(f"records {s['records']}")
accts = [r for r in rows if r["kind"] == "account"]
if s["accounts"] != len(accts): bad.append(f"accounts {s['accounts']} != csv account rows {len(accts)}")
by = {}
for r in accts: by[r["outcome"]] = by.get(r["outcome"], 0) + 1
if by != s["by_outcome"]: bad.append(f"csv outcomes {by} != json {s['by_outcome']}")
feats = {}
for r in rows:
    if r["kind"] not in ("account", "profile", "hive"):
        feats.setdefault(r["kind"], {}).setdefault(r["outcome"], 0)
        feats[r["kind"]][r["outcome"]] += 1
if feats != s["by_feature"]: bad.append(f"csv features {feats} != json {s['by_feature']}")
if s["accounts"] + s["features"] + s["others"] != len(rows): bad.append("accounts + features + others != csv rows")
# Users first: each user once, the CSV's per-row status agrees with the counts.
status = {}
for r in rows:
    if status.setdefault(r["user"], r["user_status"]) != r["user_status"]: bad.append(f"{r['user']}: two statuses")
u = s["users"]
for k in ("done", "waiting", "failed", "not_seen"):
    n = sum(1 for v in status.values() if v == k)
    if u[k] != n: bad.append(f"users {k}: json {u[k]}, csv {n}")
if u["total"] != len(status) or u["total"] != u["done"] + u["waiting"] + u["failed"] + u["not_seen"]:
    bad.append(f"users {u} do not add up to {len(status)}")
if status.get("bob") != "failed" or status.get("alice") != "done": bad.append(f"statuses {status}")
want = {"alice": "switched", "bob": "error", "carol": "skipped", "dave": "ambiguous"}
for r in rows:
    if r["user"] in want and r["outcome"] != want[r["user"]]: bad.append(f"{r['user']}: {r['outcome']}")
if sorted(f["user"] for f in s["failures"]) != ["bob", "dave"]: bad.append(f"failures {s['failures']}")
if not any(f["message"] == 'commit failed: "disk" full' for f in s["failures"]): bad.append("message lost")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
}

# Default store: ./cpuu-report.sqlite in the current folder.
(cd "$work" && "$CPUU" report ingest --quiet --from share >/dev/null 2>&1)
[ -f "$work/cpuu-report.sqlite" ] || fail "no default store ./cpuu-report.sqlite"
check_store sqlite "sqlite:$work/s.sqlite"
"$CPUU" report summary --json --db "$work/s.sqlite" >"$work/plain.json" 2>&1 || fail "plain path store"
cmp -s "$work/plain.json" "$work/sqlite.json" || fail "sqlite:PATH and PATH differ"

"$CPUU" report >/dev/null 2>&1; [ $? -eq 2 ] || fail "no subcommand: want exit 2"
"$CPUU" report summary --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option: want exit 2"
"$CPUU" report ingest --db "$work/x.sqlite" >/dev/null 2>&1; [ $? -eq 2 ] || fail "ingest without --from: want 2"
"$CPUU" report summary --db "mysql://x/y" >"$work/err" 2>&1; [ $? -eq 8 ] || fail "unknown store: want 8: $(cat "$work/err")"
"$CPUU" report ingest --from "$work/nope" --db "$work/x.sqlite" >"$work/err" 2>&1
[ $? -eq 3 ] || fail "missing --from path: want 3: $(cat "$work/err")"
"$CPUU" report summary --db "postgresql://cpuu@127.0.0.1:1/x?connect_timeout=2" >"$work/err" 2>&1
[ $? -eq 10 ] || fail "unreachable PostgreSQL: want exit 10: $(cat "$work/err")"
[ "$(wc -l <"$work/err")" -eq 1 ] || fail "unreachable PostgreSQL: not one line: $(cat "$work/err")"

set +e
bash "$CPUU_SOURCE_DIR/tests/support/pg.sh" start "$work/pg" $$ 2>"$work/pg.err"
pgrc=$?
if [ $pgrc -eq 77 ]; then
	echo "SKIP (PostgreSQL half): $(cat "$work/pg.err")"
	[ $fails -eq 0 ] || exit 1
	exit 77
elif [ $pgrc -ne 0 ]; then
	fail "pg.sh start: $(cat "$work/pg.err")"
else
	pg_started=1
	. "$work/pg/env"
	check_store pg "$PG_URL"
	# Both stores tell the same story.
	for f in json csv txt; do
		cmp -s "$work/sqlite.$f" "$work/pg.$f" || fail "SQLite and PostgreSQL $f summaries differ: $(diff "$work/sqlite.$f" "$work/pg.$f" | head -5)"
	done
fi
[ $fails -eq 0 ] && echo "report_cli: OK"
exit $((fails > 0))
