#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the report store tests.
#
#   pg.sh start DIR [OWNER_PID]
#                      initdb (as the postgres user when run as root) into a
#                      fresh folder, pg_ctl start on 127.0.0.1 with a free
#                      port and the socket in that folder, wait until it
#                      accepts connections; writes DIR/env (shell syntax):
#                      PG_URL (postgresql://cpuu@127.0.0.1:PORT/postgres),
#                      PG_PID, PG_PORT, PG_DATA, PG_BIN.
#   pg.sh stop DIR     pg_ctl stop (fast), then the postmaster by its PID,
#                      and remove the cluster folder.
# Exit 77 with the reason on stderr when initdb is not installed (Debian:
# apt-get install postgresql). With OWNER_PID a watcher stops the cluster
# should the test die without calling stop.
# Authentication is "trust" for the loopback address only: test data, a
# random port, a cluster that lives for one test.
set -euo pipefail

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

find_bin() {
	local b
	if [ -n "${PG_BIN:-}" ] && [ -x "$PG_BIN/initdb" ]; then
		echo "$PG_BIN"
		return 0
	fi
	for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$b/initdb" ] && { echo "$b"; return 0; }
	done
	b=$(command -v initdb 2>/dev/null) && { dirname "$b"; return 0; }
	return 1
}

# Running and not a zombie.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/status" ] || return 0
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

watch() {
	local owner=$1 pid=$2 dir=$3
	while kill -0 "$owner" 2>/dev/null && alive "$pid"; do
		sleep 1
	done
	if alive "$pid"; then
		stop "$dir" || true
	fi
}

start() {
	local d=$1 owner=${2:-} bin data port pid try
	mkdir -p "$d"
	d=$(cd "$d" && pwd)
	if ! bin=$(find_bin); then
		echo "pg.sh: initdb not found (PostgreSQL server not installed: apt-get install postgresql)" >&2
		return 77
	fi
	# The cluster folder must be reachable by the postgres user: its own
	# folder under /tmp, not inside the test's private (0700) folder.
	data=$(mktemp -d "${TMPDIR:-/tmp}/cpuu-pg-XXXXXX")
	chmod 755 "$data"
	local run=()
	if [ "$(id -u)" -eq 0 ]; then
		if ! id postgres >/dev/null 2>&1; then
			echo "pg.sh: running as root but there is no postgres user" >&2
			rm -rf "$data"
			return 77
		fi
		chown postgres: "$data"
		run=(runuser -u postgres --)
	fi
	if ! "${run[@]}" "$bin/initdb" -D "$data/db" -U cpuu -A trust -E UTF8 --locale=C --no-sync \
		>"$data/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		tail -5 "$data/initdb.log" >&2
		rm -rf "$data"
		return 1
	fi
	for try in 1 2 3 4 5; do
		port=$(free_port)
		if "${run[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c full_page_writes=off" \
			start >/dev/null 2>&1; then
			pid=$(head -1 "$data/db/postmaster.pid")
			cat >"$d/env" <<ENV
PG_URL='postgresql://cpuu@127.0.0.1:$port/postgres'
PG_PID=$pid
PG_PORT=$port
PG_DATA='$data'
PG_BIN='$bin'
ENV
			if [ -n "$owner" ]; then
				watch "$owner" "$pid" "$d" </dev/null >/dev/null 2>&1 &
				disown $! 2>/dev/null || true
			fi
			return 0
		fi
		sleep 0.2
	done
	echo "pg.sh: postgres did not start:" >&2
	tail -5 "$data/server.log" >&2 || true
	rm -rf "$data"
	return 1
}

stop() {
	local d=$1
	[ -s "$d/env" ] || return 0
	local PG_PID= PG_DATA= PG_BIN=
	. "$d/env"
	[ -n "$PG_DATA" ] || return 0
	local run=()
	[ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)
	if [ -n "$PG_PID" ] && alive "$PG_PID"; then
		"${run[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA/db" -m fast -w -t 30 stop >/dev/null 2>&1 || true
		for _ in $(seq 1 100); do
			alive "$PG_PID" || break
			sleep 0.1
		done
		alive "$PG_PID" && kill -9 "$PG_PID" 2>/dev/null || true
	fi
	case "$PG_DATA" in
	*/cpuu-pg-*) rm -rf "$PG_DATA" ;;
	esac
	rm -f "$d/env"
}

case "${1:-}" in
start) start "${2:?DIR}" "${3:-}" ;;
stop) stop "${2:?DIR}" ;;
*) echo "usage: pg.sh start|stop DIR [OWNER_PID]" >&2; exit 2 ;;
esac
