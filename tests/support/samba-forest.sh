#!/usr/bin/env bash
# Two throwaway Samba AD domain controllers for the directory tests: the
# source forest (SOURCE.EXAMPLE, DC=source,DC=example) and the target forest
# (TARGET.EXAMPLE, DC=target,DC=example), each with Exchange's attributes.
#
#   samba-forest.sh start DIR [OWNER_PID]
#       provision (or copy from the cache) both domains, add loopback
#       addresses, TLS certificates, start both DCs and wait until they
#       answer; writes DIR/env (shell syntax).
#   samba-forest.sh stop DIR
#       stop both DCs by their PIDs, remove the loopback addresses.
#   samba-forest.sh prepare
#       only fill the cache (what `start` does first).
# With OWNER_PID (the test's PID) a watcher stops the DCs if the test dies
# without calling stop. Exit 77 from start: cannot run here (not root, no
# samba); the calling test skips.
#
# Why each piece:
# - A DC listens on AD's fixed ports (389, 636, 3268, 3269, 88) of the
#   addresses in `interfaces`; two DCs need two addresses. Samba only binds
#   addresses that are on an interface, so a free 127.x.y.z is added to `lo`
#   (ip addr add, root) and removed at stop.
# - Provisioning takes ~15 s of CPU per domain, so both provisioned and
#   loaded domains are kept in a cache folder ($CPUU_SAMBA_CACHE, default
#   $CPUU_BINARY_DIR/samba-cache) keyed by the hash of this script, the
#   generators, the user count and Samba's version; a test copies them
#   (~35 MB each) and only rewrites smb.conf. The databases hold no path or
#   address (checked: only smb.conf does).
# - Schema: Exchange's schema update adds its attributes to AD and extends
#   the Mail-Recipient auxiliary class (attached to user, contact and group)
#   with them. The attributeSchema objects below carry Microsoft's published
#   attributeID and syntax:
#     mailNickname        1.2.840.113556.1.2.447   2.5.5.12 (Unicode), single
#     targetAddress       1.2.840.113556.1.2.352   2.5.5.12, single
#         (ms-Exch-Target-Address, Exchange 2007 SDK, learn.microsoft.com aa581320)
#     extensionAttribute1-10   1.2.840.113556.1.2.423 .. .432   2.5.5.12, single
#     extensionAttribute11-15  1.2.840.113556.1.2.599 .. .603   2.5.5.12, single
#         (ms-Exch-Extension-Attribute-N, Exchange 2003 SDK, e.g. ms980475 for 11)
#     msExchMailboxGuid   1.2.840.113556.1.4.7000.102.11058  2.5.5.10 (octet string), single
#     msExchRecipientTypeDetails 1.2.840.113556.1.4.7000.102.50855 2.5.5.16 (large integer), single
#   proxyAddresses (1.2.840.113556.1.2.210) and legacyExchangeDN
#   (1.2.840.113556.1.4.655, MS-ADA1 2.360) are in AD's base schema already.
# - Users: tests/data/ldap/gen-users.py (the slapd suite's generator, so both
#   suites hold the same hard cases) turned into AD objects by
#   samba-ldif.py, which adds contacts, groups, shared and room mailboxes and
#   one mailbox with more than 1500 proxyAddresses.
# - TLS: Samba would generate a self-signed certificate for its host name,
#   which a client connecting to an IP address cannot verify; like an
#   enterprise PKI, a test CA signs a certificate for the DC's address.
#   Samba's default `ldap server require strong auth = yes` is kept: simple
#   binds need TLS, as on a hardened Windows DC. CPUU_SAMBA_PLAIN_BIND=yes
#   (samba_wine_range.sh only) allows them over plain LDAP.
# - The service accounts cpuu@source.example / cpuu@target.example bind by
#   UPN; the target's is in Account Operators (write proxyAddresses for
#   `cpuu map x500 --apply`).
#
# DIR/env defines SRC_URL, SRC_LDAPS_URL, SRC_GC_URL, SRC_GCS_URL, SRC_IP,
# SRC_BASE, SRC_BIND, SRC_PWFILE, the same with TRG_, SAMBA_CA (the CA
# file), SAMBA_WRONG_CA, WRONG_PWFILE, EXPECTED (expected.tsv), RANGED
# (ranged.tsv: rangebox's keys, samba-ldif.py), KRB5_SRC_CONF
# and KRB5_TRG_CONF (krb5.conf naming each DC's KDC), SRC_KEYTAB and TRG_KEYTAB
# (the service accounts' keys), SAMBA_DIR and SAMBA_PIDS.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
data="$here/../data/ldap"
users=${CPUU_SAMBA_USERS:-1000}
admin_pw='Adm1n-Test-Only!'
svc_pw='Svc-Test-0nly!'

