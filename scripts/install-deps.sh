#!/usr/bin/env bash
# install-deps.sh: installs, as root on Debian 12, everything authoob needs to
# build, run and test.  Does nothing when all of it is already there.
set -euo pipefail

# The request fuzzer (frontend/fuzz) needs clang with its fuzzer and
# sanitizer runtimes: clang-14 alone has neither (libclang-rt-14-dev). gcc's
# sanitizer runtimes, for make -C frontend SANITIZE=1, come with gcc.
# PL/Proxy makes the proxy of a sharded deployment (scripts/shard-setup.sh).
# iproute2: ip (t/017's network namespace) and ss (a listen queue, t/lib).
# gdb holds an event loop at a chosen point (t/036_stop_under_load.pl).
# The Debian packages (debian/, docs/operations.md) build with dpkg-dev,
# debhelper and pg_buildext (postgresql-server-dev-all), lintian checks
# them (scripts/package-test.sh), debootstrap makes the fresh root they
# may install into (scripts/fresh-debian.sh); systemd's systemd-analyze
# checks the unit. The prometheus package brings promtool, which checks
# the metrics (t/030_metrics.pl). libqrencode draws the QR code of a TOTP
# factor's enrolment; oathtool computes the tests' TOTP codes, apart from
# authoob's own (sql/29_mfa.sql, t/025), and python3-pyotp, a second
# implementation, checks them at the edges of the time steps (t/025).
packages=(
	build-essential
	postgresql-15 postgresql-contrib postgresql-server-dev-15 libpq-dev
	postgresql-15-plproxy
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libargon2-dev libqrencode-dev
	oathtool
	clang-14 libclang-rt-14-dev
	curl wrk valgrind gdb nginx iproute2
	libipc-run-perl python3-jwt python3-cryptography python3-aiosmtpd python3-psycopg2
	python3-pyotp
	nodejs npm
	postgresql-15-auto-failover
	chromium
	dpkg-dev debhelper postgresql-server-dev-all lintian debootstrap systemd
	prometheus
)

# a name an installed package provides counts as installed: NodeSource's
# nodejs provides npm, and conflicts with Debian's
provided=$(dpkg-query -W -f='${Status}\t${Provides}\n' |
	awk -F'\t' '$1 == "install ok installed" { print $2 }' | tr ',' '\n' | sed 's/ *(.*//; s/^ *//')

missing=()
for package in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' &&
		! grep -qx "$package" <<<"$provided"; then
		missing+=("$package")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "authoob: installing ${missing[*]}"
	apt-get update -qq
	# no service of a package starts while it installs (prometheus's server
	# is not wanted, only its promtool): the policy-rc.d(8) way, when no
	# policy is there already
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The JavaScript clients the tests use (t/111, t/019 @supabase/auth-js,
# t/020 puppeteer-core driving Debian's chromium), exactly as
# t/js/package-lock.json pins them; not again when they are there already
# (npm ls checks without the network: scripts/fresh-debian.sh runs its
# tests offline, after a first run has installed them).
js="$(dirname "$0")/../t/js"
if ! npm ls --prefix "$js" --all >/dev/null 2>&1; then
	npm ci --prefix "$js" --no-audit --no-fund --loglevel=error
fi
