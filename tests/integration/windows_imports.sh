#!/bin/bash
# The Windows build imports only DLLs every Windows has: no libwinpthread,
# libgcc or other runtime DLLs to deploy with cpuu.exe (docs/windows.md).
# Skips (77) without the Windows build (make windows) or mingw's objdump.
set -u

skip() { echo "SKIP: $*"; exit 77; }
SRC=${CPUU_SOURCE_DIR:?}
WIN=${CPUU_WIN_BUILD:-$SRC/build-win}
OBJDUMP=${CPUU_MINGW_OBJDUMP:-x86_64-w64-mingw32-objdump}
[ -f "$WIN/cpuu.exe" ] || skip "no Windows build in $WIN (run 'make windows')"
command -v "$OBJDUMP" >/dev/null || skip "$OBJDUMP missing (binutils-mingw-w64-x86-64)"

failures=0
for exe in "$WIN/cpuu.exe" "$WIN/cpuu-fixture.exe"; do
	[ -f "$exe" ] || { echo "FAIL: $exe missing"; failures=$((failures + 1)); continue; }
	fmt=$("$OBJDUMP" -f "$exe" | sed -n 's/.*file format //p')
	[ "$fmt" = "pei-x86-64" ] || { echo "FAIL: $exe: format '$fmt', want pei-x86-64"; failures=$((failures + 1)); }
	dlls=$("$OBJDUMP" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr -d '\r')
	[ -n "$dlls" ] || { echo "FAIL: $exe: no imports found"; failures=$((failures + 1)); continue; }
	for dll in $dlls; do
		case "$(printf '%s' "$dll" | tr '[:upper:]' '[:lower:]')" in
		kernel32.dll | advapi32.dll | wldap32.dll | msvcrt.dll | user32.dll | shell32.dll | \
			ws2_32.dll | secur32.dll | ole32.dll | shlwapi.dll | version.dll | api-ms-win-crt-*.dll | ucrtbase.dll)
			echo "ok: $(basename "$exe") imports $dll" ;;
		*)
			echo "FAIL: $(basename "$exe") imports $dll, which Windows does not ship"
			failures=$((failures + 1)) ;;
		esac
	done
done
[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "windows_imports: only system DLLs"
