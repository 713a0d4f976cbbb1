#!/usr/bin/env bash
# package-test.sh: builds the Debian packages of debian/ and tests them
# (docs/operations.md "Packages"); part of scripts/test.sh.
#
#   bash scripts/package-test.sh           build, check, install in a throwaway root
#   bash scripts/package-test.sh --here    the same, installing in this root
#
# 1. dpkg-buildpackage -b in a copy of the tree (tracked and new files),
#    the .debs left in $PACKAGE_TEST_OUT (default: a temporary directory);
# 2. lintian: no error, no warning (docs/operations.md explains the one
#    pedantic tag left);
# 3. what the packages hold (dpkg-deb -c), and the unit (systemd-analyze
#    verify, and its exposure by systemd-analyze security);
# 4. the install, in new mount, PID and network namespaces (only loopback:
#    the service's ports collide with nothing), the root an overlay of this
#    machine's own (overlayfs, its changes on a tmpfs), so that nothing
#    installed, started or written outlives the test; with --here, in this
#    root itself, which must be a throwaway one on a loopback-only network:
#    what `bash scripts/fresh-debian.sh bash scripts/package-test.sh --here`
#    gives it, a new minimal Debian 12 (the dependencies come from
#    scripts/install-deps.sh, run there first, the network being cut after).
#    There: apt-get install of the extension, `pg_buildext installcheck`
#    against the installed files, a database for the service; apt-get
#    install of the front, whose service starts (without systemd: its init
#    script); a sign-up and a sign-in with curl, a scrape of its metrics, a
#    reload; the unit's command line says READY=1, RELOADING=1 and
#    STOPPING=1 over NOTIFY_SOCKET; apt-get remove leaves no authoob-http
#    running.
#
# PACKAGE_TEST_OUT=DIR keeps the packages, the logs and the tree built in
# DIR; with PACKAGE_TEST_BUILT=1 too, the packages already there are tested
# again, not built anew (to try a change of this script's tests).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "package-test: $*"; }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

