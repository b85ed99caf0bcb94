#!/usr/bin/env bash
# Installs the Debian packages cpuu needs to build and test, if missing.
# Usage: scripts/install-deps.sh [--list] [group...]   groups: build (default), test, windows
# --list prints the packages of those groups, one a line, and installs nothing.
set -euo pipefail
list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
groups=("${@:-build}")
pkgs=(build-essential cmake pkg-config libhivex-dev libhivex-bin libcmocka-dev
      libldap-dev libsqlite3-dev libpq-dev libsasl2-dev)
for g in "${groups[@]}"; do
  case "$g" in
    build) ;;
    # Every command the tests, the demo and the benchmarks run comes from a package
    # named here (tests/integration/install_deps.sh checks it with dpkg -S).
    test) pkgs+=(slapd ldap-utils postgresql chromium python3 libwin-hivex-perl chntpw sqlite3 openssl
                 bsdutils coreutils procps make binutils python3-minimal
                 # Samba AD DCs for the directory suite (tests/support/samba-forest.sh).
                 samba samba-ad-provision samba-common-bin ldb-tools iproute2 util-linux
                 krb5-user libsasl2-modules-gssapi-mit) ;;
    # make windows (mingw-w64 cross compiler) and its tests under Wine.
    windows) pkgs+=(gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine wine64 libwine) ;;
    *) echo "install-deps: unknown group $g" >&2; exit 2 ;;
  esac
done
if [ $list -eq 1 ]; then printf '%s\n' "${pkgs[@]}"; exit 0; fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
