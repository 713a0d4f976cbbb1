#!/usr/bin/env bash
# ha-formation.sh: a pg_auto_failover formation on loopback, as a recipe to
# read: a monitor, a primary and a synchronous standby, the authoob extension
# created on the primary (the standby gets it by replication).
#
#   bash scripts/ha-formation.sh start DIR [PORT]   build it and run it
#   bash scripts/ha-formation.sh uri DIR [PORT]     the fronts' --db
#   bash scripts/ha-formation.sh switchover DIR [PORT]  the standby becomes
#                                       primary, the primary its standby
#   bash scripts/ha-formation.sh primary DIR [PORT] the primary's name (none
#                                       while a failover is under way)
#   bash scripts/ha-formation.sh wait DIR [PORT]    until one node is primary
#                                       and the other its secondary again
#   bash scripts/ha-formation.sh run DIR [PORT] NAME   run node NAME's
#                                       pg_autoctl again (after a crash)
#   bash scripts/ha-formation.sh stop DIR [PORT]    stop it (DIR stays)
#
# The monitor listens on PORT (default 6000), the nodes on PORT+1 and
# PORT+2; everything lives under DIR. pg_autoctl and Postgres run as an
# ordinary user (initdb refuses root): the caller, or "postgres" when the
# caller is root. Debian's postgresql-15-auto-failover provides pg_autoctl.
#
# Its timeouts are tuned so that a crashed primary node is replaced within
# 30 s and a switchover takes a few seconds (pg_auto_failover's defaults
# take 50 s to replace a node): docs/operations.md "Failover" says what each
# setting trades.
#
# On real machines: one monitor, and each node on its own host with
# --hostname its address and --ssl-self-signed or real certificates
# instead of --no-ssl and --auth trust (loopback only here).
set -euo pipefail

action=${1:?usage: ha-formation.sh start|uri|stop DIR [PORT]}
dir=${2:?usage: ha-formation.sh start|uri|stop DIR [PORT]}
port=${3:-6000}
export PATH=/usr/lib/postgresql/15/bin:$PATH
export LC_ALL=C.UTF-8
run_as=$(id -un)
[ "$(id -u)" = 0 ] && run_as=postgres
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# pg_autoctl keeps its configuration and state under XDG directories: kept
# under DIR, so that several formations on one host never meet.
# PG* variables of the caller's own cluster (pg_virtualenv) stay out of it.
unset PGHOST PGPORT PGDATABASE PGUSER PGDATA PGPASSWORD PGOPTIONS
as_owner()
{
	runuser -u "$run_as" -- env PATH="$PATH" LC_ALL=C.UTF-8 \
		XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" \
		XDG_RUNTIME_DIR="$dir/xdg/run" "$@"
}
if [ "$run_as" = "$(id -un)" ]; then
	as_owner() { env XDG_CONFIG_HOME="$dir/xdg/config" XDG_DATA_HOME="$dir/xdg/data" \
		XDG_RUNTIME_DIR="$dir/xdg/run" "$@"; }
fi

monitor_uri="postgres://autoctl_node@127.0.0.1:$port/pg_auto_failover?sslmode=disable"

# A pg_autoctl service in the background, its log in DIR/NAME.log; returns
# once its Postgres (on port $2) accepts connections.
run_node()
{
	local name=$1 node_port=$2
	as_owner setsid nohup pg_autoctl run --pgdata "$dir/$name" \
		>>"$dir/$name.log" 2>&1 </dev/null &
	for _ in $(seq 1 300); do
		pg_isready -q -h 127.0.0.1 -p "$node_port" && return 0
		sleep 0.2
	done
	echo "ha-formation.sh: $name does not start; see $dir/$name.log" >&2
	return 1
}

