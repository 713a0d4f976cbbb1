# Hooks, custom user fields and roles (docs/sql-api.md, Hooks and Custom user fields) seen over HTTP: what a
# hook raises becomes the status, what a post hook answers becomes the body,
# a slow hook fails its request and nothing else, and custom fields travel in
# the profile routes.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;
use Time::HiRes qw(time);

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);

sub count_of { psql($db, "SELECT count(*) FROM $_[0]") }

# SQLSTATE and message of a statement (psql() dies on errors).
psql($db, q{CREATE FUNCTION outcome(statement text) RETURNS text LANGUAGE plpgsql AS $$
	DECLARE answer text;
	BEGIN
		EXECUTE statement INTO answer;
		RETURN 'ok: ' || answer;
	EXCEPTION WHEN OTHERS THEN
		RETURN SQLSTATE || ': ' || SQLERRM;
	END $$});

# --- the seed's post_register example, as docs/sql-api.md writes it
add_give_role_hook($db);

my $r = $front->register('plain@example.com');
is($r->{status}, 200, 'register without type: 200');
is(roles_of($db, 'plain@example.com'), '{customer}', 'and the role customer');
$r = $front->register('typed@example.com', type => 2);
is($r->{status}, 200, 'register with another type: 200');
is(roles_of($db, 'typed@example.com'), '{customer}', 'and the role customer');
is_error($front->register('special@example.com', type => 1), 400, "no role 'custom_user_role'",
	'type 1 without the role custom_user_role: 400 with the message');
is(count_of(q{authoob.users WHERE email = 'special@example.com'}), 0, 'no user was created');
is(count_of(q{authoob.mail_outbox WHERE recipient = 'special@example.com'}), 0, 'no mail was queued');
psql($db, q{SELECT authoob_create_role('custom_user_role')});
$r = $front->register('special@example.com', type => 1);
is($r->{status}, 200, 'once the role exists: 200');
is(roles_of($db, 'special@example.com'), '{custom_user_role}', 'and the role custom_user_role');
my $customer_token = $r->{json}{token};
psql($db, q{SELECT authoob_remove_hook('post_register', 'give_role(jsonb)')});

# --- what a hook raises is the answer
# Runs $test with the plpgsql function $name(context jsonb) as the hook $hook.
sub with_hook
{
	my ($hook, $name, $body, $test) = @_;
	psql($db, "CREATE FUNCTION $name(context jsonb) RETURNS jsonb LANGUAGE plpgsql AS \$\$ BEGIN $body END \$\$");
	psql($db, "SELECT authoob_add_hook('$hook', '$name(jsonb)')");
	$test->();
	psql($db, "SELECT authoob_remove_hook('$hook', '$name(jsonb)')");
}

with_hook('post_register', 'closed',
	q{RAISE EXCEPTION 'Registrations are closed' USING ERRCODE = 'PT403';}, sub {
		is_error($front->register('closed@example.com'), 403, 'Registrations are closed', 'a PT403 hook: 403 and its message');
		is(count_of(q{authoob.users WHERE email = 'closed@example.com'}), 0, 'and no user');
	});
with_hook('pre_login', 'sunday', q{RAISE EXCEPTION 'No logins on Sunday';}, sub {
	is_error($front->login('plain@example.com'), 400, 'No logins on Sunday', 'a plain RAISE EXCEPTION hook: 400 and its message');
});
with_hook('pre_login', 'broken', q{RETURN to_jsonb(1 / 0);}, sub {
	$r = $front->login('plain@example.com');
	is_error($r, 500, 'Internal error', 'a hook that breaks (division by zero): 500');
	unlike($r->{content}, qr/division/, 'the answer tells nothing of the cause');
	like($front->log, qr/division by zero/, 'the front logs it');
});
is($front->login('plain@example.com')->{status}, 200, 'without the hooks, logins work again');