need() {
	if [ "$(id -u)" -ne 0 ]; then echo "samba-forest: needs root (ip addr, ports < 1024)" >&2; exit 77; fi
	local c
	for c in samba samba-tool ldbadd ldbmodify ip openssl python3 ldapsearch; do
		command -v "$c" >/dev/null 2>&1 || { echo "samba-forest: $c not installed" >&2; exit 77; }
	done
}

cache_key() {
	{ cat "$0" "$here/samba-ldif.py" "$data/gen-users.py"; echo "$users"; samba -V; } | sha256sum | cut -c1-16
}

# schema_ldif SUFFIX: the attributeSchema objects, then (second file) the
# Mail-Recipient extension (a separate run: the new attributes must be in
# the loaded schema before a class can name them).
schema_ldif() {
	local s="CN=Schema,CN=Configuration,$1" out=$2
	python3 - "$s" "$out" <<'PY'
import sys
s, out = sys.argv[1], sys.argv[2]
attrs = [("ms-Exch-Mail-Nickname", "mailNickname", "1.2.840.113556.1.2.447", "2.5.5.12", 64),
         ("ms-Exch-Target-Address", "targetAddress", "1.2.840.113556.1.2.352", "2.5.5.12", 64),
         ("ms-Exch-Mailbox-Guid", "msExchMailboxGuid", "1.2.840.113556.1.4.7000.102.11058", "2.5.5.10", 4),
         ("ms-Exch-Recipient-Type-Details", "msExchRecipientTypeDetails",
          "1.2.840.113556.1.4.7000.102.50855", "2.5.5.16", 65)]
for i in range(1, 16):
    attrs.append(("ms-Exch-Extension-Attribute-%d" % i, "extensionAttribute%d" % i,
                  "1.2.840.113556.1.2.%d" % (422 + i if i <= 10 else 588 + i), "2.5.5.12", 64))
with open(out + ".attrs", "w") as f:
    for cn, name, oid, syntax, om in attrs:
        # searchFlags 1: indexed (Exchange indexes the ones cpuu searches by);
        # in the partial attribute set, so the global catalog has them.
        f.write("dn: CN=%s,%s\nobjectClass: top\nobjectClass: attributeSchema\ncn: %s\n"
                "attributeID: %s\nattributeSyntax: %s\noMSyntax: %d\nisSingleValued: TRUE\n"
                "lDAPDisplayName: %s\nsearchFlags: 1\nisMemberOfPartialAttributeSet: TRUE\n\n"
                % (cn, s, cn, oid, syntax, om, name))
with open(out + ".class", "w") as f:
    f.write("dn: CN=Mail-Recipient,%s\nchangetype: modify\nadd: mayContain\n" % s)
    f.write("".join("mayContain: %s\n" % a[1] for a in attrs))
    # The consistency GUID (base schema, 1.2.840.113556.1.4.1360) is on
    # user from Windows Server 2016's schema on; Samba's 2012 R2 level lacks it.
    f.write("mayContain: mS-DS-ConsistencyGuid\n")
PY
}

# build_domain CACHE NAME REALM NETBIOS SUFFIX LDIF [writer]
build_domain() {
	local c=$1 name=$2 realm=$3 nb=$4 suffix=$5 ldif=$6 d="$1/$2"
	samba-tool domain provision --realm="$realm" --domain="${realm%%.*}" --server-role=dc \
		--dns-backend=NONE --adminpass="$admin_pw" --targetdir="$d" --host-name="$nb" \
		--option="interfaces=127.0.0.1" --option="bind interfaces only=yes" >"$d.provision.log" 2>&1
	local sam="$d/private/sam.ldb" opt="--option=dsdb:schema update allowed=true"
	schema_ldif "$suffix" "$c/$name-schema"
	ldbadd -H "$sam" "$opt" "$c/$name-schema.attrs" >>"$d.provision.log"
	ldbmodify -H "$sam" "$opt" "$c/$name-schema.class" >>"$d.provision.log"
	# In chunks: ldbadd adds a file in one transaction, and one transaction
	# of 10,000 users grows superlinearly (minutes); 500 at a time is linear.
	mkdir -p "$d.chunks"
	awk -v out="$d.chunks/part" 'BEGIN { RS = ""; ORS = "\n\n" }
		{ f = sprintf("%s.%04d.ldif", out, int((NR - 1) / 500)); print > f }' "$ldif"
	local part
	for part in "$d.chunks"/part.*.ldif; do
		ldbadd -H "$sam" --controls=relax:0 "$part" >>"$d.provision.log"
	done
	rm -rf "$d.chunks"
	samba-tool user create cpuu "$svc_pw" -H "$sam" --use-username-as-cn >>"$d.provision.log"
	if [ "${7:-}" = writer ]; then
		samba-tool group addmembers "Account Operators" cpuu -H "$sam" >>"$d.provision.log"
	fi
}

