# authoob: the PostgreSQL extension (PGXS) and, in frontend/, its HTTP front.

MODULE_big = authoob
OBJS = $(patsubst %.c,%.o,$(wildcard extension/*.c))
# authoob_supabase: Supabase's auth.uid() and the like, for an app's own
# database (README "Supabase users")
EXTENSION = authoob authoob_supabase

# The scripts of released versions never change (extension/released/);
# those of the version in the making are built from one source per SQL
# object (extension/sql/): a template lists its sources, each \ir line of
# it replaced by the file it names.
DATA = $(wildcard extension/released/authoob--*.sql) $(wildcard extension/supabase/*.sql)
SQL_TEMPLATES = $(wildcard extension/sql/authoob--*.sql)
DATA_built = $(patsubst extension/sql/%,extension/%,$(SQL_TEMPLATES))
SQL_SOURCES = $(wildcard extension/sql/*.sql extension/sql/*/*.sql)

# Every sql/*.sql is a test, and each runs alone as well as in order
# (make installcheck REGRESS=12_recovery): it starts from
# sql/fixtures/setup.psql, included by a path relative to the directory
# pg_regress runs psql in, this one.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=.

PG_CPPFLAGS = -Iextension
SHLIB_LINK = -largon2 -lcrypto -lqrencode -lcurl
# -Wno-unused-parameter: the server's own inline functions trip it
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every source includes the one header: rebuild them all when it changes
$(OBJS): extension/authoob.h

extension/authoob--%.sql: extension/sql/authoob--%.sql $(SQL_SOURCES)
	awk '/^\\ir / { file = "extension/sql/" $$2; \
		while ((getline line < file) > 0) print line; \
		if (close(file) != 0) { print "no " file > "/dev/stderr"; exit 1 } next } \
		{ print }' $< > $@.tmp && mv $@.tmp $@

# the HTTP front builds, installs and cleans with the extension, unless
# FRONTEND=no (debian/rules: the front is a package of its own)
ifneq ($(FRONTEND),no)
all: frontend
frontend:
	$(MAKE) -C frontend
install: install-frontend
install-frontend:
	$(MAKE) -C frontend install
clean: clean-frontend
clean-frontend:
	$(MAKE) -C frontend clean
endif
.PHONY: frontend install-frontend clean-frontend

# the benchmark of the installed extension and front against this machine's
# floors (scripts/bench.sh says how to tune it)
bench:
	bash scripts/bench.sh
.PHONY: bench
