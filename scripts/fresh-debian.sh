#!/usr/bin/env bash
# fresh-debian.sh: runs the README's test command where a new user would, in
# a throwaway minimal Debian 12 root (debootstrap --variant=minbase), as root
# with an empty environment (no LANG).  A developer's machine or CI image
# already has PostgreSQL, compilers and a locale, which hide what such a user
# lacks; this does not.  Slow (debootstrap, the packages, the whole suite):
#
#   bash scripts/fresh-debian.sh [COMMAND...]    default: bash scripts/test.sh
#
# The tree copied in is the one committed (git archive HEAD, no git inside):
# commit before trying a change.  Everything runs in PID and mount
# namespaces of its own, so that whatever is left running or mounted goes
# with them, even after a Ctrl-C: debootstrap of bookworm from the host's
# Debian mirror; scripts/install-deps.sh in the root, the mirror reachable;
# then COMMAND in the root with /proc, /sys, /dev, /dev/pts and /dev/shm
# mounted, in a network namespace with only loopback (no test reaches out,
# none collides with the host's ports).  Packages installed in the root start
# no service there (policy-rc.d): it would run on the host's network.
#
# Knobs (environment):
#   FRESH_DEBIAN_MIRROR   default: the first URIs of the host's
#                         /etc/apt/sources.list.d/debian.sources
#   FRESH_DEBIAN_TIMEOUT  seconds COMMAND may take (default 5400); the
#                         debootstrap and the installation 1800 each
#   FRESH_DEBIAN_KEEP=1   keep the root, and say where (look in: chroot DIR)
#   FRESH_DEBIAN_ROOT=DIR reuse a kept root instead of making one: the tree
#                         in it is replaced, the packages stay
# Needs: root on Debian 12 with git, unshare and ip; debootstrap is installed
# from the mirror when missing.  Exit status: COMMAND's (124: it timed out),
# or 1.
set -euo pipefail

export FRESH_DEBIAN_STARTED=${FRESH_DEBIAN_STARTED:-$(date +%s)}
say() {
	local t=$(($(date +%s) - FRESH_DEBIAN_STARTED))
	printf 'fresh-debian [%d:%02d]: %s\n' $((t / 60)) $((t % 60)) "$*"
}
sources=/etc/apt/sources.list.d/debian.sources

# ------------------------------------------------- inside the namespaces
# "--inside ROOT MIRROR TREE COMMAND...": this script again, as PID 1 of new
# PID and mount namespaces.  The host side stops it by killing unshare.
if [[ ${1:-} == --inside ]]; then
	root=$2
	mirror=$3
	tree=$4
	shift 4

	if [[ ! -x $root/usr/bin/apt-get ]]; then
		say "debootstrap bookworm from $mirror into $root"
		timeout -k 30 1800 debootstrap --variant=minbase bookworm "$root" "$mirror" \
			>"$root.debootstrap.log" 2>&1 \
			|| { tail -30 "$root.debootstrap.log" >&2; exit 1; }
		# the host's sources (updates and security too), as an installed
		# system has them
		if [[ -f $sources ]]; then
			cp "$sources" "$root/etc/apt/sources.list.d/"
			rm -f "$root/etc/apt/sources.list"
		fi
		# the mirror's name resolves, and so does the machine's own
		# (make-ssl-cert asks for it), as after an installation
		cp /etc/resolv.conf /etc/hosts "$root/etc/"
		# and the certificate authorities the host's administrator added,
		# which its HTTPS (npm's registry) may need; ca-certificates takes
		# them in when install-deps.sh installs it
		if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
			mkdir -p "$root/usr/local/share/ca-certificates"
			cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
		fi
		printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
		chmod 755 "$root/usr/sbin/policy-rc.d"
		say "root made"
	fi
	rm -rf "$root/root/authoob"
	mkdir "$root/root/authoob"
	tar -x -C "$root/root/authoob" -f "$tree"

	mounted=()
	unmount() {
		local i
		for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
			umount -l "${mounted[i]}" || true
		done
	}
	trap unmount EXIT
	mount_in() {		# mount_in TARGET MOUNT-ARGS...
		mount "${@:2}" "$root$1"
		mounted+=("$root$1")
	}
	mount_in /proc -t proc proc
	mount_in /sys -t sysfs -o ro sysfs
	mount_in /dev --bind /dev
	mount_in /dev/pts --bind /dev/pts
	mount_in /dev/shm -t tmpfs -o mode=1777,nosuid,nodev tmpfs

	# only PATH, HOME and TERM, as after a root login on a bare system, and
	# no signal ignored (a background job ignores SIGINT)
	in_root=(chroot "$root" env -i --default-signal -C /root/authoob
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		HOME=/root "TERM=${TERM:-dumb}")

	say "scripts/install-deps.sh in the root"
	timeout -k 30 1800 "${in_root[@]}" bash scripts/install-deps.sh

	say "$* in the root, loopback only"
	status=0
	timeout -k 30 "$FRESH_DEBIAN_TIMEOUT" unshare --net -- \
		sh -c 'ip link set lo up && exec "$@"' sh "${in_root[@]}" "$@" || status=$?
	exit "$status"
