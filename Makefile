# authoob: the PostgreSQL extension (PGXS) and, in frontend/, its HTTP front.

MODULE_big = authoob
OBJS = $(patsubst %.c,%.o,$(wildcard extension/*.c))
EXTENSION = authoob
DATA = $(wildcard extension/authoob--*.sql)

# Every sql/*.sql is a test, and each runs alone as well as in order
# (make installcheck REGRESS=12_recovery): it starts from
# sql/fixtures/setup.psql, included by a path relative to the directory
# pg_regress runs psql in, this one.
REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --outputdir=.

PG_CPPFLAGS = -Iextension
SHLIB_LINK = -largon2 -lcrypto
# -Wno-unused-parameter: the server's own inline functions trip it
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every source includes the one header: rebuild them all when it changes
$(OBJS): extension/authoob.h

# the HTTP front builds, installs and cleans with the extension
all: frontend
frontend:
	$(MAKE) -C frontend
install: install-frontend
install-frontend:
	$(MAKE) -C frontend install
clean: clean-frontend
clean-frontend:
	$(MAKE) -C frontend clean
.PHONY: frontend install-frontend clean-frontend

# the benchmark of the installed extension and front against this machine's
# floors (scripts/bench.sh says how to tune it)
bench:
	bash scripts/bench.sh
.PHONY: bench
