#!/usr/bin/env bash
# cpuu report html in a real browser: 600 users' result files (a quarter
# with two accounts, a second logon for a tenth of them, a malformed line)
# are ingested; the dashboard is opened in headless Chromium (Debian's
# chromium) and the numbers it renders - key figures, outcome breakdown, the
# chart's final value, the user table (drawn by the inline JS from embedded
# JSON, 500 rows at a time) and its search (#q=) - must equal the store's
# (cpuu report summary --json / --csv).
# A screenshot is taken and must be a real, non-blank PNG.
set -u
: "${CPUU:?}" "${CPUU_SOURCE_DIR:?}"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "chromium not installed (apt-get install chromium): skip"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 missing: skip"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-reporthtml-XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

mkdir -p "$work/share/day1" "$work/share/day2"
outcomes=(switched not_switched already_switched error no_match ambiguous switched skipped)
users=600
for i in $(seq 1 $users); do
	u=$(printf 'u%04d' "$i")
	o=${outcomes[$((i % 8))]}
	msg=null
	case "$o" in error) msg='"commit failed: disk full"' ;; ambiguous) msg='"two <targets> & more"' ;; esac
	{
		printf '{"user":"%s","hive":"/srv/profiles/%s/NTUSER.DAT","profile":"Outlook","account":"%s@source.example","mode":"update","outcome":"%s","changes":%d,"message":%s,"duration_ms":1.5}\n' \
			"$u" "$u" "$u" "$o" "$((i % 5))" "$msg"
		# Feature records: never counted as accounts, never making a user done.
		if [ $((i % 3)) -eq 0 ]; then
			printf '{"user":"%s","hive":"/srv/profiles/%s/NTUSER.DAT","profile":"Outlook","account":"autocomplete","mode":"update","outcome":"%s","changes":0,"message":null,"duration_ms":3}\n' \
				"$u" "$u" "$([ $((i % 2)) -eq 0 ] && echo nothing_to_do || echo switched)"
		fi
		if [ $((i % 50)) -eq 0 ]; then
			printf '{"user":"%s","hive":"/srv/profiles/%s/NTUSER.DAT","profile":null,"account":"autodiscover:16.0","mode":"update","outcome":"switched","changes":2,"message":null,"duration_ms":1}\n' \
				"$u" "$u"
		fi
		if [ $((i % 4)) -eq 0 ]; then
			printf '{"user":"%s","hive":"/srv/profiles/%s/NTUSER.DAT","profile":"Outlook","account":"archive-%s@source.example","mode":"update","outcome":"switched","changes":3,"message":null,"duration_ms":2.25}\n' \
				"$u" "$u" "$u"
		fi
	} >"$work/share/day1/$u.jsonl"
	touch -d "2026-11-20 08:00:00 UTC + $i minutes" "$work/share/day1/$u.jsonl"
	if [ $((i % 10)) -eq 1 ]; then
		printf '{"user":"%s","hive":"/srv/profiles/%s/NTUSER.DAT","profile":"Outlook","account":"%s@source.example","mode":"update","outcome":"switched","changes":9,"message":null,"duration_ms":1}\n' \
			"$u" "$u" "$u" >"$work/share/day2/$u.jsonl"
		touch -d "2026-11-21 09:00:00 UTC + $i minutes" "$work/share/day2/$u.jsonl"
	fi
done
printf '{"user":"bad", "oops"\n' >"$work/share/day2/broken.jsonl"

db="sqlite:$work/store.sqlite"
"$CPUU" report ingest --from "$work/share" --db "$db" >"$work/ingest.out" 2>&1
rc=$?
[ $rc -eq 7 ] || fail "ingest with a malformed line: exit $rc, want 7: $(cat "$work/ingest.out")"
grep -q "broken.jsonl:1: " "$work/ingest.out" || fail "malformed line not reported as file:line: $(cat "$work/ingest.out")"
want_records=$((users + users / 4 + users / 10 + users / 3 + users / 50))
grep -q "$want_records added, 0 already stored, 1 malformed" "$work/ingest.out" ||
	fail "ingest counts (want $want_records): $(cat "$work/ingest.out")"

"$CPUU" report summary --json --db "$db" >"$work/summary.json" || fail "summary --json"
"$CPUU" report summary --csv --db "$db" >"$work/latest.csv" || fail "summary --csv"
"$CPUU" report html --out "$work/dash" --db "$db" || fail "html"
[ -s "$work/dash/index.html" ] || { fail "no index.html"; exit 1; }