fi

# ------------------------------------------------------------ on the host
[[ $(id -u) -eq 0 ]] || { echo "fresh-debian: run as root" >&2; exit 1; }
cd "$(dirname "$0")/.."
repo=$(pwd)
(($# > 0)) || set -- bash scripts/test.sh
export FRESH_DEBIAN_TIMEOUT=${FRESH_DEBIAN_TIMEOUT:-5400}
keep=${FRESH_DEBIAN_KEEP:-0}
mirror=${FRESH_DEBIAN_MIRROR:-$(awk '/^URIs:/ { print $2; exit }' "$sources" 2>/dev/null || true)}
mirror=${mirror:-http://deb.debian.org/debian}

for tool in git unshare ip timeout; do
	command -v "$tool" >/dev/null || { echo "fresh-debian: missing $tool" >&2; exit 1; }
done
if ! command -v debootstrap >/dev/null; then
	timeout 600 apt-get update -qq
	DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq debootstrap
fi
git diff --quiet HEAD -- || say "uncommitted changes are not tried, only HEAD"

if [[ -n ${FRESH_DEBIAN_ROOT:-} ]]; then
	root=$FRESH_DEBIAN_ROOT
	keep=1
	[[ -x $root/usr/bin/apt-get ]] || { echo "fresh-debian: $root is not a Debian root" >&2; exit 1; }
else
	root=$(mktemp -d /var/tmp/authoob-fresh-debian.XXXXXX)
	chmod 755 "$root"	# it is /: _apt and postgres go through it
fi
tree=$root.tree.tar
ns_pid=""

# The mounts live in the namespace, which dies with its last process; a
# root with anything still mounted in it is left alone rather than removed
# (rm would go through the mounts).
cleanup() {
	local status=$?
	trap - EXIT INT TERM
	# unshare blocks SIGTERM while it waits; its death takes the namespaces'
	# PID 1 (--kill-child), and every process and mount in them, along
	if [[ -n $ns_pid ]]; then
		kill -KILL "$ns_pid" 2>/dev/null || true
		wait "$ns_pid" 2>/dev/null || true
	fi
	rm -f "$tree" "$root.debootstrap.log"
	if grep -q " $root/" /proc/self/mountinfo; then
		echo "fresh-debian: something is still mounted in $root; not removed" >&2
		status=1
	elif [[ $keep == 1 ]]; then
		say "the root is kept in $root"
	else
		rm -rf --one-file-system "$root"
	fi
	say "exit status $status"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

git archive -o "$tree" HEAD
unshare --mount --pid --fork --kill-child -- \
	bash "$repo/scripts/fresh-debian.sh" --inside "$root" "$mirror" "$tree" "$@" &
ns_pid=$!
status=0
wait "$ns_pid" || status=$?
ns_pid=""
exit "$status"