# A post hook's object replaces the body.
with_hook('post_profile', 'greeting',
	q{RETURN jsonb_build_object('greeting', 'Hello ' || (context -> 'user' ->> 'email'));}, sub {
		$r = $front->request(GET => '/profile', token => $customer_token);
		is($r->{status}, 200, 'a post_profile hook: 200');
		is_deeply($r->{json}, { greeting => 'Hello special@example.com' }, 'with the hook\'s object as the body');
	});

# A slow hook: cancelled at hook_timeout, one 500, the front goes on.
psql($db, q{SELECT authoob_configure('{"hook_timeout": 300}')});
with_hook('pre_login', 'slow', q{PERFORM pg_sleep(20); RETURN NULL;}, sub {
	my $started = time;
	$r = $front->login('plain@example.com');
	my $took = time - $started;
	is_error($r, 500, 'Internal error', 'a hook past hook_timeout: 500');
	cmp_ok($took, '<', 20, "answered before the hook's 20 s sleep would have ended");
	like($front->log, qr/hook pre_login took longer than 300 ms/, 'the front logs why');
	is($front->request(GET => '/health')->{status}, 200, 'the front keeps answering');
	is($front->request(GET => '/profile', token => $customer_token)->{status}, 200, 'other routes too');
});
is($front->login('plain@example.com')->{status}, 200, 'without the slow hook, logins work again');

# --- custom fields: the seed's test_field
psql($db, q{ALTER TABLE authoob.users ADD COLUMN test_field text});
psql($db, q{SELECT authoob_add_field('test_field', exposed => true, updatable => true)});
$r = $front->request(PUT => '/profile', token => $customer_token, json => { test_field => 'x' });
is($r->{status}, 200, 'PUT profile with test_field: 200');
is($r->{json}{test_field}, 'x', 'the answer has test_field');
is($front->request(GET => '/profile', token => $customer_token)->{json}{test_field}, 'x',
	'GET profile shows it');
my $id = $r->{json}{id};
$r = $front->request(GET => "/profile/$id");
ok(!exists $r->{json}{test_field}, 'not in the public profile unless registered public');
psql($db, q{SELECT authoob_add_field('test_field', exposed => true, updatable => true, public => true)});
$r = $front->request(GET => "/profile/$id");
is_deeply($r->{json}, { id => $id, username => undef, test_field => 'x' }, 'a public field is in GET profile/<id>');

psql($db, q{ALTER TABLE authoob.users ADD COLUMN age integer CHECK (age >= 0)});
psql($db, q{SELECT authoob_add_field('age', exposed => true, updatable => true)});
is($front->request(PUT => '/profile', token => $customer_token, json => { age => 36 })->{json}{age}, 36,
	'an integer field takes an integer');
for my $bad ('old', 1.5, -1, [1], 99999999999)
{
	is_error($front->request(PUT => '/profile', token => $customer_token, json => { age => $bad, username => 'changed' }),
		400, 'Invalid value for age', 'a bad integer (' . AuthoobTest::json_encode($bad) . '): 400 naming the field');
}
$r = $front->request(GET => '/profile', token => $customer_token);
is_deeply([ $r->{json}{age}, $r->{json}{username} ], [ 36, undef ], 'and nothing changed');

# --- roles protect the application's own SQL with tokens the front gave
my $uid = user_id($db, 'special@example.com');
is(psql($db, qq{SELECT authoob_verify_role('$customer_token', 'custom_user_role')}), $uid,
	'authoob_verify_role: the user id when the user has the role');
is(psql($db, qq{SELECT outcome(format('SELECT authoob_verify_role(%L, %L)', '$customer_token', 'customer'))}),
	'PT403: Forbidden', 'and 403 without it');
is(psql($db, q{SELECT outcome('SELECT authoob_verify_role(''bad'', ''customer'')')}),
	'PT401: Authentication failed', '401 for a bad token');

is($front->stop('TERM'), 0, 'front stops cleanly');
done_testing();