run_browser() {
	"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --disable-extensions --user-data-dir="$(mktemp -d "$work/profile-XXXXXX")" "$@" \
		2>>"$work/browser.log"
}
run_browser --dump-dom "file://$work/dash/index.html#q=u001" >"$work/dom-search.html" ||
	fail "chromium --dump-dom failed: $(tail -3 "$work/browser.log")"
run_browser --dump-dom "file://$work/dash/index.html" >"$work/dom.html" || fail "chromium --dump-dom (no search)"
run_browser --screenshot="$work/shot.png" --window-size=1280,1600 --hide-scrollbars "file://$work/dash/index.html" \
	>/dev/null || fail "chromium --screenshot failed: $(tail -3 "$work/browser.log")"
# The top of the page alone: what an admin sees first.
run_browser --screenshot="$work/top.png" --window-size=1280,240 --hide-scrollbars "file://$work/dash/index.html" \
	>/dev/null || fail "chromium --screenshot (top) failed: $(tail -3 "$work/browser.log")"

python3 - "$work" <<'PY' || fails=$((fails + 1))
import csv, json, re, struct, sys, zlib
from html.parser import HTMLParser

work = sys.argv[1]
summary = json.load(open(f"{work}/summary.json"))
latest = list(csv.DictReader(open(f"{work}/latest.csv", newline="")))

class Dom(HTMLParser):
    """Text of every element with an id, and the user table's visible rows."""
    def __init__(self):
        super().__init__()
        self.ids, self.attrs, self.stack = {}, {}, []
        self.rows, self.in_users, self.row = [], False, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "users":
            self.in_users = True
        if self.in_users and tag == "tr" and self.row is None:
            self.row = {"cells": []}
        if self.in_users and tag == "td" and self.row is not None:
            self.row["cells"].append("")
        if "id" in a:
            self.attrs[a["id"]] = a
        if tag in ("br", "meta", "input", "line", "polyline"):
            return
        self.stack.append(a.get("id"))
        self.ids.setdefault(a.get("id"), "")
    def handle_endtag(self, tag):
        if tag in ("br", "meta", "input", "line", "polyline"):
            return
        if self.in_users and tag == "tr" and self.row is not None:
            if self.row["cells"]:
                self.rows.append(self.row)
            self.row = None
        if tag == "table" and self.in_users:
            self.in_users = False
        if self.stack:
            self.stack.pop()
    def handle_data(self, data):
        for i in self.stack:
            if i:
                self.ids[i] = self.ids.get(i, "") + data
        if self.row is not None and self.row["cells"]:
            self.row["cells"][-1] += data

def parse(path):
    d = Dom()
    d.feed(open(path, encoding="utf-8").read())
    return d

bad = []
def check(what, got, want):
    if str(got).strip() != str(want):
        bad.append(f"{what}: page shows {got!r}, store says {want!r}")

d = parse(f"{work}/dom.html")
check("records", d.ids.get("n-records"), summary["records"])
users = summary["users"]
check("users", d.ids.get("n-users"), users["total"])
for k, i in (("done", "users-done"), ("waiting", "users-waiting"), ("failed", "users-failed"),
             ("not_seen", "users-not-seen")):
    check(f"users {k}", d.ids.get(i), users[k])
if users["done"] + users["waiting"] + users["failed"] + users["not_seen"] != users["total"]:
    bad.append(f"user statuses do not add up: {users}")
# The page leads with users: the users' figures come before any other
# figure or table in the document (and so at the top of the screenshot).
html = open(f"{work}/dom.html", encoding="utf-8").read()
first = min(html.find(f'id="{i}"') for i in ("n-records", "n-accounts", "n-done", "outcomes", "features", "progress"))
if not 0 <= html.find('id="users-done"') < first:
    bad.append("the page does not lead with the users")
for f, outs in summary["by_feature"].items():
    for o, n in outs.items():
        check(f"feature {f} {o}", d.ids.get(f"feature-{f}-{o}"), n)
if not summary["by_feature"]:
    bad.append("test data has no feature records")
check("accounts", d.ids.get("n-accounts"), summary["accounts"])
check("done", d.ids.get("n-done"), summary["done"])
check("failures", d.ids.get("n-failures"), len(summary["failures"]))
for name, n in summary["by_outcome"].items():
    check(f"outcome {name}", d.ids.get(f"outcome-{name}"), n)