# ------------------------------------------------ 4. in the namespaces
if [[ ${1:-} == --install ]]; then
	debs=$2 tree=$3
	# the PID namespace: pgrep sees what this test started, nothing else;
	# the network namespace is loopback only (fresh-debian.sh's has it up)
	if command -v ip >/dev/null; then
		ip link set lo up
	fi
	install -d -o postgres -g postgres /run/postgresql
	export LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
	unset PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD PGDATA
	# the postgres user's commands start where it may read
	cd /

	# services start here, as on an installed system: this root is a
	# throwaway, its network only loopback (a Docker image's policy-rc.d, or
	# fresh-debian.sh's, would keep them from starting)
	rm -f /usr/sbin/policy-rc.d
	# no init runs here: invoke-rc.d asks runlevel(8), which believes
	# $RUNLEVEL when it finds no utmp (a system booted to multi-user)
	export RUNLEVEL=2 PREVLEVEL=N
	apt_get() { apt-get -y -qq --no-install-recommends "$@" >>"$debs/apt.log" 2>&1 ||
		{ tail -30 "$debs/apt.log"; fail "apt-get $*"; }; }

	say "apt-get install postgresql-15-authoob"
	apt_get install "$debs"/postgresql-15-authoob_*.deb
	[[ -f /usr/share/postgresql/15/extension/authoob--0.1.sql ]] || fail "no released script installed"

	say "pg_buildext installcheck against the installed extension"
	(cd "$tree" && pg_buildext installcheck) >"$debs/installcheck.log" 2>&1 ||
		{ tail -40 "$debs/installcheck.log"; fail "pg_buildext installcheck"; }
	grep -q 'All [0-9]* tests passed' "$debs/installcheck.log" || fail "installcheck ran no test"

	say "a cluster and a database for the service (the role authoob, by peer authentication)"
	# the clusters this root knows of are none of this test's (the host's,
	# seen through the overlay; the one postgresql-15 made in a fresh root):
	# forgotten here, so that the new one takes 5432, the configuration's
	rm -rf /etc/postgresql/15
	pg_createcluster 15 packagetest --start >/dev/null
	runuser -u postgres -- psql -X -q -o /dev/null -v ON_ERROR_STOP=1 <<-'SQL'
		SET client_min_messages = warning;
		CREATE DATABASE authoob;
		\c authoob
		SET client_min_messages = warning;
		CREATE EXTENSION authoob CASCADE;
		SELECT authoob_configure('{"api_url": "http://127.0.0.1:8080", "app_url": "http://app.test",
		    "email_sender": "no-reply@authoob.test", "bcrypt_cost": 4}');
		CREATE ROLE authoob LOGIN IN ROLE authoob_api;
	SQL

	say "apt-get install authoob-http: its service starts"
	apt_get install "$debs"/authoob-http_*.deb
	for _ in $(seq 1 100); do
		curl -sf -o /dev/null http://127.0.0.1:9190/metrics && break
		sleep 0.1
	done
	pgrep -x authoob-http >/dev/null ||
		{ cat /var/log/authoob-http.log "$debs/apt.log"; fail "the service did not start"; }
	[[ $(stat -c %U /proc/$(pgrep -x authoob-http)) == authoob ]] || fail "the service does not run as authoob"
	[[ $(stat -c '%U:%G %a' /etc/authoob/authoob-http.conf) == 'root:authoob 640' ]] ||
		fail "the configuration is not root:authoob 640"

	say "a sign-up and a sign-in with curl"
	body='{"email": "ada@example.com", "password1": "Passw0rd!", "password2": "Passw0rd!"}'
	curl -sf -H 'Content-Type: application/json' -d "$body" \
		http://127.0.0.1:8080/authoob/register | grep -q '"token"' || fail "sign-up"
	curl -sf -H 'Content-Type: application/json' -d '{"email": "ada@example.com", "password": "Passw0rd!"}' \
		http://127.0.0.1:8080/authoob/login | grep -q '"token"' || fail "sign-in"
	# a request is counted once its answer is out: soon after curl has it
	for _ in $(seq 1 50); do
		curl -sf http://127.0.0.1:9190/metrics |
			grep -q '^authoob_http_requests_total{family="authoob",code="200"} 2$' && break
		sleep 0.1
	done || true
	curl -sf http://127.0.0.1:9190/metrics |
		grep -q '^authoob_http_requests_total{family="authoob",code="200"} 2$' || fail "metrics"

	say "a reload keeps the process"
	pid=$(pgrep -x authoob-http)
	/etc/init.d/authoob-http reload >/dev/null
	sleep 1
	[[ $(pgrep -x authoob-http) == "$pid" ]] || fail "the reload changed the process"
	grep -q 'received SIGHUP' /var/log/authoob-http.log || fail "the reload did not reach it"

	say "the unit's command line tells systemd (NOTIFY_SOCKET) it is ready, reloading, stopping"
	exec_start=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/authoob-http.service)
	python3 - "$exec_start" <<-'PY' || fail "sd_notify"
		import os, pwd, signal, socket, subprocess, sys, time
		path = "/tmp/notify.sock"
		s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		s.bind(path)
		os.chmod(path, 0o777)
		s.settimeout(20)
		# another port: the service itself still listens on 8080 and 9190
		cmd = sys.argv[1].split() + ["--listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0"]
		user = pwd.getpwnam("authoob")
		front = subprocess.Popen(cmd, env={"NOTIFY_SOCKET": path, "PATH": "/usr/bin:/bin"},
		                         user=user.pw_uid, group=user.pw_gid, stderr=subprocess.DEVNULL)
		def expect(state):
		    got = s.recv(4096).decode()
		    if got != state:
		        sys.exit("expected %r, got %r" % (state, got))
		expect("READY=1")
		front.send_signal(signal.SIGHUP)
		expect("RELOADING=1")
		expect("READY=1")
		front.send_signal(signal.SIGTERM)
		expect("STOPPING=1")
		sys.exit(front.wait(timeout=30))
	PY

	say "apt-get remove authoob-http: nothing of it runs"
	apt_get remove authoob-http
	sleep 0.5
	if pgrep -x authoob-http >/dev/null; then
		ps -o pid,user,args -C authoob-http
		fail "authoob-http still runs after its removal"
	fi
	apt_get purge authoob-http
	[[ ! -e /etc/authoob/authoob-http.conf ]] || fail "the configuration outlives the purge"
	pg_dropcluster 15 packagetest --stop
	say "installed, served, removed: all good"
	exit 0
fi