prepare() {
	local root=${CPUU_SAMBA_CACHE:-${CPUU_BINARY_DIR:-/tmp}/samba-cache}
	local key c
	key=$(cache_key)
	c="$root/$key"
	mkdir -p "$root"
	# One builder at a time; the others wait and reuse its result.
	exec 9>"$root/.lock"
	flock 9
	if [ ! -f "$c/done" ]; then
		rm -rf "$root"/*.tmp "$c"
		local t="$c.tmp"
		mkdir -p "$t"
		python3 "$data/gen-users.py" "$t/gen" "$users"
		python3 "$here/samba-ldif.py" "$t/gen" "$t"
		build_domain "$t" source SOURCE.EXAMPLE SRCDC dc=source,dc=example "$t/source-ad.ldif" &
		local p1=$!
		build_domain "$t" target TARGET.EXAMPLE TRGDC dc=target,dc=example "$t/target-ad.ldif" writer &
		local p2=$! rc=0
		wait $p1 || rc=1
		wait $p2 || rc=1
		if [ $rc -ne 0 ]; then
			echo "samba-forest: provisioning failed:" >&2
			tail -5 "$t"/*.provision.log >&2
			exit 1
		fi
		touch "$t/done"
		mv "$t" "$c"
	fi
	flock -u 9
	echo "$c"
}

make_certs() { # DIR IP...
	local d=$1
	shift
	mkdir -p "$d/tls"
	for ca in ca wrongca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/tls/$ca.key" -out "$d/tls/$ca.pem" -days 2 \
			-subj "/CN=cpuu samba test $ca" -addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	done
	local ip
	for ip in "$@"; do
		printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' "$ip" >"$d/tls/$ip.cnf"
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/tls/$ip.key" -out "$d/tls/$ip.csr" -subj "/CN=$ip" 2>/dev/null
		openssl x509 -req -in "$d/tls/$ip.csr" -CA "$d/tls/ca.pem" -CAkey "$d/tls/ca.key" \
			-CAcreateserial -out "$d/tls/$ip.pem" -days 2 -extfile "$d/tls/$ip.cnf" 2>/dev/null
		chmod 600 "$d/tls/$ip.key"
	done
}

# A 127.x.y.z that no interface has: added to lo here, so that it is ours.
take_address() {
	local try ip
	for try in $(seq 1 50); do
		ip="127.$((RANDOM % 100 + 100)).$((RANDOM % 256)).$((RANDOM % 250 + 2))"
		if ip addr add "$ip/32" dev lo 2>/dev/null; then
			echo "$ip"
			return 0
		fi
	done
	return 1
}

write_conf() { # DIR NAME REALM NETBIOS IP
	local d="$1/$2"
	cat >"$d/etc/smb.conf" <<CONF
[global]
	netbios name = $4
	realm = $3
	workgroup = ${3%%.*}
	server role = active directory domain controller
	interfaces = $5
	bind interfaces only = yes
	# LDAP (389, 636, global catalog 3268/3269) and the KDC: what cpuu and
	# a workstation's bind use. No SMB, DNS, NetBIOS or replication.
	server services = ldap, kdc
	private dir = $d/private
	state directory = $d/state
	lock directory = $d
	cache directory = $d/cache
	pid directory = $d/run
	binddns dir = $d/bind-dns
	log file = $d/log.samba
	logging = file
	log level = 1
	tls enabled = yes
	tls keyfile = $1/tls/$5.key
	tls certfile = $1/tls/$5.pem
	tls cafile = $1/tls/ca.pem
CONF
	# Test-only (samba_wine_range.sh): simple binds over plain LDAP, for
	# Wine's wldap32, whose LDAPS fails (docs/directory.md).
	[ "${CPUU_SAMBA_PLAIN_BIND:-}" = yes ] && printf '\tldap server require strong auth = no\n' >>"$d/etc/smb.conf"
	mkdir -p "$d/run" "$d/cache"
	cat >"$1/krb5-$2.conf" <<KRB
[libdefaults]
	default_realm = $3
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
[realms]
	$3 = {
		kdc = $5
	}
KRB
}

# Running and not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/status" ] || return 0
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

start_dc() { # DIR NAME IP
	local d="$1/$2" pid
	rm -f "$d/run/"*.pid
	samba -s "$d/etc/smb.conf" -M single --foreground --no-process-group >"$d/stdout.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$1/$2.pid"
	for _ in $(seq 1 300); do
		alive "$pid" || { echo "samba-forest: $2 DC exited (see $d/log.samba)" >&2; return 1; }
		if ldapsearch -x -H "ldap://$3" -b '' -s base dnsHostName >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	echo "samba-forest: $2 DC did not answer in 30 s (see $d/log.samba)" >&2
	return 1
}

start() {
	local d=$1 c
	need
	mkdir -p "$d"
	d=$(cd "$d" && pwd)
	c=$(prepare)
	rm -rf "$d/source" "$d/target"
	cp -a "$c/source" "$c/target" "$d/"
	cp "$c/expected.tsv" "$c/ranged.tsv" "$d/"
	: >"$d/addresses"
	local sip tip
	sip=$(take_address) && echo "$sip" >>"$d/addresses" || { echo "samba-forest: no free loopback address" >&2; return 1; }
	tip=$(take_address) && echo "$tip" >>"$d/addresses" || { stop "$d"; echo "samba-forest: no free loopback address" >&2; return 1; }
	make_certs "$d" "$sip" "$tip"
	write_conf "$d" source SOURCE.EXAMPLE SRCDC "$sip"
	write_conf "$d" target TARGET.EXAMPLE TRGDC "$tip"
	# Kerberos: a client names the service by the host in its URL (an
	# address here), so each DC also gets the SPN ldap/<address>; the
	# service accounts' keys go to keytabs so a test can kinit without a
	# prompt. Offline, before the DCs start.
	samba-tool spn add "ldap/$sip" 'SRCDC$' -H "$d/source/private/sam.ldb" >/dev/null
	samba-tool spn add "ldap/$tip" 'TRGDC$' -H "$d/target/private/sam.ldb" >/dev/null
	samba-tool domain exportkeytab "$d/source.keytab" --principal=cpuu@SOURCE.EXAMPLE \
		-s "$d/source/etc/smb.conf" >/dev/null 2>&1
	samba-tool domain exportkeytab "$d/target.keytab" --principal=cpuu@TARGET.EXAMPLE \
		-s "$d/target/etc/smb.conf" >/dev/null 2>&1
	umask 077
	printf '%s\n' "$svc_pw" >"$d/source.pw"
	printf '%s\n' "$svc_pw" >"$d/target.pw"
	printf 'not-the-password\n' >"$d/wrong.pw"
	if ! start_dc "$d" source "$sip" || ! start_dc "$d" target "$tip"; then
		stop "$d"
		return 1
	fi
	cat >"$d/env" <<ENV
SAMBA_DIR='$d'
SAMBA_PIDS='$(cat "$d/source.pid") $(cat "$d/target.pid")'
SRC_IP=$sip
SRC_URL='ldap://$sip'
SRC_LDAPS_URL='ldaps://$sip'
SRC_GC_URL='ldap://$sip:3268'
SRC_GCS_URL='ldaps://$sip:3269'
SRC_BASE='DC=source,DC=example'
SRC_BIND='cpuu@source.example'
SRC_PWFILE='$d/source.pw'
TRG_IP=$tip
TRG_URL='ldap://$tip'
TRG_LDAPS_URL='ldaps://$tip'
TRG_GC_URL='ldap://$tip:3268'
TRG_GCS_URL='ldaps://$tip:3269'
TRG_BASE='DC=target,DC=example'
TRG_BIND='cpuu@target.example'
TRG_PWFILE='$d/target.pw'
SAMBA_CA='$d/tls/ca.pem'
SAMBA_WRONG_CA='$d/tls/wrongca.pem'
WRONG_PWFILE='$d/wrong.pw'
EXPECTED='$d/expected.tsv'
RANGED='$d/ranged.tsv'
KRB5_SRC_CONF='$d/krb5-source.conf'
KRB5_TRG_CONF='$d/krb5-target.conf'
SRC_KEYTAB='$d/source.keytab'
TRG_KEYTAB='$d/target.keytab'
ENV
	if [ -n "${2:-}" ]; then
		watch "$2" "$d" </dev/null >/dev/null 2>&1 &
		disown $! 2>/dev/null || true
	fi
}

watch() {
	local owner=$1 d=$2
	while kill -0 "$owner" 2>/dev/null && [ -f "$d/addresses" ]; do
		sleep 1
	done
	stop "$d"
}

stop() {
	local d=$1 f pid ip
	for f in "$d/source.pid" "$d/target.pid"; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do
			alive "$pid" || break
			sleep 0.1
		done
		alive "$pid" && kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
	if [ -f "$d/addresses" ]; then
		while read -r ip; do
			[ -n "$ip" ] && ip addr del "$ip/32" dev lo 2>/dev/null || true
		done <"$d/addresses"
		rm -f "$d/addresses"
	fi
}

case "${1:-}" in
start) start "${2:?DIR}" "${3:-}" ;;
stop) stop "${2:?DIR}" ;;
prepare) need; prepare ;;
*) echo "usage: samba-forest.sh start|stop DIR | prepare" >&2; exit 2 ;;
esac
