#!/usr/bin/env bash
# A throwaway slapd for the directory tests.
#
#   slapd.sh start DIR [OWNER_PID]
#                        generate users (tests/data/ldap/gen-users.py), TLS
#                        certificates, a slapd.conf with dc=source,dc=example
#                        and dc=target,dc=example (mdb), slapadd, start slapd
#                        on 127.0.0.1 (ldap:// and ldaps:// on free ports) and
#                        wait until it answers; writes DIR/env (shell syntax).
#   slapd.sh stop DIR    stop that slapd by its PID and wait for it.
# With OWNER_PID (the test's PID) a small watcher stops slapd if the test
# dies without calling stop (crash, timeout kill), so no server is left over.
#
# DIR/env defines SLAPD_URL, SLAPD_LDAPS_URL, SLAPD_PID, SLAPD_CA (the CA that
# signed the server certificate), SLAPD_WRONG_CA (an unrelated CA),
# SRC_BASE/SRC_BIND/SRC_PWFILE, TRG_BASE/TRG_BIND/TRG_PWFILE (the cn=cpuu
# service accounts), WRONG_PWFILE, SLAPD_DIR.
# Passwords are test-only values written to DIR/*.pw.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
data="$here/../data/ldap"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

make_certs() {
	local d=$1
	local cnf="$d/tls/ext.cnf"
	mkdir -p "$d/tls"
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >"$cnf"
	for ca in ca wrongca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/tls/$ca.key" -out "$d/tls/$ca.pem" -days 2 \
			-subj "/CN=cpuu test $ca" -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/tls/server.key" -out "$d/tls/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
	openssl x509 -req -in "$d/tls/server.csr" -CA "$d/tls/ca.pem" -CAkey "$d/tls/ca.key" \
		-CAcreateserial -out "$d/tls/server.pem" -days 2 -extfile "$cnf" 2>/dev/null
}

write_conf() {
	local d=$1
	cat >"$d/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $data/ad-lite.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $d/slapd.pid
argsfile $d/slapd.args
TLSCACertificateFile $d/tls/ca.pem
TLSCertificateFile $d/tls/server.pem
TLSCertificateKeyFile $d/tls/server.key
# Like AD's MaxPageSize: a plain search stops at 100 entries, a paged one
# (RFC 2696) gets everything, so the export must page to pass.
sizelimit size.soft=100 size.hard=100 size.prtotal=unlimited
# No anonymous reads (a missing or wrong password must show); the service
# account may add proxyAddresses on the target (cpuu map x500 --apply).
access to attrs=userPassword by anonymous auth by * none
access to dn.subtree="dc=target,dc=example" attrs=proxyAddresses
	by dn.exact="cn=cpuu,dc=target,dc=example" write by users read by * none
access to * by users read by anonymous auth by * none

database mdb
suffix "dc=source,dc=example"
rootdn "cn=admin,dc=source,dc=example"
rootpw source-secret
directory $d/db-source
maxsize 67108864
index objectClass,legacyExchangeDN,proxyAddresses,msExchMailboxGuid,objectGUID,mailNickname,mail eq
index extensionAttribute1,extensionAttribute2,extensionAttribute3 eq

database mdb
suffix "dc=target,dc=example"
rootdn "cn=admin,dc=target,dc=example"
rootpw target-secret
directory $d/db-target
maxsize 67108864
index objectClass,legacyExchangeDN,proxyAddresses,msExchMailboxGuid,objectGUID,mailNickname,mail eq
index extensionAttribute1,extensionAttribute2,extensionAttribute3 eq
CONF
}

start() {
	local d=$1
	mkdir -p "$d"
	d=$(cd "$d" && pwd)
	rm -rf "$d/db-source" "$d/db-target"
	mkdir -p "$d/db-source" "$d/db-target"
	python3 "$data/gen-users.py" "$d" "${CPUU_LDAP_USERS:-300}"
	[ -f "$d/tls/server.pem" ] || make_certs "$d"
	write_conf "$d"
	slapadd -q -f "$d/slapd.conf" -b dc=source,dc=example -l "$d/source.ldif"
	slapadd -q -f "$d/slapd.conf" -b dc=target,dc=example -l "$d/target.ldif"
	umask 077
	printf 'source-secret\n' >"$d/source.pw"
	printf 'target-secret\n' >"$d/target.pw"
	printf 'not-the-password\n' >"$d/wrong.pw"
	local try port sport pid
	for try in 1 2 3 4 5; do
		port=$(free_port)
		sport=$(free_port)
		rm -f "$d/slapd.pid"
		if slapd -f "$d/slapd.conf" -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$sport/" 2>"$d/slapd.log"; then
			for _ in $(seq 1 100); do
				if [ -s "$d/slapd.pid" ] && ldapsearch -x -H "ldap://127.0.0.1:$port/" \
					-D cn=admin,dc=source,dc=example -w source-secret \
					-b dc=source,dc=example -s base dn >/dev/null 2>&1; then
					pid=$(cat "$d/slapd.pid")
					cat >"$d/env" <<ENV
SLAPD_DIR='$d'
SLAPD_PID=$pid
SLAPD_PORT=$port
SLAPD_URL='ldap://127.0.0.1:$port'
SLAPD_LDAPS_URL='ldaps://127.0.0.1:$sport'
SLAPD_CA='$d/tls/ca.pem'
SLAPD_WRONG_CA='$d/tls/wrongca.pem'
SRC_BASE='dc=source,dc=example'
SRC_BIND='cn=cpuu,dc=source,dc=example'
SRC_PWFILE='$d/source.pw'
TRG_BASE='dc=target,dc=example'
TRG_BIND='cn=cpuu,dc=target,dc=example'
TRG_PWFILE='$d/target.pw'
WRONG_PWFILE='$d/wrong.pw'
ENV
					if [ -n "${2:-}" ]; then
						watch "$2" "$pid" </dev/null >/dev/null 2>&1 &
						disown $! 2>/dev/null || true
					fi
					return 0
				fi
				sleep 0.1
			done
			[ -s "$d/slapd.pid" ] && kill "$(cat "$d/slapd.pid")" 2>/dev/null || true
		fi
		sleep 0.2
	done
	echo "slapd.sh: slapd did not start (see $d/slapd.log)" >&2
	return 1
}

watch() {
	local owner=$1 pid=$2
	while kill -0 "$owner" 2>/dev/null && alive "$pid"; do
		sleep 1
	done
	kill "$pid" 2>/dev/null || true
}

# Running and not a zombie waiting for init to reap it.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/status" ] || return 0
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

stop() {
	local d=$1 pid
	[ -s "$d/slapd.pid" ] || return 0
	pid=$(cat "$d/slapd.pid")
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		alive "$pid" || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
start) start "${2:?DIR}" "${3:-}" ;;
stop) stop "${2:?DIR}" ;;
*) echo "usage: slapd.sh start|stop DIR" >&2; exit 2 ;;
esac
