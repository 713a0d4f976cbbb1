# A Supabase project's users brought along (docs/supabase.md, "Bringing
# your users"): the tables of Supabase Auth's own migrations
# (t/fixtures/gotrue-migrations), rows written as Supabase Auth writes them
# with bcrypt hashes made by libcrypt (Perl's crypt, not pgcrypto), then
# authoob_import_supabase, and the users signing in over HTTP with their
# old passwords, as their old uuids, with their metadata.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use MIME::Base64 qw(decode_base64url);
use Test::More;

my $db = new_database();
my @partitions = partitions($db);
# where the users land: the database, or each partition when sharded
my @targets = @partitions ? @partitions : ($db);

# --- a Supabase project: the schema auth as Supabase Auth's migrations
# make it, in order, in a database of its own
my $project = "${db}_supabase";
system('createdb', $project) == 0 or die "createdb $project failed";
END { system('dropdb', '--if-exists', $project) if $project }
my $dir = "$FindBin::Bin/fixtures/gotrue-migrations";
opendir(my $dh, $dir) or die "$dir: $!";
my @migrations = sort grep { /\.up\.sql\z/ } readdir $dh;
cmp_ok(scalar(@migrations), '>=', 20, 'the migrations of auth.users and auth.identities are here');
AuthoobTest::psql_in($project, 'CREATE SCHEMA auth');
for my $file (@migrations)
{
	open(my $fh, '<', "$dir/$file") or die "$file: $!";
	my $sql = do { local $/; <$fh> };
	$sql =~ s/\{\{ index \.Options "Namespace" \}\}/auth/g;
	AuthoobTest::psql_in($project, $sql);
}
sub in_project { AuthoobTest::psql_in($project, $_[0]) }