# ------------------------------------------------ 1. build
here=
[[ ${1:-} == --here ]] && here=1
out=${PACKAGE_TEST_OUT:-$(mktemp -d /tmp/authoob-packages.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The tree as it is, committed or not (git archive would take HEAD only),
# none of its build products, copied to $out/src and built there.
build_packages()
{
	rm -rf "$out/src" "$out"/*.deb "$out"/*.changes
	mkdir -p "$out/src"
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard | tar -cf - --null -T - | tar -xf - -C "$out/src"
	else
		tar -cf - --exclude=./.git . | tar -xf - -C "$out/src"
		make -s -C "$out/src" clean >/dev/null 2>&1 || true
	fi
	say "dpkg-buildpackage in $out/src"
	# the regression tests run on the installed package, below (nocheck here)
	if ! (cd "$out/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
		tail -40 "$out/build.log"
		fail "dpkg-buildpackage (log: $out/build.log)"
	fi
}

[[ ${PACKAGE_TEST_BUILT:-} == 1 ]] || build_packages
cp scripts/package-test.sh "$out/src/scripts/"

# ------------------------------------------------ 2. lintian
say "lintian"
if ! lintian --fail-on error,warning "$out"/authoob_*.changes >"$out/lintian.log" 2>&1; then
	cat "$out/lintian.log"
	fail "lintian"
fi

# ------------------------------------------------ 3. contents, the unit
say "contents"
contents() { dpkg-deb -c "$1" | awk '{ print $6 }' | sed 's|^\./|/|'; }
extension=$(contents "$out"/postgresql-15-authoob_*.deb)
front=$(contents "$out"/authoob-http_*.deb)
expected=(/usr/lib/postgresql/15/lib/authoob.so /usr/share/postgresql/15/extension/authoob.control
	/usr/share/postgresql/15/extension/authoob--0.3.sql /usr/share/postgresql/15/extension/authoob--0.2--0.3.sql)
for script in extension/released/*.sql; do
	expected+=("/usr/share/postgresql/15/extension/${script##*/}")
done
for file in "${expected[@]}"; do
	grep -qx "$file" <<<"$extension" || fail "postgresql-15-authoob lacks $file"
done
for file in /usr/sbin/authoob-http /usr/share/man/man8/authoob-http.8.gz /etc/authoob/authoob-http.conf \
	/lib/systemd/system/authoob-http.service /etc/init.d/authoob-http; do
	grep -qx "$file" <<<"$front" || fail "authoob-http lacks $file"
done
! grep -q '^/usr/local' <<<"$extension$front" || fail "a file under /usr/local"
# every option of --help has its entry in the manual page
man_page=$(dpkg-deb --fsys-tarfile "$out"/authoob-http_*.deb | tar -xOf - ./usr/share/man/man8/authoob-http.8.gz | gunzip)
for option in $("$out/src/debian/authoob-http/usr/sbin/authoob-http" --help | grep -o '^  --[a-z-]*'); do
	# roff writes each - of --db-read as \-
	grep -qF -- "${option//-/\\-}" <<<"$man_page" || fail "the manual page lacks $option"
done

say "the unit: systemd-analyze verify and security"
unit=frontend/authoob-http.service
systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'is not executable' || true
exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
say "exposure of $unit: $exposure (systemd-analyze security)"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || fail "exposure $exposure over 2.0"

# ------------------------------------------------ 4. install
if [[ $here ]]; then
	# fresh-debian.sh's network namespace is loopback only already
	unshare --pid --fork --mount-proc bash "$0" --install "$out" "$out/src"
	exit
fi
say "install into an overlay of this root"
unshare --mount --pid --net --fork bash -c '
	set -e
	root=$1 script=$2 out=$3
	mount -t tmpfs -o size=4g tmpfs "$root"
	mkdir -p "$root/upper" "$root/work" "$root/merged"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$root/upper,workdir=$root/work" "$root/merged"
	m=$root/merged
	mount -t proc proc "$m/proc"
	mount --rbind /dev "$m/dev"
	mount -t tmpfs tmpfs "$m/run"
	mount -t tmpfs tmpfs "$m/tmp"
	mkdir -p "$m$out"
	mount --bind "$out" "$m$out"
	mkdir -p "$m/run/lock"
	exec chroot "$m" bash "$script" --install "$out" "$out/src"
 ' package-test "$(mktemp -d /tmp/authoob-root.XXXXXX)" "$out/src/scripts/package-test.sh" "$out"
