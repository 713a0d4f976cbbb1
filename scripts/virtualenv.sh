#!/usr/bin/env bash
# virtualenv.sh: runs a command against a throwaway PostgreSQL 15 cluster
# made by pg_virtualenv, dropped when the command ends (test.sh, run.sh):
#
#   bash scripts/virtualenv.sh COMMAND...
#
# PGPORT, when set, is the cluster's port (else the first free one from
# 5432); PG* and PGPORT inside COMMAND are the cluster's.
set -euo pipefail

# The cluster takes its encoding from the locale: with none (a bare system,
# LANG unset or POSIX) that is SQL_ASCII, where lengths count bytes, and a
# locale that is not installed makes pg_createcluster refuse.  C.UTF-8 is
# built into glibc; LC_ALL overrides whatever the caller has.
export LC_ALL=C.UTF-8

# A Ctrl-C reaches the whole foreground process group.  pg_virtualenv
# would drop the cluster at once and go on: run the command against no
# cluster, or show logs it has just removed.  So it ignores SIGINT and
# SIGTERM, the command gets them (env --default-signal), and the cluster is
# dropped when the command has ended.
trap '' INT TERM

# -t: the cluster lives in a temporary directory even as root, so that a
# leftover or a parallel run elsewhere cannot collide with it
exec pg_virtualenv -t -v 15 env --default-signal=INT,TERM "$@"
