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

# What a backend keeps to verify tokens faster (the secrets' HMAC states,
# the tokens whose ES256 or EdDSA signature it verified, the key set) never
# outlives what it stood for: a token logged out, or whose key was retired,
# by another session is refused by the backend that had verified it.
my ($verifier_in, $verifier_out) = ('', '');
my $verifier = start(['psql', '-X', '-q', '-At', '-d', $db], \$verifier_in, \$verifier_out, '2>&1');
sub verify {
	my ($token) = @_;
	$verifier_out = '';
	$verifier_in .= "SELECT authoob_verify('$token');\n\\echo DONE\n";
	pump $verifier until $verifier_out =~ /DONE\n/;
	return $verifier_out =~ /^(\d+)$/m ? 'verified' : $verifier_out =~ /ERROR: +(.*)/ ? $1 : $verifier_out;
}
my $login = q{SELECT authoob_login('{"email": "c@example.com", "password": "1Password"}') ->> 'token'};
my %token;
for my $alg (qw(ES256 EdDSA HS256))
{
	psql($db, qq{SELECT authoob_configure('{"signing_alg": "$alg"}')});
	$token{$alg} = [ map { psql($db, $login) } 1 .. 2 ];
	is(verify($_), 'verified', "$alg: the other backend verifies the token") for @{ $token{$alg} };
	is(verify($token{$alg}[0]), 'verified', "$alg: again (from what it keeps)");
	psql($db, qq{SELECT authoob_logout('$token{$alg}[0]')});
	is(verify($token{$alg}[0]), 'Authentication failed', "$alg: logged out elsewhere: refused");
	is(verify($token{$alg}[1]), 'verified', "$alg: the user's other session is still fine");
}
# a key gone (signing_alg moved on: the ES256 key verifies for token_ttl
# more, unless its owner removes it): its tokens are refused, though
# verified before
psql($db, q{DELETE FROM authoob.signing_keys WHERE alg = 'ES256'});
is(verify($token{ES256}[1]), 'Authentication failed', 'ES256 key removed elsewhere: its token is refused');
is(verify($token{EdDSA}[1]), 'verified', 'an EdDSA token is still fine');
# a new secret: the backend signs and verifies with it, not with the states
# it kept of the old one
psql($db, q{SELECT authoob_configure('{"secret_key": "another secret of at least 32 bytes, for the test"}')});
is(verify($token{HS256}[1]), 'Authentication failed', 'a new secret ends the sessions: refused');
$verifier_out = '';
$verifier_in .= q{SELECT authoob_login('{"email": "c@example.com", "password": "1Password"}') ->> 'token';} . "\n\\echo DONE\n";
pump $verifier until $verifier_out =~ /DONE\n/;
my ($fresh) = $verifier_out =~ /^(\S+\.\S+\.\S+)$/m;
like(psql($db, qq{SELECT authoob_verify('$fresh')}), qr/^\d+$/,
	'a token the backend signed after the change verifies in a new session');

$verifier_in .= "\\q\n";
finish $verifier;
$in .= "\\q\n";
finish $session;
done_testing();