# --- users as Supabase Auth writes them (models.User, models.Identity)
sub bcrypt
{
	my ($password, $kind) = @_;
	my @alphabet = ('.', '/', 'A' .. 'Z', 'a' .. 'z', 0 .. 9);
	my $salt = join '', map { $alphabet[ rand @alphabet ] } 1 .. 21;
	# the 22nd character carries 2 bits only: one of these keeps the salt canonical
	$salt .= ('.', 'O', 'e', 'u')[ rand 4 ];
	my $hash = crypt($password, "\$$kind\$10\$$salt");
	die "no bcrypt in this libcrypt" unless defined $hash && $hash =~ /^\$$kind\$10\$.{53}\z/;
	return $hash;
}
my $password = 'Ada-s 0ld password';
my $unicode = "P\x{e4}ssw\x{f6}rd 9";    # 8-bit bytes: $2b$ and pgcrypto's $2a$ agree on them
utf8::encode(my $unicode_bytes = $unicode);
my %users = (
	ada => { email => 'ada@example.com', hash => bcrypt($password, '2a'), confirmed => 1, signed_in => 1,
		meta => { full_name => 'Ada Lovelace', avatar_url => 'https://example.com/ada.png', username => 'ada' },
		app => { provider => 'email', providers => ['email'], plan => 'pro' } },
	bob => { email => 'Bob@Example.COM', hash => bcrypt($unicode_bytes, '2b'), confirmed => 1 },
	yan => { email => 'yan@example.com', hash => bcrypt($password, '2y'), confirmed => 1 },
	banned => { email => 'banned@example.com', hash => bcrypt($password, '2a'), confirmed => 1,
		extra => q{banned_until = now() + interval '10 days'} },
	unconfirmed => { email => 'later@example.com', hash => bcrypt($password, '2a') },
	oauth => { email => 'octo@example.com', hash => '', confirmed => 1, provider => 'github',
		app => { provider => 'github', providers => ['github'] } },
	phone => { email => 'call@example.com', hash => bcrypt($password, '2a'), confirmed => 1,
		extra => q{phone = '15550001111', phone_confirmed_at = now()} },
	deleted => { email => 'gone@example.com', hash => bcrypt($password, '2a'), confirmed => 1,
		extra => q{deleted_at = now()} },
	sso => { email => 'sso@corp.example', hash => '', confirmed => 1, extra => q{is_sso_user = true} },
	anonymous => { email => undef, hash => '', extra => q{is_anonymous = true} },
	phone_only => { email => undef, hash => bcrypt($password, '2a'), extra => q{phone = '15550002222'} },
	taken => { email => 'taken@example.com', hash => bcrypt($password, '2a'), confirmed => 1 },
	# Supabase Auth's unique index minds case: a second account of ada's address
	twin => { email => 'ADA@example.com', hash => bcrypt('twin password', '2a'), confirmed => 1,
		created => 1 },
	# sharded, their uuid leads to another partition than their address
	elsewhere => { email => 'elsewhere@example.com', hash => bcrypt($password, '2a'), confirmed => 1,
		unroutable => 1 },
);
my $partition_mask = (@partitions || 1) - 1;
sub quoted { defined $_[0] ? "'" . ($_[0] =~ s/'/''/gr) . "'" : 'NULL' }
my $age = 0;
for my $name (sort keys %users)
{
	my $u = $users{$name};
	# a uuid that routes where the address does (or, for elsewhere, not),
	# as a user signed up on a sharded authoob would have
	$u->{id} = in_project(sprintf(q{SELECT u FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 64)) s
		WHERE (hashtext(u::text) & %d = hashtext(lower(coalesce(%s, ''))) & %d) <> %s LIMIT 1},
		$partition_mask, quoted($u->{email}), $partition_mask, $u->{unroutable} && @partitions ? 'true' : 'false'));
	my $app = $u->{app} // { provider => 'email', providers => ['email'] };
	$age++;
	in_project(sprintf(q{INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password,
			email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
			last_sign_in_at, confirmation_token, recovery_token, email_change_token_new, email_change)
		VALUES ('00000000-0000-0000-0000-000000000000', '%s', 'authenticated', 'authenticated', %s, %s,
			%s, %s, %s, now() - interval '%d days', now() - interval '1 day', %s, '', '', '', '')},
		$u->{id}, quoted($u->{email}), quoted($u->{hash}),
		$u->{confirmed} ? "now() - interval '$age days'" : 'NULL',
		quoted(json_encode($app)), quoted(json_encode($u->{meta} // {})), $u->{created} // 30 + $age,
		$u->{signed_in} ? "now() - interval '2 hours'" : 'NULL'));
	in_project("UPDATE auth.users SET $u->{extra} WHERE id = '$u->{id}'") if $u->{extra};
	next unless defined $u->{email};
	my $provider = $u->{provider} // 'email';
	in_project(sprintf(q{INSERT INTO auth.identities (provider_id, user_id, identity_data, provider,
			last_sign_in_at, created_at, updated_at)
		VALUES (%s, '%s', %s, '%s', now(), now(), now())},
		quoted($provider eq 'email' ? $u->{id} : '4711'), $u->{id},
		quoted(json_encode({ sub => $provider eq 'email' ? $u->{id} : '4711', email => $u->{email},
			email_verified => $u->{confirmed} ? \1 : \0 })), $provider));
}

# taken@example.com has an account here already, another uuid
my $front = AuthoobTest::Front->start(db => $db);
my $taken = $front->register('taken@example.com');
is($taken->{status}, 200, 'taken@example.com registered here first') or diag($taken->{content});

sub claims { json_decode(decode_base64url((split /\./, $_[0])[1])) }

sub sign_in
{
	my ($email, $pw) = @_;
	return $front->request(POST => '/token?grant_type=password', json => { email => $email, password => $pw });
}

# --- the import
# The project's pg_dump, restored as docs/supabase.md says: into schema
# auth if it is free, else renamed in a scratch database first
my $dump = File::Temp->new(SUFFIX => '.dump');
system('pg_dump', '-Fc', '--schema=auth', '-f', $dump->filename, $project) == 0 or die 'pg_dump failed';
sub run { system(@_) == 0 or die "@_ failed" }
sub restore
{
	my ($target, $schema) = @_;
	if ($schema eq 'auth')
	{
		run('psql', '-X', '-q', '-d', $target, '-c', 'CREATE SCHEMA auth');
		run('pg_restore', '--no-owner', '--no-privileges', '-d', $target,
			'--schema=auth', '--table=users', '--table=identities', $dump->filename);
		return;
	}
	my $scratch = "${target}_scratch";
	run('createdb', $scratch);
	run('psql', '-X', '-q', '-d', $scratch, '-c', 'CREATE SCHEMA auth');
	run('pg_restore', '--no-owner', '--no-privileges', '-d', $scratch,
		'--schema=auth', '--table=users', '--table=identities', $dump->filename);
	run('psql', '-X', '-q', '-d', $scratch, '-c', "ALTER SCHEMA auth RENAME TO $schema");
	run("pg_dump --schema=$schema $scratch | psql -X -q -v ON_ERROR_STOP=1 -d $target >/dev/null");
	run('dropdb', $scratch);
}

# authoob_import_supabase($source) where the users land, its answer (each
# partition takes its own users when sharded: the counts add up)
sub import_users
{
	my ($source) = @_;
	my $call = $source ? "SELECT authoob_import_supabase('$source')" : 'SELECT authoob_import_supabase()';
	return json_decode(psql($db, $call)) unless @partitions;
	my %sum;
	for my $partition (@partitions)
	{
		my $got = json_decode(AuthoobTest::psql_in($partition, $call));
		$sum{$_} += $got->{$_} for qw(imported without_password phone_not_imported);
		$sum{skipped}{$_} += $got->{skipped}{$_} for keys %{ $got->{skipped} };
		$sum{identities_not_imported}{$_} += $got->{identities_not_imported}{$_}
		  for keys %{ $got->{identities_not_imported} };
		push @{ $sum{conflicts} }, @{ $got->{conflicts} };
	}
	$sum{$_} //= {} for qw(skipped identities_not_imported);
	$sum{conflicts} = [ sort { $a->{email} cmp $b->{email} } @{ $sum{conflicts} // [] } ];
	return \%sum;
}
restore($_, 'auth') for @targets;
my $first = import_users();
my $unroutable = @partitions ? 1 : 0;
my %skipped = (deleted => 1, sso => 1, anonymous => 1, no_email => 1, conflict => 2,
	# each partition reads every row, and leaves the other partitions' alone
	(@partitions ? (unroutable => 1, other_partition => (@partitions - 1) * keys %users) : ()));
# the newer of the two accounts of an address is the one left out
my $conflicts = [ { id => $users{twin}{id}, email => 'ada@example.com' },
	{ id => $users{taken}{id}, email => 'taken@example.com' } ];
is_deeply($first, { imported => 8 - $unroutable, without_password => 1, phone_not_imported => 1,
	skipped => \%skipped, conflicts => $conflicts, identities_not_imported => { github => 1 } },
	'the import: the users, and those skipped and why') or diag(json_encode($first));
is(psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE action = 'users_imported'}), scalar(@targets),
	'the import is in the audit log');

# what came along
my $row = json_decode(psql($db, sprintf(q{SELECT to_jsonb(u) - 'password' FROM authoob.users u
	WHERE uuid = '%s'}, $users{ada}{id})));
is($row->{email}, 'ada@example.com', 'ada: her uuid and address');
is_deeply([ @{$row}{qw(username user_metadata app_metadata)} ],
	[ 'ada', { full_name => 'Ada Lovelace', avatar_url => 'https://example.com/ada.png' },
	  { provider => 'email', providers => ['email'], plan => 'pro' } ],
	'ada: username to its column, the rest of raw_user_meta_data, raw_app_meta_data');
is(psql($db, sprintf(q{SELECT concat_ws(' ', confirmed_at, create_date, update_date, current_login_at)
		FROM authoob.users WHERE uuid = '%s'}, $users{ada}{id})),
	in_project(sprintf(q{SELECT concat_ws(' ', email_confirmed_at, created_at, updated_at, last_sign_in_at)
		FROM auth.users WHERE id = '%s'}, $users{ada}{id})),
	'ada: confirmation, creation, update and last sign-in times');
is(psql($db, q{SELECT email FROM authoob.users WHERE email ILIKE 'bob@%'}), 'bob@example.com',
	'an address is lower-cased');
is(psql($db, q{SELECT confirmed_at IS NULL FROM authoob.users WHERE email = 'later@example.com'}), 't',
	'an unconfirmed user stays unconfirmed');
is(psql($db, q{SELECT password FROM authoob.users WHERE email = 'octo@example.com'}), '!',
	'a user without a password has none here');
is(psql($db, q{SELECT uuid FROM authoob.users WHERE email = 'taken@example.com'}) ne $users{taken}{id}, 1,
	'a conflict overwrote nothing');
is(psql($db, q{SELECT count(*) FROM authoob.audit_log WHERE action = 'user_signedup'}), 1,
	'the imported users are no sign-ups in the audit log');

# --- signing in with the old passwords, as the old uuids
psql($db, q{SELECT authoob_configure('{"jwt_sub": "uuid"}')});
$front->set_prefix('/auth/v1');
my $r = sign_in('ada@example.com', $password);
is($r->{status}, 200, 'G/token: ada signs in with her Supabase password') or diag($r->{content});
is(claims($r->{json}{access_token})->{sub}, $users{ada}{id}, 'her token\'s sub is her Supabase uuid');
is($r->{json}{user}{id}, $users{ada}{id}, 'so is her user object\'s id');
is($r->{json}{user}{user_metadata}{full_name}, 'Ada Lovelace', 'her user_metadata came along');
is($r->{json}{user}{app_metadata}{plan}, 'pro', 'her app_metadata too');
like(psql($db, q{SELECT password FROM authoob.users WHERE email = 'ada@example.com'}), qr/^\$2a\$04\$/,
	'her hash is made again at the cost set here (4 in the tests), on her sign-in');
is(sign_in('ada@example.com', $password)->{status}, 200, 'and still verifies');
is_gotrue_error(sign_in('ada@example.com', 'not her password'), 400, 'invalid_credentials',
	'a wrong password is refused');
is_gotrue_error(sign_in('ada@example.com', 'twin password'), 400, 'invalid_credentials',
	'the password of the second account of her address is not hers');
$r = sign_in('bob@example.com', $unicode);
is($r->{status}, 200, 'a $2b$ hash of a password with umlauts verifies') or diag($r->{content});
like(psql($db, q{SELECT password FROM authoob.users WHERE email = 'bob@example.com'}), qr/^\$2a\$04\$/,
	'and becomes $2a$');
is(sign_in('BOB@example.com', $unicode)->{status}, 200, 'the address in any case');
is(sign_in('yan@example.com', $password)->{status}, 200, 'a $2y$ hash verifies');
is_gotrue_error(sign_in('banned@example.com', $password), 400, 'user_banned', 'a banned user is refused');
psql($db, q{SELECT authoob_configure('{"require_activation": true}')});
is_gotrue_error(sign_in('later@example.com', $password), 400, 'email_not_confirmed',
	'with require_activation, a user who never confirmed must confirm first');
is(sign_in('ada@example.com', $password)->{status}, 200, 'one who did need not');
psql($db, q{SELECT authoob_configure('{"require_activation": false}')});
is_gotrue_error(sign_in('octo@example.com', 'Anything 1'), 400, 'invalid_credentials',
	'a user without a password: refused, not an error');
is_gotrue_error(sign_in('taken@example.com', $password), 400, 'invalid_credentials',
	'the conflicting Supabase user\'s password does not open the account here');

$front->set_prefix('/authoob');
$r = $front->login('call@example.com', $password);
is($r->{status}, 200, 'P/login: a Supabase user signs in on authoob\'s own routes') or diag($r->{content});
is($front->request(GET => '/profile', token => $r->{json}{token})->{json}{email}, 'call@example.com',
	'and reads their profile');

# --- a second run changes nothing
my $before = psql($db, q{SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM authoob.users u});
# the dump again, restored beside the schema auth an extension holds
restore($_, 'supabase_auth') for @targets;
my $second = import_users('supabase_auth');
my $again = { imported => 0, without_password => 0, phone_not_imported => 0, identities_not_imported => {},
	skipped => { %skipped, already_imported => 8 - $unroutable }, conflicts => $conflicts };
is_deeply($second, $again, 'a second import: nothing new, the conflicts told again') or diag(json_encode($second));
is(psql($db, q{SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM authoob.users u}), $before,
	'and the users are as they were');

# --- a live project, through postgres_fdw, as docs/supabase.md says
my ($host_port) = AuthoobTest::server_conninfo('x') =~ /^dbname=x ?(.*)$/;
my $server_options = join ', ', "dbname '$project'", map { /^(\w+)=(.*)$/ ? "$1 '$2'" : () } split ' ', $host_port;
my $credentials = join ', ', map { defined $ENV{"PG\U$_"} ? "$_ '$ENV{\"PG\U$_\"}'" : () } qw(user password);
for my $target (@targets)
{
	AuthoobTest::psql_in($target, qq{CREATE EXTENSION IF NOT EXISTS postgres_fdw;
		CREATE SERVER supabase FOREIGN DATA WRAPPER postgres_fdw OPTIONS ($server_options);
		CREATE USER MAPPING FOR CURRENT_USER SERVER supabase } . ($credentials ? "OPTIONS ($credentials)" : '') . q{;
		CREATE SCHEMA supabase_live;
		IMPORT FOREIGN SCHEMA auth LIMIT TO (users, identities) FROM SERVER supabase INTO supabase_live});
}
my $live = import_users('supabase_live');
is_deeply($live, $again, 'through postgres_fdw: the same users read, nothing new') or diag(json_encode($live));

# --- a project on Supabase Auth's first schema (2021: no identities, no
# deleted_at nor is_sso_user, confirmed_at not yet email_confirmed_at)
{
	open(my $fh, '<', "$dir/$migrations[0]") or die "$migrations[0]: $!";
	(my $first_schema = do { local $/; <$fh> }) =~ s/\{\{ index \.Options "Namespace" \}\}/supabase_2021/g;
	my $id = in_project(sprintf(q{SELECT u FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 64)) s
		WHERE hashtext(u::text) & %d = hashtext('early@example.com') & %d LIMIT 1}, $partition_mask, $partition_mask));
	for my $target (@targets)
	{
		AuthoobTest::psql_in($target, "CREATE SCHEMA supabase_2021;\n$first_schema");
		AuthoobTest::psql_in($target, sprintf(q{INSERT INTO supabase_2021.users (id, email, encrypted_password,
			confirmed_at, created_at, raw_user_meta_data) VALUES ('%s', 'early@example.com', %s,
			'2021-03-01 12:00+00', '2021-02-28 12:00+00', '{"nick": "e"}')}, $id, quoted(bcrypt($password, '2a'))));
	}
	my $early = import_users('supabase_2021');
	is($early->{imported}, 1, 'the first schema of Supabase Auth: its user imported') or diag(json_encode($early));
	is(psql($db, q{SELECT concat_ws(' ', uuid, confirmed_at AT TIME ZONE 'UTC', user_metadata)
		FROM authoob.users WHERE email = 'early@example.com'}), qq{$id 2021-03-01 12:00:00 {"nick": "e"}},
		'with their uuid, confirmation time and metadata');
	$front->set_prefix('/auth/v1');
	is(sign_in('early@example.com', $password)->{status}, 200, 'and signs in');
}

# --- who may import
AuthoobTest::psql_in($targets[0], q{DROP ROLE IF EXISTS api_importer;
	CREATE ROLE api_importer LOGIN PASSWORD 'api_importer' IN ROLE authoob_api});
like(psql_as($targets[0], 'api_importer', 'SELECT authoob_import_supabase()'),
	qr/permission denied for function authoob_import_supabase/, 'the API role may not import');
like(eval { AuthoobTest::psql_in($targets[0], q{SELECT authoob_import_supabase('no_such_schema')}) } // $@,
	qr/no users table of Supabase Auth in schema "no_such_schema"/, 'a schema without Supabase Auth\'s users: an error');

done_testing();