# Waits until the monitor says node NAME reached STATE.
wait_state()
{
	local name=$1 state=$2
	for _ in $(seq 1 600); do
		if [ "$(psql -X -At -h 127.0.0.1 -p "$port" -U autoctl_node -d pg_auto_failover \
			-c "SELECT reportedstate FROM pgautofailover.node WHERE nodename = '$name'" \
			2>/dev/null)" = "$state" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "ha-formation.sh: $name did not reach $state; see $dir/$name.log" >&2
	return 1
}

# The monitor decides a failover: it checks each node's Postgres every 2 s
# (a connect timeout of 1 s, 2 retries 1 s apart: a Postgres that crashed
# and that its pg_autoctl restarts at once is not failed over), and declares
# a node unhealthy when those checks fail and its pg_autoctl has not
# reported for 8 s; it then gives the old primary 10 s to demote itself
# before the standby is promoted (the defaults: every 5 s, 5 s, 2 retries
# 2 s apart, 20 s unreported, 30 s to demote).
tune_monitor()
{
	local setting
	for setting in health_check_period=2000 health_check_timeout=1000 \
		health_check_max_retries=2 health_check_retry_delay=1000 \
		node_considered_unhealthy_timeout=8000 primary_demote_timeout=10000; do
		psql -X -q -h 127.0.0.1 -p "$port" -U "$run_as" -d pg_auto_failover \
			-c "ALTER SYSTEM SET pgautofailover.${setting%%=*} = ${setting#*=}"
	done
	psql -X -q -At -h 127.0.0.1 -p "$port" -U "$run_as" -d pg_auto_failover \
		-c 'SELECT pg_reload_conf()' >/dev/null
}

# A node's pg_autoctl: a primary cut off from the monitor and its standby
# stops its Postgres after 6 s (default 20), well before the monitor's
# 8 + 10 s promote the standby: never two primaries. A standby being
# promoted waits at most 1 s for its WAL receiver to stop (default 5): the
# old primary has drained already, synchronous replication sent it all.
tune_node()
{
	local name=$1 setting
	for setting in network_partition_timeout=6 prepare_promotion_walreceiver=1; do
		as_owner pg_autoctl config set --pgdata "$dir/$name" \
			"timeout.${setting%%=*}" "${setting#*=}" >/dev/null
	done
}

case $action in
start)
	chown "$run_as" "$dir"
	as_owner mkdir -p "$dir/xdg/config" "$dir/xdg/data" "$dir/xdg/run"
	chmod 700 "$dir/xdg/run"

	# 1. the monitor: a Postgres that holds the formation's state and
	# decides failovers
	as_owner pg_autoctl create monitor --pgdata "$dir/monitor" --pgport "$port" \
		--hostname 127.0.0.1 --auth trust --no-ssl >>"$dir/monitor.log" 2>&1
	run_node monitor "$port"
	tune_monitor

	# 2. the first node: it becomes the primary; the application's database
	# is created with it, and the extension in it
	as_owner pg_autoctl create postgres --pgdata "$dir/node1" --pgport $((port + 1)) \
		--hostname 127.0.0.1 --name node1 --dbname authoob --monitor "$monitor_uri" \
		--auth trust --no-ssl >>"$dir/node1.log" 2>&1
	tune_node node1
	run_node node1 $((port + 1))
	wait_state node1 single
	psql -X -q -h 127.0.0.1 -p $((port + 1)) -U "$run_as" -d authoob \
		-c 'CREATE EXTENSION IF NOT EXISTS authoob CASCADE'
	# a standby whose primary went away tries again every second (default
	# 5): a primary restarted after a crash waits for its synchronous
	# standby before a commit returns. The second node copies it with the
	# rest of the primary's files.
	psql -X -q -h 127.0.0.1 -p $((port + 1)) -U "$run_as" -d authoob \
		-c "ALTER SYSTEM SET wal_retrieve_retry_interval = '1s'" -c 'SELECT pg_reload_conf()' >/dev/null

	# 3. the second node: pg_basebackup of the primary, then streaming; the
	# monitor makes it synchronous once it has caught up
	as_owner pg_autoctl create postgres --pgdata "$dir/node2" --pgport $((port + 2)) \
		--hostname 127.0.0.1 --name node2 --dbname authoob --monitor "$monitor_uri" \
		--auth trust --no-ssl >>"$dir/node2.log" 2>&1
	tune_node node2
	run_node node2 $((port + 2))
	wait_state node2 secondary
	wait_state node1 primary

	# 4. synchronous: a commit returns once the standby has it
	sync=$(psql -X -At -h 127.0.0.1 -p $((port + 1)) -U "$run_as" -d authoob \
		-c 'SHOW synchronous_standby_names')
	echo "ha-formation.sh: formation up, synchronous_standby_names = '$sync'"
	as_owner pg_autoctl show state --pgdata "$dir/monitor"
	;;
uri)
	as_owner pg_autoctl show uri --pgdata "$dir/monitor" --formation default
	;;
switchover)
	# the monitor orchestrates: the primary drains and becomes a standby,
	# the standby is promoted; pg_autoctl returns when it is done
	as_owner pg_autoctl perform switchover --pgdata "$dir/node1" --formation default
	;;
primary)
	psql -X -At -h 127.0.0.1 -p "$port" -U autoctl_node -d pg_auto_failover \
		-c "SELECT nodename FROM pgautofailover.node WHERE reportedstate = goalstate
			AND goalstate IN ('single', 'wait_primary', 'primary')"
	;;
wait)
	for _ in $(seq 1 900); do
		if [ "$(psql -X -At -h 127.0.0.1 -p "$port" -U autoctl_node -d pg_auto_failover \
			-c "SELECT string_agg(reportedstate::text || '/' || goalstate::text, ','
				ORDER BY reportedstate) FROM pgautofailover.node" 2>/dev/null)" \
			= "primary/primary,secondary/secondary" ]; then
			exit 0
		fi
		sleep 0.2
	done
	echo "ha-formation.sh: the formation is not back to primary and secondary" >&2
	exit 1
	;;
run)
	name=${4:?usage: ha-formation.sh run DIR PORT NAME}
	run_node "$name" $((port + ${name#node}))
	;;
stop)
	for name in node2 node1 monitor; do
		[ -d "$dir/$name" ] && as_owner pg_autoctl stop --pgdata "$dir/$name" 2>/dev/null || true
	done
	;;
*)
	echo "usage: ha-formation.sh start|uri|stop DIR [PORT]" >&2
	exit 2
	;;
esac
