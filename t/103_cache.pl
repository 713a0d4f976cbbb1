# Each backend caches the settings; a change committed by another session
# reaches a backend that has already cached them, without reconnecting.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;
use IPC::Run qw(start pump finish);

my $db = new_database();
psql($db, q{SELECT authoob_register('{"email": "c@example.com", "password1": "1Password", "password2": "1Password"}')});

# One long-lived session (as the HTTP front's pooled connections are).
my ($in, $out) = ('', '');
my $session = start(['psql', '-X', '-q', '-At', '-d', $db], \$in, \$out);
sub ask {
	my ($sql) = @_;
	$out = '';
	$in .= "$sql;\n\\echo DONE\n";
	pump $session until $out =~ /DONE\n/;
	(my $result = $out) =~ s/DONE\n//;
	chomp $result;
	return $result;
}
my $lifetime = q{WITH t AS (SELECT split_part(authoob_login('{"email": "c@example.com", "password": "1Password"}') ->> 'token', '.', 2) AS p)
	SELECT (c->>'exp')::bigint - (c->>'iat')::bigint
	FROM t, LATERAL (SELECT convert_from(decode(rpad(translate(p, '-_', '+/'), (length(p) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb AS c) x};

is(ask($lifetime), '86400', 'the session has cached the default token lifetime');
psql($db, q{SELECT authoob_configure('{"token_ttl": 600}')});
is(ask($lifetime), '600', 'a change committed elsewhere reaches the cached session');

# A change rolled back in the session itself is forgotten.
ask('BEGIN');
ask(q{SELECT authoob_configure('{"token_ttl": 900}')});
is(ask($lifetime), '900', 'its own uncommitted change is seen at once');
ask('ROLLBACK');
is(ask($lifetime), '600', 'and forgotten after rollback');

$in .= "\\q\n";
finish $session;
done_testing();
