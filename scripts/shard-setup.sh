#!/usr/bin/env bash
# shard-setup.sh: makes a sharded authoob (docs/scale-out.md, "Sharding"):
# a PL/Proxy proxy database in front of N partitions (N a power of two),
# each an ordinary authoob database.
#
#   bash scripts/shard-setup.sh PROXY_DB PARTITION_CONNINFO...
#
# PROXY_DB is the proxy's database (created if missing, on the server of
# the PG* environment); each PARTITION_CONNINFO a partition's libpq
# conninfo, partition 0 first ("host=db0 dbname=authoob user=authoob_admin").
# On each partition it creates the extension (if need be) and gives it its
# number (authoob_set_partition: ids and tokens then say where they live)
# and the key they all share (authoob_set_partition_key);
# in the proxy it creates the foreign server "authoob" of the plproxy
# wrapper, with the partitions, a user mapping for the current user (the
# administrator: the user and password of the partitions' conninfos, the
# same for all, go there and not into the server's options), and
# the functions of scripts/shard-proxy.sql. authoob-http is then given the
# proxy's conninfo; with AUTHOOB_SHARD_API_USER (and _PASSWORD) set, every
# other role of the proxy (the front's) reaches the partitions as that
# user, which should be a member of authoob_api there and nothing more.
# Configure through the proxy (authoob_configure...), which runs it on every
# partition; hooks, fields and roles are made on each partition.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
	echo "usage: $0 PROXY_DB PARTITION_CONNINFO..." >&2
	exit 2
fi
proxy=$1; shift
n=$#
if (( n & (n - 1) )); then
	echo "$0: $n partitions: PL/Proxy needs a power of two" >&2
	exit 2
fi

# A conninfo's user and password go to the administrator's user mapping,
# the rest to the server's options: every role of the proxy reads those
# (pg_foreign_server), and a user named there would be the one every role
# connects as, whatever its own mapping says. Sets rest, user, password.
conninfo_pair='^[[:space:]]*([A-Za-z_]+)[[:space:]]*=[[:space:]]*'
conninfo_value="^('(([^'\\\\]|\\\\.)*)'|[^[:space:]']+)(.*)\$"
split_conninfo()
{
	local s=$1 key value
	rest='' user='' password=''
	while [[ $s =~ $conninfo_pair ]]; do
		key=${BASH_REMATCH[1]}
		s=${s:${#BASH_REMATCH[0]}}
		[[ $s =~ $conninfo_value ]] || break
		value=${BASH_REMATCH[1]}
		s=${BASH_REMATCH[4]}
		case $key in
			user|password)
				[[ $value == \'* ]] && value=$(printf '%s' "${BASH_REMATCH[2]}" | sed -E 's/\\(.)/\1/g')
				printf -v "$key" '%s' "$value" ;;
			*) rest+="${rest:+ }$key=$value" ;;
		esac
	done
	if [[ ! $s =~ ^[[:space:]]*$ ]]; then
		echo "$0: cannot read \"$1\": give keyword=value conninfos" >&2
		exit 2
	fi
}

i=0
options=()
# one key for all, which seals a sign-in with an identity provider handed
# from one partition to another (docs/identity-providers.md, "Sharding")
handoff_key=$(head -c 48 /dev/urandom | base64 -w0)
for conninfo in "$@"; do
	psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -d "$conninfo" <<-SQL
		SET client_min_messages = warning;
		CREATE EXTENSION IF NOT EXISTS authoob CASCADE;
		SELECT authoob_set_partition($i, $n);
		SELECT authoob_set_partition_key('$handoff_key');
	SQL
	split_conninfo "$conninfo"
	if (( i == 0 )); then
		admin_user=$user admin_password=$password
	elif [[ $user != "$admin_user" || $password != "$admin_password" ]]; then
		echo "$0: every partition's conninfo must name the same user and password (the proxy keeps one mapping for its administrator)" >&2
		exit 2
	fi
	options+=("p$i '${rest//\'/\'\'}'")
	i=$((i + 1))
done

if [ -z "$(psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '${proxy//\'/\'\'}'")" ]; then
	createdb "$proxy"
fi
psql -X -q -v ON_ERROR_STOP=1 -d "$proxy" <<-SQL
	SET client_min_messages = warning;
	CREATE EXTENSION IF NOT EXISTS plproxy;
	DO \$\$ BEGIN
	    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authoob_api') THEN
	        CREATE ROLE authoob_api NOLOGIN;
	    END IF;
	END \$\$;
	CREATE SERVER authoob FOREIGN DATA WRAPPER plproxy
	    OPTIONS ($(IFS=,; echo "${options[*]}"));
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$proxy" -v user="$admin_user" -v password="$admin_password" <<-'SQL'
	SELECT format('CREATE USER MAPPING FOR CURRENT_USER SERVER authoob%s',
	              coalesce(' OPTIONS (' || nullif(concat_ws(', ', 'user ' || quote_literal(nullif(:'user', '')),
	                                                       'password ' || quote_literal(nullif(:'password', ''))), '') || ')', ''))
	\gexec
SQL
# The front's role (and any other that may call the proxy's functions, which
# are granted to authoob_api) runs on the partitions as this user: give it
# authoob_api there, nothing more.
if [ -n "${AUTHOOB_SHARD_API_USER:-}" ]; then
	psql -X -q -v ON_ERROR_STOP=1 -d "$proxy" \
		-v user="$AUTHOOB_SHARD_API_USER" -v password="${AUTHOOB_SHARD_API_PASSWORD:-}" <<-'SQL'
		CREATE USER MAPPING FOR PUBLIC SERVER authoob
		    OPTIONS (user :'user', password :'password');
		GRANT USAGE ON FOREIGN SERVER authoob TO authoob_api;
	SQL
fi
psql -X -q -v ON_ERROR_STOP=1 -d "$proxy" -f scripts/shard-proxy.sql
# One HS256 secret for all (each partition drew its own): any partition,
# and anyone given the secret, verifies any partition's tokens.
secret=$(psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "SELECT encode(gen_random_bytes(48), 'base64')")
psql -X -q -v ON_ERROR_STOP=1 -o /dev/null -d "$proxy" -v secret="$secret" <<-'SQL'
	SELECT authoob_configure(jsonb_build_object('secret_key', :'secret'));
SQL
