#!/usr/bin/env bash
# The wizard on a terminal (issue 12 item 2), driven through a pty as an
# admin would answer it, in an empty folder: each question shows its
# default; a wrong choice is asked again; an Exchange Online target refuses
# "live" and asks for the mapping file; the answers end up in cpuu.ini
# (every key one the engine reads: tests/unit/test_update_wizard.c), the
# output folder is created, and the INI loads in a run without a warning.
set -u
: "${CPUU:?}" "${CPUU_SOURCE_DIR:?}"
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-wizpty-XXXXXX")
[ -n "${CPUU_TEST_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

cd "$work" || exit 1
python3 - "$CPUU" "$work/transcript.txt" <<'PY' || fail "the terminal session (see the transcript above)"
import os, pty, sys, time, select
cpuu, transcript = sys.argv[1], sys.argv[2]
# (text the prompt must show, answer); None: Enter (the default).
script = [
    ("Output folder (made when missing) [logon/deploy]", None),
    ("cpuu.exe as the logon script reaches it", None),
    ("Target: on-premises Exchange or Exchange Online (onprem|online) [onprem]", "cloud"),
    ("please answer one of: onprem|online", None),
    ("(onprem|online) [onprem]", "online"),
    ("or 'live' for the source and target directories []", "live"),
    ("an Exchange Online target needs the mapping file", None),
    ("or 'live' for the source and target directories []", r"\\srv\cpuu\mapping.csv"),
    ("Log share for each workstation's log and results (empty: none) []", r"\\srv\cpuu-logs"),
    ("Profiles to process (names, comma-separated, or all) [all]", "Outlook, Outlook 2013"),
    ("Cached-mode profiles: all, only listed users' or none (all|listed|none) [all]", "listed"),
    ("Users whose cached profiles are processed", r"CONTOSO\frank, bob"),
    ("Feature AddBoxes: ", "no"),
    ("Feature Autocomplete: ", None),
    ("Feature Signatures: ", None),
    ("Feature AutodiscoverReset: ", None),
    ("Feature CONTAB: ", None),
    ("Feature PRF: ", None),
    ("Feature ExcludeScpLookup: ", None),
    ("Backup folder on the workstation (empty: %LOCALAPPDATA%\\cpuu) []", None),
    ("wrote logon/deploy", None),
]
pid, fd = pty.fork()
if pid == 0:
    os.execv(cpuu, [cpuu, "wizard", "--out", "logon/deploy"])
seen = b""
def read_until(text, timeout=20):
    global seen
    end = time.time() + timeout
    while text.encode() not in seen:
        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
        if not r:
            return False
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return text.encode() in seen
        if not chunk:
            return text.encode() in seen
        seen += chunk
    return True
ok = True
for want, answer in script:
    if not read_until(want):
        print("FAIL: the wizard never showed: %r" % want)
        ok = False
        break
    # Later prompts are looked for after this one.
    seen = seen[seen.index(want.encode()) + len(want):]
    if want.startswith("wrote") or want.startswith("please") or want.startswith("an Exchange"):
        continue
    os.write(fd, ((answer or "") + "\r").encode())
_, status = os.waitpid(pid, 0)
open(transcript, "ab").write(seen)
if os.WEXITSTATUS(status) != 0:
    print("FAIL: wizard exit %d" % os.WEXITSTATUS(status))
    ok = False
sys.exit(0 if ok else 1)
PY

ini="$work/logon/deploy/cpuu.ini"
[ -f "$ini" ] || { fail "no $ini"; exit 1; }
for f in CPUU_Update.bat CPUU_Rollback.bat CPUU_Cleanup.bat; do
	[ -f "$work/logon/deploy/$f" ] || fail "no $f"
done
has() { tr -d '\r' <"$ini" | grep -qxF "$1" || fail "cpuu.ini lacks '$1': $(tr -d '\r' <"$ini")"; }
has 'LogShare = \\srv\cpuu-logs'
has 'LogFile = %TEMP%\cpuu_#u_#h_#d_#t.log'
has 'ResultFile = %TEMP%\cpuu_#u_#h_#d_#t.jsonl'
has 'Profiles = Outlook, Outlook 2013'
has 'CachedProfiles = listed'
has 'RemoteUsers = CONTOSO\frank, bob'
has 'AddBoxes = no'
has 'File = \\srv\cpuu\mapping.csv'
grep -q "Autocomplete" "$ini" && fail "a feature left at its default was written"
grep -q "^\[Source\]" "$ini" && fail "live directories written for an Exchange Online target"
# The INI loads in a run without a warning (a dry run over a demo hive; the
# mapping path is a Windows one, so the run stops at it, after the load).
TEMP=$work "$CPUU" update --config "$ini" --hive /nonexistent --dry-run >/dev/null 2>"$work/err"
grep -q "warning" "$work/err" && fail "the wizard's INI gives warnings: $(cat "$work/err")"

[ "$fails" -eq 0 ] && echo "the wizard's questions on a terminal: defaults shown, answers in cpuu.ini"
exit $((fails > 0))
