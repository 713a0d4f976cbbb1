# AuthoobTest - what the TAP tests of authoob-http share: a fresh database
# with the extension, a running front on a free port, and HTTP clients
# (HTTP::Tiny for ordinary requests, raw sockets for malformed or parallel
# ones), and the checks and look-ups that more than one test makes (an error
# answer, a mailed token, a user's roles...). Needs the PG* environment of
# pg_virtualenv (or any cluster where the current user may create databases).
package AuthoobTest;

use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use File::Basename ();
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use List::Util ();
use POSIX ':sys_wait_h';
use Test::More ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(psql psql_as new_database json_encode json_decode register_user
  strong_password hold_table_lock lock_waiters release_table_lock is_error
  hold_row_lock row_lock_waiters release_row_lock
  is_gotrue_error tally wait_until user_id roles_of add_give_role_hook
  mailed_token postgres_cluster pg_ctlcluster run_front refuses_flags sharded
  partitions partition_of same_partition hostile make_hostile
  hostile_conninfo hostile_checks skip_all_missing skip_missing unaccepted
  node_checks start_mail_sink);

my $json = JSON::PP->new->utf8->canonical->allow_nonref;
my $database_count = 0;
my $binary = 'frontend/authoob-http';
# AUTHOOB_HTTP_WRAPPER: a command to run the front under, say
# "valgrind --leak-check=full --error-exitcode=99". Such a front starts
# slowly, and is stopped with SIGTERM rather than killed, so that the wrapper
# can report at its exit.
my @wrapper = split ' ', ($ENV{AUTHOOB_HTTP_WRAPPER} // '');

sub json_encode { $json->encode(shift) }

# Decodes a body; undef when it is not JSON.
sub json_decode
{
	my ($text) = @_;
	return undef unless defined $text && length $text;
	my $data = eval { $json->decode($text) };
	return $data;
}

# AUTHOOB_NO_SKIP=1 (the test command sets it, on a machine where
# scripts/install-deps.sh installed everything): a test that cannot run for
# want of a tool fails instead of being skipped, so that a missing tool
# cannot pass for a test that ran. A skip by design in one mode (t/021 when
# sharded) is a plain skip_all that says so, whatever this switch.
my $no_skip = $ENV{AUTHOOB_NO_SKIP} // 0;

# For a file that cannot run here, at its start: plan skip_all => $reason,
# or, under AUTHOOB_NO_SKIP=1, one failing test saying why.
sub skip_all_missing
{
	my ($reason) = @_;
	Test::More::plan(skip_all => $reason) unless $no_skip;
	Test::More::plan(tests => 1);
	Test::More::fail("cannot run (AUTHOOB_NO_SKIP=1): $reason");
	exit 1;
}

# In a SKIP block: skip $count tests for $reason, or, under
# AUTHOOB_NO_SKIP=1, fail once saying why and leave the block.
sub skip_missing
{
	my ($reason, $count) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::skip($reason, $count) unless $no_skip;
	Test::More::fail("cannot run (AUTHOOB_NO_SKIP=1): $reason");
	no warnings 'exiting';
	last SKIP;
}

# AUTHOOB_SHARDS=N (a power of two): the sharded mode. new_database makes N
# partitions (NAME_p0...) behind a PL/Proxy database NAME, as
# scripts/shard-setup.sh does, and returns NAME: the front under test talks
# to the proxy alone. The tests' own SQL (psql) reaches the partitions as a
# user's would: a read (SELECT or WITH calling no authoob_ function) runs in
# NAME_all, where authoob.* are views over all the partitions' tables
# (postgres_fdw); a SELECT calling only functions the proxy has
# (authoob_configure, authoob_verify_role...) and naming no authoob table
# runs through the proxy, and so does NOTIFY (the mailers listen there);
# anything else (hooks, roles, fields, writes) runs on every partition, and
# its output is their sum when each is a number, 't' if any is when each
# is a boolean, else their distinct non-empty outputs, one a line. A
# PL/pgSQL function a test makes is made in the proxy too when it can be
# (a helper such as outcome(), which calls the proxy's functions).
my $shards = $ENV{AUTHOOB_SHARDS} // 0;
my %partitions_of;

sub sharded { $shards > 1 }

# The partition databases behind a proxy database (none: not sharded).
sub partitions { @{ $partitions_of{ $_[0] } // [] } }

# AUTHOOB_HOSTILE=1: the hostile mode (docs/security.md). The front (and
# the partitions' user, when sharded) connect as a member of authoob_api
# that owns a schema "app" first on its search_path, full of traps
# (t/lib/hostile.sql): an operator or a function of the caller's that
# authoob ran would write a row to app.trap_log and try to make the caller
# a superuser. When the test file ends, no trap may have run in any of its
# databases and no role may have become a superuser (hostile_checks).
my $hostile = $ENV{AUTHOOB_HOSTILE} // 0;
my $hostile_role = 'authoob_hostile';
my (@hostile_databases, $superusers_before);

sub hostile { $hostile }

sub superusers { psql_in($_[0], q{SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolsuper}) }

# Makes $role (a login role whose password is its name, in authoob_api)
# the attacker of database $db (a name or a conninfo): the owner of its
# schema app, first on its search_path, and the traps in it.
sub make_hostile
{
	my ($db, $role) = @_;
	$role //= $hostile_role;
	$superusers_before //= superusers($db);
	psql_in($db, qq{DO \$\$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') THEN
		    CREATE ROLE $role LOGIN PASSWORD '$role' IN ROLE authoob_api;
		END IF;
	END \$\$;
	CREATE SCHEMA app AUTHORIZATION $role;
	ALTER ROLE $role SET search_path = app, pg_catalog, public});
	open(my $fh, '<', File::Basename::dirname(__FILE__) . '/hostile.sql') or die "hostile.sql: $!";
	local $/;
	my $sql = <$fh>;
	# as the role: a conninfo's user gives way to it
	local $ENV{PGUSER} = $role;
	local $ENV{PGPASSWORD} = $role;
	(my $as_role = $db) =~ s/\buser=\S+\s*//;
	$as_role .= " user=$role" if $as_role =~ /=/;
	my $traps = psql_in($as_role, $sql);
	die "the traps of $db: $traps" unless $traps =~ /^\d+\|\d+\|\d+$/ && $traps !~ /^0/;
	push @hostile_databases, $db;
}

# The conninfo the front uses for $conninfo: in the hostile mode, as the
# attacker.
sub hostile_conninfo
{
	my ($conninfo) = @_;
	return $conninfo unless $hostile;
	$conninfo =~ s/\buser=\S+\s*//;
	return "$conninfo user=$hostile_role password=$hostile_role";
}

# What went wrong in the databases made hostile so far and not looked at
# yet: a trap that ran, a new superuser; one line each.
sub hostile_failures
{
	my @failures;
	for my $db (@_)
	{
		my $ran = eval { psql_in($db, q{SELECT coalesce(string_agg(DISTINCT trap || ' as ' || ran_as,
			'; '), '') FROM app.trap_log}) } // "the log is unreadable: $@";
		push @failures, "$db: traps ran: $ran" if length $ran;
		my $now = eval { superusers($db) } // "unreadable: $@";
		push @failures, "$db: superusers are now $now, not $superusers_before"
		  if $now ne $superusers_before;
	}
	return @failures;
}

# A test that no trap ran and no role became a superuser in the databases
# made hostile so far (make_hostile), or in those given (a standby of one,
# promoted). A file that stops its own clusters calls it before it does;
# the others' are looked at when they end.
sub hostile_checks
{
	my @databases = @_ ? @_ : splice @hostile_databases;
	return 1 unless @databases;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my @failures = hostile_failures(@databases);
	Test::More::diag($_) for @failures;
	return Test::More::ok(!@failures, 'hostile mode: no trap of the caller ran, no new superuser');
}

# A file that ends with hostile databases not looked at fails if they show a trap
# that ran or a new superuser (done_testing has counted its tests: the exit
# status says it).
END
{
	my @failures = hostile_failures(splice @hostile_databases);
	if (@failures)
	{
		Test::More::diag("hostile mode: $_") for @failures;
		$? ||= 1;
	}
}

# Runs SQL with psql and returns its unaligned output; dies on error.
sub psql
{
	my ($db, $sql) = @_;
	my @partitions = partitions($db);
	return psql_in($db, $sql) unless @partitions;
	if ($sql =~ /\A\s*(SELECT|WITH)\b/i)
	{
		return psql_in("${db}_all", $sql) if $sql !~ /\bauthoob_\w+\s*\(/;
		return psql_in($db, $sql) if $sql !~ /\bauthoob\./ && proxy_has_functions($db, $sql);
	}
	# the mailers listen on the proxy
	return psql_in($db, $sql) if $sql =~ /\A\s*NOTIFY\b/i;
	my @out = map { psql_in($_, $sql) } @partitions;
	eval { psql_in($db, $sql) } if $sql =~ /\A\s*CREATE\s+FUNCTION\b.*\bLANGUAGE\s+plpgsql\b/is;
	view_partitions($db) if $sql =~ /\b(ALTER|CREATE|DROP)\s+TABLE\b/i;
	# counts add up, a test is true if it is on any partition
	return List::Util::sum(@out) if !grep { !/\A-?\d+\z/ } @out;
	return (grep { $_ eq 't' } @out) ? 't' : 'f' if !grep { !/\A[tf]\z/ } @out;
	my %seen;
	return join "\n", grep { length && !$seen{$_}++ } @out;
}

# The partition a request's key routes to, as the proxy routes it: email =>
# an address, token => a mailed or refresh token; 0 when not sharded.
sub partition_of
{
	my ($db, $kind, $value) = @_;
	my $n = partitions($db) or return 0;
	(my $quoted = $value) =~ s/'/''/g;
	my $hash = $kind eq 'email'
	  ? "authoob_shard.email_partition(json_build_object('email', '$quoted')::text)"
	  : "hashtext('$quoted')";
	return psql_in($db, "SELECT ($hash) & ($n - 1)");
}

# The first $count of make->(1), make->(2)... whose key (as partition_of)
# routes where $value does: keys that share a partition's limits, which
# count per partition when sharded (all of them when not).
sub same_partition
{
	my ($db, $kind, $value, $count, $make) = @_;
	my $partition = partition_of($db, $kind, $value);
	my @keys;
	for (my $i = 1; @keys < $count; $i++)
	{
		my $key = $make->($i);
		push @keys, $key if partition_of($db, $kind, $key) == $partition;
	}
	return wantarray ? @keys : $keys[0];
}

# Whether every function a statement calls exists in the proxy database:
# then the statement runs there (authoob_configure, authoob_verify_role...).
sub proxy_has_functions
{
	my ($db, $sql) = @_;
	my %names = map { lc($_) => 1 } $sql =~ /\b([A-Za-z_]\w*)\s*\(/g;
	my $list = join ', ', map { "'$_'" } sort keys %names;
	return psql_in($db, "SELECT count(DISTINCT proname) FROM pg_proc WHERE proname IN ($list)")
	  == keys %names;
}

# libpq's keywords for a database of the environment's server, for a
# conninfo that the server itself uses (PL/Proxy, postgres_fdw)
sub server_conninfo
{
	my ($db) = @_;
	my %keyword = (PGHOST => 'host', PGPORT => 'port');
	return join ' ', "dbname=$db",
	  map { "$keyword{$_}=$ENV{$_}" } grep { defined $ENV{$_} } sort keys %keyword;
}

# NAME_all: authoob.* as views over the partitions' tables, made again
# when a table changes
sub view_partitions
{
	my ($db) = @_;
	my @partitions = partitions($db);
	my $credentials = join ', ', map { defined $ENV{"PG\U$_"} ? "$_ '$ENV{\"PG\U$_\"}'" : () } qw(user password);
	my $sql = "DROP SCHEMA IF EXISTS authoob CASCADE;\nCREATE SCHEMA authoob;\n";
	for my $i (0 .. $#partitions)
	{
		my ($host_port) = server_conninfo('x') =~ /^dbname=x ?(.*)$/;
		my $options = join ', ', "dbname '$partitions[$i]'",
		  map { /^(\w+)=(.*)$/ ? "$1 '$2'" : () } split ' ', $host_port;
		$sql .= qq{DROP SCHEMA IF EXISTS p$i CASCADE; DROP SERVER IF EXISTS p$i CASCADE;
			CREATE SERVER p$i FOREIGN DATA WRAPPER postgres_fdw OPTIONS ($options);
			CREATE USER MAPPING FOR CURRENT_USER SERVER p$i } . ($credentials ? "OPTIONS ($credentials)" : '') . qq{;
			CREATE SCHEMA p$i; IMPORT FOREIGN SCHEMA authoob FROM SERVER p$i INTO p$i;\n};
	}
	my $union = join ' UNION ALL ', map { "SELECT * FROM p$_.%1\$I" } 0 .. $#partitions;
	$sql .= qq{DO \$\$ DECLARE t name; BEGIN
		FOR t IN SELECT foreign_table_name FROM information_schema.foreign_tables
		         WHERE foreign_table_schema = 'p0' LOOP
			EXECUTE format('CREATE VIEW authoob.%1\$I AS $union', t);
		END LOOP; END \$\$;};
	psql_in("${db}_all", $sql);
}

# psql's own messages are part of the error it dies with, so that a caller
# that expects the error (in an eval) prints nothing; after a success they
# (warnings) go to stderr.
sub psql_in
{
	my ($db, $sql) = @_;
	my $out = File::Temp->new;
	my $err = File::Temp->new;
	local $ENV{PGOPTIONS} = '-c client_min_messages=warning';
	my $pid = open(my $pipe, '|-') // die "cannot run psql: $!";
	if ($pid == 0)
	{
		open(STDERR, '>', $err->filename) or POSIX::_exit(127);
		exec('psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-o', $out->filename)
		  or POSIX::_exit(127);
	}
	print $pipe $sql;
	my $ok = close $pipe;
	local $/;
	open(my $fh, '<', $err->filename) or die;
	my $messages = <$fh> // '';
	die "psql failed on: $sql\n$messages" unless $ok;
	print STDERR $messages;
	open($fh, '<', $out->filename) or die;
	my $result = <$fh> // '';
	$result =~ s/\s+\z//;
	return $result;
}

# Runs SQL in a new connection as a login role (whose password is its
# name), with PGOPTIONS as given (say "-c search_path=app,public", which
# sets the session's default search_path): returns its output, or the error
# psql printed, prefixed with "ERROR: ".
sub psql_as
{
	my ($db, $role, $sql, $options) = @_;
	local $ENV{PGUSER} = $role;
	local $ENV{PGPASSWORD} = $role;
	local $ENV{PGOPTIONS} = join ' ', '-c client_min_messages=warning', $options // ();
	my $out = File::Temp->new;
	open(my $pipe, '|-', "psql -X -q -At -v ON_ERROR_STOP=1 -d $db -o " . $out->filename
		  . ' 2>' . $out->filename . '.err')
	  or die "cannot run psql: $!";
	print $pipe $sql;
	my $ok = close $pipe;
	local $/;
	open(my $fh, '<', $ok ? $out->filename : $out->filename . '.err') or die;
	my $result = <$fh> // '';
	unlink $out->filename . '.err';
	$result =~ s/\s+\z//;
	return $ok ? $result : "ERROR: $result";
}

# A new database with the extension, configured for mail (register and
# password/ask queue mails), bcrypt at its cheapest for speed, and a budget
# of password hashes that the tests' many registrations and sign-ins from
# 127.0.0.1 never spend (t/023_hash_budget.pl sets its own).
sub new_database
{
	my $name = sprintf 'authoob_t_%d_%d', $$, $database_count++;
	if (sharded())
	{
		my @partitions = map { "${name}_p$_" } 0 .. $shards - 1;
		for (@partitions, "${name}_all")
		{
			system('createdb', $_) == 0 or die "createdb $_ failed";
		}
		# the role the proxy's other users (the front's role) run as on the
		# partitions: authoob_api's rights, no more
		psql_in($partitions[0], q{CREATE EXTENSION authoob CASCADE;
			DO $$ BEGIN
			    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authoob_shard_api') THEN
			        CREATE ROLE authoob_shard_api LOGIN PASSWORD 'authoob_shard_api' IN ROLE authoob_api;
			    END IF;
			END $$});
		local $ENV{AUTHOOB_SHARD_API_USER} = 'authoob_shard_api';
		local $ENV{AUTHOOB_SHARD_API_PASSWORD} = 'authoob_shard_api';
		my @credentials = map { defined $ENV{"PG\U$_"} ? "$_=$ENV{\"PG\U$_\"}" : () } qw(user password);
		system('bash', 'scripts/shard-setup.sh', $name,
			map { join ' ', server_conninfo($_), @credentials } @partitions) == 0
		  or die "scripts/shard-setup.sh $name failed";
		psql_in("${name}_all", 'CREATE EXTENSION postgres_fdw');
		$partitions_of{$name} = \@partitions;
		view_partitions($name);
		if ($hostile)
		{
			# the front's role in the proxy; on the partitions, the user
			# the proxy calls them as
			make_hostile($name);
			make_hostile($_, 'authoob_shard_api') for @partitions;
		}
	}
	else
	{
		system('createdb', $name) == 0 or die "createdb $name failed";
		psql($name, 'CREATE EXTENSION authoob CASCADE');
		make_hostile($name) if $hostile;
	}
	# through the proxy when sharded: configured once, on every partition
	psql_in($name, q{SELECT authoob_configure('{"bcrypt_cost": 4,
		"client_hashes_per_window": 1000000, "account_sign_ins_per_window": 1000000,
		"client_hashes_at_once": 10000,
		"app_url": "http://app.test", "api_url": "http://127.0.0.1",
		"email_sender": "no-reply@authoob.test"}')});
	return $name;
}

sub strong_password { 'Passw0rd!' . (shift // '') }

# Registers email through the front and returns the token.
sub register_user
{
	my ($front, $email, $password) = @_;
	$password //= strong_password();
	my $r = $front->register($email, password1 => $password, password2 => $password);
	die "registering $email: $r->{status} $r->{content}" unless $r->{status} == 200;
	return $r->{json}{token};
}

# Takes an exclusive lock on $table in a psql of its own and keeps it for
# $seconds (or until release_table_lock), so that the statements writing the
# table wait (a statement in flight on demand). Returns the pid of that psql
# once the lock is granted; dies if it is not within 10 s. Sharded: a
# process that holds the lock in every partition, in a psql each, and ends
# with them. The psql's stderr is silenced: ending it early (a cancel, a
# terminated backend) is how a test releases the lock.
sub hold_table_lock
{
	my ($db, $table, $seconds) = @_;
	my @partitions = partitions($db);
	my $holder = fork // die "fork: $!";
	if ($holder == 0)
	{
		if (@partitions)
		{
			# (a forked copy of the test: it must not run the test's END blocks)
			my @psqls = eval { map { hold_table_lock($_, $table, $seconds) } @partitions };
			waitpid($_, 0) for @psqls;
			POSIX::_exit(@psqls == @partitions ? 0 : 1);
		}
		open(STDERR, '>', '/dev/null') or POSIX::_exit(127);
		{ exec('psql', '-X', '-q', '-o', '/dev/null', '-d', $db, '-c',
				"BEGIN; LOCK TABLE $table IN EXCLUSIVE MODE; SELECT pg_sleep($seconds); END") };
		POSIX::_exit(127);
	}
	for my $each (@partitions ? @partitions : $db)
	{
		wait_until(sub { table_lock_count($each, $table, 'granted AND mode = \'ExclusiveLock\'') > 0 }, 10)
		  or die "the lock on $table in $each was not granted within 10 s";
	}
	return $holder;
}

# How many locks on $table of other sessions match a condition on pg_locks
sub table_lock_count
{
	my ($db, $table, $condition) = @_;
	return psql_in($db, qq{SELECT count(*) FROM pg_locks WHERE $condition
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND relation = '$table'::regclass AND pid <> pg_backend_pid()});
}

# How many sessions wait for a lock on $table (in all the partitions when
# sharded): statements that hold_table_lock holds up.
sub lock_waiters
{
	my ($db, $table) = @_;
	my @databases = partitions($db);
	return List::Util::sum(map { table_lock_count($_, $table, 'NOT granted') } @databases ? @databases : $db);
}

# Ends what hold_table_lock holds on $table before its time (a cancel of
# the statement that holds it), and returns once the lock is gone; reaps
# the holder when its pid is given.
sub release_table_lock
{
	my ($db, $table, $holder) = @_;
	my @databases = partitions($db);
	for my $each (@databases ? @databases : $db)
	{
		my $held = q{granted AND mode = 'ExclusiveLock'};
		psql_in($each, qq{SELECT count(pg_cancel_backend(pid)) FROM pg_locks WHERE $held
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND relation = '$table'::regclass AND pid <> pg_backend_pid()});
		wait_until(sub { table_lock_count($each, $table, $held) == 0 }, 10)
		  or die "the lock on $table in $each is still held";
	}
	waitpid($holder, 0) if $holder;
}

# Locks the rows of $table that $where selects (SELECT ... FOR UPDATE) in a
# psql of its own and keeps them for $seconds (or until release_row_lock), so
# that the statements writing those rows wait while the others go on: two
# writers of one row queue behind it on demand. Returns the pid of that
# psql once it holds them; dies if not within 10 s. Sharded: a psql in each
# partition (the rows are where they are), all ending together.
my $row_holder = 'authoob_t_row_lock';

sub hold_row_lock
{
	my ($db, $table, $where, $seconds) = @_;
	my @databases = partitions($db);
	my @psqls;
	for my $each (@databases ? @databases : $db)
	{
		my $psql = fork // die "fork: $!";
		if ($psql == 0)
		{
			local $ENV{PGAPPNAME} = $row_holder;
			open(STDERR, '>', '/dev/null') or POSIX::_exit(127);
			{ exec('psql', '-X', '-q', '-o', '/dev/null', '-d', $each, '-c',
					"BEGIN; SELECT 1 FROM $table WHERE $where FOR UPDATE; SELECT pg_sleep($seconds); END") };
			POSIX::_exit(127);
		}
		push @psqls, $psql;
		wait_until(sub { psql_in($each, qq{SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND application_name = '$row_holder' AND wait_event = 'PgSleep'}) > 0 }, 10)
		  or die "the rows of $table in $each were not locked within 10 s";
	}
	return \@psqls;
}

# How many statements wait for a lock in $db (in all the partitions when
# sharded): with hold_row_lock, the writers of the held rows, those behind
# the first queued on it too.
sub row_lock_waiters
{
	my ($db) = @_;
	my @databases = partitions($db);
	return List::Util::sum(map { psql_in($_, qq{SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'
		AND application_name <> '$row_holder'}) } @databases ? @databases : $db);
}

# Lets go of what hold_row_lock holds (a cancel ends its transaction), and
# returns once its psqls have ended.
sub release_row_lock
{
	my ($db, $holder) = @_;
	my @databases = partitions($db);
	psql_in($_, qq{SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = '$row_holder'})
	  for @databases ? @databases : $db;
	waitpid($_, 0) for @$holder;
}

# How many connections to $port wait in its listen queue, not accepted yet
# (ss of iproute2 reads it): 0 once the front has seen every connection made
# so far, and refused at once those over a limit.
sub unaccepted
{
	my ($port) = @_;
	my $out = `ss -Hltn 'sport = :$port'`;
	die "ss failed: $?" if $?;
	return List::Util::sum(0, map { (split ' ')[1] } split /\n/, $out);
}

# An error answer as docs/http-api.md has it, in one subtest: the
# status, the JSON body {code, message} whose code is the status, and
# Content-Type application/json.
sub is_error
{
	my ($r, $status, $message, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return Test::More::subtest($name => sub {
		Test::More::is($r->{status}, $status, "status $status");
		Test::More::is_deeply($r->{json}, { code => $status, message => $message }, 'JSON error body');
		Test::More::like($r->{headers}{'content-type'} // '', qr{^application/json}, 'Content-Type');
	});
}

# An error answer of the Supabase dialect (docs/supabase.md), in one
# subtest: the status, and the JSON body {code, error_code, msg} whose code
# is the status (no API version asked) and error_code the one given.
sub is_gotrue_error
{
	my ($r, $status, $code, $name) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	return Test::More::subtest($name => sub {
		Test::More::is($r->{status}, $status, "status $status");
		Test::More::is(ref $r->{json}, 'HASH', 'a JSON body') or return;
		Test::More::is($r->{json}{error_code}, $code, "error_code $code");
		Test::More::ok(defined $r->{json}{msg} && length $r->{json}{msg}, 'a msg');
		Test::More::is($r->{json}{code}, $status, 'code: the status (no API version asked)');
		Test::More::is($r->{headers}{'x-sb-error-code'}, $code, 'the code in x-sb-error-code');
	});
}

# Counts answers by status, e.g. { 200 => 1, 409 => 49 }.
sub tally
{
	my %count;
	$count{ $_->{status} }++ for @_;
	return \%count;
}

# Runs a Node script of t/js that prints one JSON line a check ({"name",
# "ok", "got"}), each a test named "$label: name" (what it got shown when it
# fails); then that the script went to its end. Returns how many checks ran.
sub node_checks
{
	my ($label, @command) = @_;
	open(my $out, '-|', @command) or die "cannot run $command[0]: $!";
	my $checks = 0;
	while (my $line = <$out>)
	{
		my $check = eval { json_decode($line) };
		unless (ref $check eq 'HASH') { Test::More::fail("$label: $line"); next }
		$checks++;
		Test::More::ok($check->{ok}, "$label: $check->{name}") or Test::More::diag(json_encode($check->{got}));
	}
	close $out;
	Test::More::is($? >> 8, 0, "$label: the run went to its end");
	return $checks;
}

# Calls $test every 0.1 s until it returns true, for at most $seconds (15
# unless given); returns its last value.
sub wait_until
{
	my ($test, $seconds) = @_;
	my $deadline = time + ($seconds // 15);
	my $value;
	sleep 0.1 until ($value = $test->()) || time > $deadline;
	return $value;
}

# The real SMTP server on loopback (scripts/mail_sink.py, Debian's
# aiosmtpd), stopped when the test ends: {port}, and {texts}->($to), the
# text parts of the mails received for $to so far, in order.  Skips the
# test where aiosmtpd is missing.
sub start_mail_sink
{
	my $python = '/usr/bin/python3';
	skip_all_missing('python3-aiosmtpd is not installed')
	  unless system("$python -c 'import aiosmtpd' 2>/dev/null") == 0;
	my $maildir = File::Temp->newdir;
	my $log = File::Temp->new;
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open(STDOUT, '>', $log->filename) or POSIX::_exit(127);
		open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
		exec($python, File::Basename::dirname(__FILE__) . '/../../scripts/mail_sink.py',
			'--port', 0, '--maildir', "$maildir") or POSIX::_exit(127);
	}
	my $port;
	wait_until(sub { (do { local (@ARGV, $/) = ($log->filename); <> } // '')
		  =~ /listening on 127\.0\.0\.1:(\d+)/ and $port = $1 }, 10)
	  or die 'mail_sink.py did not start';
	my $owner = $$;
	my $texts = sub {
		my ($to) = @_;
		opendir(my $dir, "$maildir") or return ();
		return map {
			open(my $fh, '<:raw', "$maildir/$_") or die "$_: $!";
			my $mail = json_decode(do { local $/; <$fh> });
			(grep { lc $_ eq lc $to } @{ $mail->{rcpt_tos} })
			  ? (map { $_->{content} } grep { $_->{content_type} eq 'text/plain' } @{ $mail->{parts} })
			  : ();
		} sort grep { /\.json\z/ } readdir $dir;
	};
	return bless { port => $port, texts => $texts, pid => $pid, owner => $owner,
		maildir => $maildir, log => $log }, 'AuthoobTest::MailSink';
}

# The id and the roles ("{customer}") of the user of an email.
sub user_id
{
	my ($db, $email) = @_;
	return psql($db, "SELECT id FROM authoob.users WHERE email = '$email'");
}

sub roles_of
{
	my ($db, $email) = @_;
	return psql($db, "SELECT authoob_user_roles(id) FROM authoob.users WHERE email = '$email'");
}

# The example of a hook of docs/sql-api.md (its section Hooks, which t/102 runs as
# written): the role customer, and the post_register hook give_role that
# grants it, or custom_user_role to a registration whose payload has "type": 1.
sub add_give_role_hook
{
	my ($db) = @_;
	psql($db, q{SELECT authoob_create_role('customer')});
	psql($db, q{CREATE FUNCTION give_role(context jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM authoob_grant_role((context -> 'user' ->> 'id')::bigint,
        CASE WHEN context -> 'payload' -> 'type' = '1' THEN 'custom_user_role' ELSE 'customer' END);
    RETURN NULL;
END
$$});
	psql($db, q{SELECT authoob_add_hook('post_register', 'give_role(jsonb)')});
}

# The token in the link of the last mail of a kind ('activation' or 'reset')
# queued for an email, as a mailer would send it. Reset mails are made from
# password/ask's requests by authoob_mail_prepare(), which a mailer's claim
# runs; without a mailer it is called here first.
# (signup and recovery: the mails of Supabase Auth's dialect, docs/supabase.md)
my %token_in_link = (activation => qr{/activate/([A-Za-z0-9_-]+)},
	reset => qr{reset_password_token=([A-Za-z0-9_-]+)},
	signup => qr{/verify\?token=([A-Za-z0-9_-]+)&type=signup&},
	recovery => qr{/verify\?token=([A-Za-z0-9_-]+)&type=recovery&},
	magiclink => qr{(?:magic_link_token=|/verify\?token=)([A-Za-z0-9_-]+)});

sub mailed_token
{
	my ($db, $email, $kind) = @_;
	psql($db, 'SELECT authoob_mail_prepare()');
	my $body = psql($db, qq{SELECT body_text FROM authoob.mail_outbox
		WHERE recipient = '$email' AND kind = '$kind' ORDER BY id DESC LIMIT 1});
	return $body =~ $token_in_link{$kind} ? $1 : die "no $kind token in the mail to $email:\n$body";
}

# The cluster of the environment as pg_ctlcluster (postgresql-common) names
# it, [version, name], from its cluster_name setting ("15/regress" under
# pg_virtualenv, whose PG_CLUSTER_CONF_ROOT pg_ctlcluster honours; as root it
# runs pg_ctl as the cluster owner); undef when it cannot be named so.
sub postgres_cluster
{
	my ($db) = @_;
	my ($version, $name) = split m{/}, psql($db, 'SHOW cluster_name');
	return undef unless $name && system('which pg_ctlcluster >/dev/null 2>&1') == 0;
	return [ $version, $name ];
}

# pg_ctlcluster on that cluster, say pg_ctlcluster($cluster, 'stop', '-m',
# 'fast'); dies if it fails.
sub pg_ctlcluster
{
	my ($cluster, @action) = @_;
	system('pg_ctlcluster', @$cluster, @action) == 0 or die "pg_ctlcluster @action failed";
}

# Runs authoob-http with flags that make it exit at once (--help, a bad
# flag, an unreachable database): returns its exit status and what it
# printed on stdout and stderr.
sub run_front
{
	my @flags = @_;
	my $pid = open(my $out, '-|') // die "fork: $!";
	if ($pid == 0)
	{
		open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
		exec($binary, @flags) or POSIX::_exit(127);
	}
	local $/;
	my $printed = <$out> // '';
	close $out;
	return ($? >> 8, $printed);
}

# A command line authoob-http refuses: exit 2 and one line that says why.
sub refuses_flags
{
	my @flags = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	my ($status, $out) = run_front(@flags);
	Test::More::is($status, 2, "@flags: exit 2");
	Test::More::like($out, qr/\Aauthoob-http: [^\n]+\n\z/, "@flags: one line");
}

# A running authoob-http. Its stderr (logs) goes to a file.
package AuthoobTest::Front;

use POSIX ':sys_wait_h';
use Scalar::Util ();
use Time::HiRes qw(sleep time);

# The fronts started and not stopped yet (weak references), and what went
# wrong when the cleanup stopped one. A front a test does not stop itself
# is stopped with SIGTERM when it goes away or the file ends, and must then
# exit 0 as at any stop: else the file fails. So the sanitizer pass sees
# every front's exit (AddressSanitizer reports a leak only then, and exits
# non-zero), and a front that does not drain is not hidden by a kill.
my %running;
my @unclean;

# start(db => NAME, args => [flags...]) (or conninfo => CONNINFO instead of
# db, for a URI naming several hosts); dies unless it listens within 10 s
# (120 under a wrapper), or with ready => qr/.../ unless its log says so (for
# --mailer-only, which does not listen).
sub start
{
	my ($class, %opt) = @_;
	my $ready = $opt{ready} // qr/listening on 127\.0\.0\.1:(\d+)/;
	my $self = bless { log => File::Temp->new, prefix => $opt{prefix} // '/authoob' }, $class;
	my @cmd = (@wrapper, $binary, '--listen', '127.0.0.1:0', '--db',
		AuthoobTest::hostile_conninfo($opt{conninfo} // "dbname=$opt{db}"),
		@{ $opt{args} // [] });
	my $pid = fork // die "fork: $!";
	if ($pid == 0)
	{
		open(STDOUT, '>>', $self->{log}->filename) or POSIX::_exit(127);
		open(STDERR, '>>', $self->{log}->filename) or POSIX::_exit(127);
		exec(@cmd) or POSIX::_exit(127);
	}
	$self->{pid} = $pid;
	$self->{owner} = $$;
	Scalar::Util::weaken($running{$pid} = $self);
	my $deadline = time + (@wrapper ? 120 : 10);
	while (time < $deadline)
	{
		if ($self->log =~ $ready)
		{
			$self->{port} = $1;
			$self->{http} = HTTP::Tiny->new(timeout => 30);
			return $self;
		}
		die "authoob-http exited at start:\n" . $self->log
		  if waitpid($pid, WNOHANG) == $pid;
		sleep 0.05;
	}
	kill 'KILL', $pid;
	die "authoob-http did not start:\n" . $self->log;
}

sub port { $_[0]{port} }
sub pid { $_[0]{pid} }
sub url { my ($self, $path) = @_; "http://127.0.0.1:$self->{port}$self->{prefix}$path" }
sub set_prefix { $_[0]{prefix} = $_[1] }

# POST P/register of an email with the strong password twice, unless the
# fields say otherwise (any other field is sent too); returns the answer.
sub register
{
	my ($self, $email, %fields) = @_;
	my $password = AuthoobTest::strong_password();
	return $self->request(POST => '/register',
		json => { email => $email, password1 => $password, password2 => $password, %fields });
}

# POST P/login (with the strong password unless given); returns the answer.
sub login
{
	my ($self, $email, $password) = @_;
	return $self->request(POST => '/login',
		json => { email => $email, password => $password // AuthoobTest::strong_password() });
}

# The log written so far.
sub log
{
	my ($self) = @_;
	open(my $fh, '<', $self->{log}->filename) or return '';
	local $/;
	return <$fh> // '';
}

# The access lines logged so far, waiting (at most 5 s) until there are
# at least $count: a line is written once its response is out.
sub access_lines
{
	my ($self, $count) = @_;
	my $deadline = time + 5;
	my @lines;
	while (1)
	{
		@lines = $self->log =~ /^.*access: .*$/mg;
		last if @lines >= ($count // 0) || time > $deadline;
		sleep 0.05;
	}
	return @lines;
}

# request(METHOD => path, json => DATA | body => BYTES, headers => {...},
#         token => T, content_type => TYPE, from => ADDRESS)
# -> { status, headers, content, json }. A json or body is sent as
# application/json unless content_type says otherwise (undef: no header).
# A header's value may be an array of values, sent as that many lines; from
# is the local address to connect from (another loopback address is
# another client, say a trusted proxy).
sub request
{
	my ($self, $method, $path, %opt) = @_;
	my $http = defined $opt{from}
	  ? ($self->{http_from}{ $opt{from} } //= HTTP::Tiny->new(timeout => 30, local_address => $opt{from}))
	  : $self->{http};
	my %headers = %{ $opt{headers} // {} };
	my $body = exists $opt{json} ? AuthoobTest::json_encode($opt{json}) : $opt{body};
	$headers{'Authentication-Token'} = $opt{token} if defined $opt{token};
	if (defined $body)
	{
		my $type = exists $opt{content_type} ? $opt{content_type} : 'application/json';
		$headers{'Content-Type'} = $type if defined $type;
	}
	my $r = $http->request($method, $self->url($path),
		{ headers => \%headers, (defined $body ? (content => $body) : ()) });
	return { status => $r->{status}, headers => $r->{headers},
		content => $r->{content}, json => AuthoobTest::json_decode($r->{content}) };
}

# Sends raw bytes on a new connection and reads the answer (until close).
sub raw
{
	my ($self, $bytes) = @_;
	my @answers = $self->parallel_raw([$bytes]);
	return $answers[0];
}

# Sends each request on its own connection, all before reading any answer,
# then reads them all (bounded to 120 s). Requests get "Connection: close".
# from => ADDRESS: the connections come from there (another loopback
# address is another client); meanwhile => CODE runs once all are sent,
# before any answer is read (say, to release a lock that holds them).
sub parallel_raw
{
	my ($self, $requests, %opt) = @_;
	my (@socks, %buf, %index);
	for my $i (0 .. $#$requests)
	{
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $self->{port},
			Proto => 'tcp', Timeout => 10, (defined $opt{from} ? (LocalAddr => $opt{from}) : ()))
		  or die "connect: $!";
		$s->autoflush(1);
		push @socks, $s;
		$index{$s} = $i;
		$buf{$s} = '';
	}
	# Everything is written first, so that the requests are truly concurrent.
	for my $i (0 .. $#socks)
	{
		local $SIG{PIPE} = 'IGNORE';
		my $data = $requests->[$i];
		while (length $data)
		{
			my $n = syswrite($socks[$i], $data);
			last unless $n;		# the server closed early (say, a 413)
			substr($data, 0, $n) = '';
		}
	}
	$opt{meanwhile}->() if $opt{meanwhile};
	my $select = IO::Select->new(@socks);
	my $deadline = time + 120;
	while ($select->count && time < $deadline)
	{
		for my $s ($select->can_read(1))
		{
			my $n = sysread($s, my $chunk, 65536);
			if ($n) { $buf{$s} .= $chunk; next }
			$select->remove($s);
			close $s;
		}
	}
	return map { parse_response($buf{$_}) } @socks;
}

# Builds a request with Content-Length (unless chunked) and Connection: close.
sub raw_request
{
	my ($self, $method, $path, %opt) = @_;
	my $body = exists $opt{json} ? AuthoobTest::json_encode($opt{json}) : $opt{body};
	my $head = "$method $self->{prefix}$path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
	$head .= "Content-Type: $opt{content_type}\r\n" if defined $opt{content_type};
	$head .= "$_: $opt{headers}{$_}\r\n" for sort keys %{ $opt{headers} // {} };
	return "$head\r\n" unless defined $body;
	return "${head}Content-Length: " . length($body) . "\r\n\r\n$body";
}

sub parse_response
{
	my ($text) = @_;
	my ($head, $body) = split /\r\n\r\n/, $text, 2;
	my ($status) = ($head // '') =~ m{^HTTP/1\.\d (\d{3})};
	my %headers;
	for (split /\r\n/, $head // '')
	{
		$headers{ lc $1 } = $2 if /^([^:]+):\s*(.*)$/;
	}
	return { status => $status // 0, headers => \%headers, content => $body,
		json => AuthoobTest::json_decode($body) };
}

# Sends a signal and waits (at most $timeout s); returns the exit status,
# or undef if it did not exit (it is then killed).
sub stop
{
	my ($self, $signal, $timeout) = @_;
	return $self->{exit} if exists $self->{exit};
	delete $running{ $self->{pid} };
	kill $signal // 'TERM', $self->{pid};
	my $deadline = time + ($timeout // 20);
	while (time < $deadline)
	{
		if (waitpid($self->{pid}, WNOHANG) == $self->{pid})
		{
			return $self->{exit} = $? >> 8 | ($? & 127 ? 128 + ($? & 127) : 0);
		}
		sleep 0.05;
	}
	kill 'KILL', $self->{pid};
	waitpid($self->{pid}, 0);
	return $self->{exit} = undef;
}

# The stop of a front the test left running: SIGTERM, and it must exit 0
# (its log, with what a sanitizer said, is shown otherwise).
sub clean_up
{
	my ($self) = @_;
	local $?;
	return unless $self->{pid} && !exists $self->{exit} && $self->{owner} == $$;
	my $exit = $self->stop('TERM', @wrapper ? 120 : 30);
	return if defined $exit && $exit == 0;
	my @log = split /\n/, $self->log;
	splice @log, 0, @log - 60 if @log > 60;
	push @unclean, "authoob-http (pid $self->{pid}) "
	  . (defined $exit ? "exited $exit" : 'did not stop on SIGTERM and was killed')
	  . " when the test's cleanup stopped it; the end of its log:\n" . join "\n", @log;
}

sub DESTROY { $_[0]->clean_up }

# Before Test::More's own END block reads the exit status
END
{
	$_->clean_up for grep { defined } values %running;
	if (@unclean)
	{
		Test::More::diag($_) for splice @unclean;
		$? ||= 1;
	}
}


package AuthoobTest::MailSink;

sub port { $_[0]{port} }

# the text parts of the mails to $to so far; with $count, waits (30 s at
# most) until there are that many
sub texts
{
	my ($self, $to, $count) = @_;
	AuthoobTest::wait_until(sub { $self->{texts}->($to) >= $count }, 30) if $count;
	return $self->{texts}->($to);
}

sub DESTROY
{
	my ($self) = @_;
	return unless $self->{pid} && $self->{owner} == $$;
	local $?;
	kill 'TERM', $self->{pid};
	waitpid($self->{pid}, 0);
}

1;