if sum(summary["by_outcome"].values()) != summary["accounts"]:
    bad.append("outcome counts do not add up to the accounts")
check("chart final value", d.attrs.get("progress", {}).get("data-final"),
      summary["by_outcome"].get("switched", 0) + summary["by_outcome"].get("already_switched", 0))
LIMIT = 500
if len(latest) <= LIMIT:
    bad.append(f"test data too small to exercise the {LIMIT}-row limit")
check("table rows drawn", len(d.rows), min(len(latest), LIMIT))
check("drawn", d.ids.get("drawn"), min(len(latest), LIMIT))
check("total-rows", d.ids.get("total-rows"), len(latest))
check("shown (no search)", d.ids.get("shown"), len(latest))
if "display: none" in (d.attrs.get("more", {}).get("style") or ""):
    bad.append("'show more' button hidden although rows were left out")
page = [(r["cells"][0], r["cells"][2], r["cells"][4], r["cells"][6]) for r in d.rows]
store = [(r["user"], r["account"], r["outcome"], r["message"]) for r in latest][:LIMIT]
if page != store:
    diff = next(((a, b) for a, b in zip(page, store) if a != b), None)
    bad.append(f"user table differs from the store's latest state, first difference: {diff}")
if not any("two <targets> & more" in c for r in d.rows for c in r["cells"]):
    bad.append("escaped message not rendered back as text")

s = parse(f"{work}/dom-search.html")
want = sum(1 for r in latest if "u001" in ",".join(r.values()).lower())
visible = s.rows
check("search #q=u001: shown", s.ids.get("shown"), want)
check("search #q=u001: rows drawn", len(visible), want)
if not 0 < want < LIMIT:
    bad.append(f"search test matches {want} rows")
if not all(r["cells"][0].startswith("u001") for r in visible):
    bad.append("search shows rows that do not match")

png = open(f"{work}/shot.png", "rb").read()
if png[:8] != b"\x89PNG\r\n\x1a\n":
    bad.append("screenshot is not a PNG")
else:
    w, h = struct.unpack(">II", png[16:24])
    if (w, h) != (1280, 1600):
        bad.append(f"screenshot is {w}x{h}")
    # Decode enough to see that the page is not blank: count distinct pixels.
    idat = b"".join(png[i + 8:i + 8 + struct.unpack(">I", png[i:i + 4])[0]]
                    for i in [m.start() - 4 for m in re.finditer(b"IDAT", png)])
    raw = zlib.decompress(idat)
    if len(set(raw[i:i + 3] for i in range(0, min(len(raw), 2_000_000), 997))) < 5:
        bad.append("screenshot looks blank")

def pixels(path):
    """RGB(A) 8-bit non-interlaced PNG -> (width, height, rows of bytes, bytes per pixel)."""
    data = open(path, "rb").read()
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"PNG kind {hdr} not handled")
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, rows, bpp

# The screenshot shows users first: the top 240 pixels of the page hold the
# users' cards, drawn in their colours (done green #1b7f3a, waiting amber
# #a66300, failed red #b00020); nothing else that high uses them.
try:
    w, h, rows, bpp = pixels(f"{work}/top.png")
    seen = set()
    for r in rows:
        for x in range(0, w * bpp, bpp):
            seen.add((r[x] >> 3, r[x + 1] >> 3, r[x + 2] >> 3))
    for name, rgb in (("done", (0x1b, 0x7f, 0x3a)), ("waiting", (0xa6, 0x63, 0x00)), ("failed", (0xb0, 0x00, 0x20))):
        if (rgb[0] >> 3, rgb[1] >> 3, rgb[2] >> 3) not in seen:
            bad.append(f"the top of the screenshot shows no users-{name} figure")
except Exception as e:
    bad.append(f"top screenshot unreadable: {e}")

for b in bad:
    print("FAIL:", b)
print(f"page checked: {summary['accounts']} accounts, {len(d.rows)} rows, search {want} rows")
sys.exit(1 if bad else 0)
PY

# The screenshot is kept in the build folder for people to look at.
[ -n "${CPUU_BINARY_DIR:-}" ] && [ -s "$work/shot.png" ] && cp "$work/shot.png" "$CPUU_BINARY_DIR/report_html-dashboard.png"

if grep -Eq '(src|href)=|url\(|@import' "$work/dash/index.html"; then
	fail "the page references an external resource"
fi
[ $fails -eq 0 ] && echo "report_html: OK"
exit $((fails > 0))
