# ES256, EdDSA and RS256 tokens authoob makes verify with panva/jose in Node,
# whose remote key set fetches the front's GET P/.well-known/jwks.json, as a
# JavaScript service would do it (t/js/verify_jwks.mjs). jose refuses the
# token with its signature altered or checked as another alg, and the
# forgeries t/js/forge.mjs makes (HS256 keyed with the public key, another
# key under authoob's kid), which authoob refuses too. After a rotation a
# verifier fetches the set again for the new kid; the old key still verifies.
# Needs node, and jose as pinned in t/js/package-lock.json
# (npm ci --prefix t/js, which scripts/test.sh runs).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IPC::Open2;
use MIME::Base64 ();
use Test::More;

my $js = "$FindBin::Bin/js";
# NODE: another node to run the scripts with, say Debian 12's own node 18
my $node = $ENV{NODE} // 'node';
skip_all_missing("no $node to run the JavaScript client with (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
unless (-e "$js/node_modules/jose/package.json")
{
	fail('jose is installed in t/js (npm ci --prefix t/js)');
	done_testing();
	exit;
}

# Runs a script of t/js; returns its exit status and its output lines.
sub node_run
{
	my ($script, @args) = @_;
	open(my $out, '-|', $node, "$js/$script", @args) or die "cannot run $node: $!";
	my @lines = map { s/\s+\z//r } <$out>;
	close $out;
	return ($? >> 8, @lines);
}

# A line of verify_jwks.mjs: the payload's subject when it verified, else
# the code of jose's error.
sub verdict
{
	my ($line) = @_;
	my $payload = $line =~ /^\{/ && json_decode($line);
	return $payload ? "sub $payload->{sub}" : $line;
}

# jose's verdict on a token, from a verifier of its own.
sub jose_verify
{
	my ($front, $alg, $token) = @_;
	my ($status, @lines) = node_run('verify_jwks.mjs', $front->url(''), $alg, $token);
	my $line = $lines[0] // '';
	return $status == 0 ? verdict($line) : $line eq '' ? "exit $status" : $line;
}

# A verifier that keeps running and keeps its key set across the tokens it
# is given, as a service does; its options are verify_jwks.mjs's flags.
# Returns a function of a token that gives the verdict; of undef, it stops
# the verifier.
sub start_verifier
{
	my ($front, $alg, @flags) = @_;
	my $pid = open2(my $out, my $in, $node, "$js/verify_jwks.mjs", @flags,
		$front->url(''), $alg, '-');
	$in->autoflush(1);
	return sub {
		return close($in) && waitpid($pid, 0) unless defined $_[0];
		print $in "$_[0]\n";
		my $line = <$out> // '';
		return verdict($line =~ s/\s+\z//r);
	};
}

# How many times the JWKS was served, once the count stays the same for a
# tenth of a second: the front logs a request just after its answer is out.
sub jwks_fetches
{
	my ($front) = @_;
	my $last = -1;
	my $count = sub { scalar grep { m{ GET /authoob/\.well-known/jwks\.json 200 } } $front->access_lines };
	wait_until(sub { my $previous = $last; $last = $count->(); $last == $previous }, 5);
	return $last;
}

sub login_token { $_[0]->login('jose@example.com')->{json}{token} }

sub kid_of { json_decode(MIME::Base64::decode_base64url((split /\./, $_[0])[0]))->{kid} }

# Replaces the first character of the signature: its bits all count, unlike
# the last one's, which base64url may leave partly unused.
sub alter_signature
{
	my ($token) = @_;
	$token =~ s/\.([A-Za-z0-9_-])([^.]*)\z/'.' . ($1 eq 'A' ? 'B' : 'A') . $2/e;
	return $token;
}

my $db = new_database();
# what authoob_verify answers: ok, or the SQLSTATE of its error
psql($db, q{CREATE FUNCTION verify_outcome(token text) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN PERFORM authoob_verify(token); RETURN 'ok';
	EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$});
my $front = AuthoobTest::Front->start(db => $db);
register_user($front, 'jose@example.com');
my $uid = user_id($db, 'jose@example.com');
my %another_alg = (ES256 => 'EdDSA', EdDSA => 'RS256', RS256 => 'ES256');

for my $alg (qw(ES256 EdDSA RS256))
{
	psql($db, qq{SELECT authoob_configure('{"signing_alg": "$alg"}')});
	my $token = login_token($front);
	is(jose_verify($front, $alg, $token), "sub $uid", "$alg: jose verifies the token of a login with the JWKS");

	is(jose_verify($front, $alg, alter_signature($token)), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		"$alg: jose refuses it with its signature altered");
	is(jose_verify($front, $another_alg{$alg}, $token), 'ERR_JOSE_ALG_NOT_ALLOWED',
		"$alg: jose refuses it when asked for $another_alg{$alg}");
	is(jose_verify($front, 'HS256', $token), 'ERR_JOSE_ALG_NOT_ALLOWED',
		"$alg: and when asked for HS256");

	my $jwks = $front->request(GET => '/.well-known/jwks.json')->{content};
	my (undef, @lines) = node_run('forge.mjs', $token, $jwks);
	my %forged = map { split / /, $_, 2 } @lines;
	is_deeply([ sort keys %forged ], [qw(another-key hs256-jwk hs256-pem)], "$alg: jose forges")
	  or diag "@lines";
	for my $forgery (qw(hs256-jwk hs256-pem))
	{
		is(jose_verify($front, $alg, $forged{$forgery}), 'ERR_JOSE_ALG_NOT_ALLOWED',
			"$alg: jose refuses $forgery, HS256 keyed with the public key");
		# a verifier that would take HS256 does not look for a secret in a
		# key set of public keys
		is(jose_verify($front, 'HS256', $forged{$forgery}), 'ERR_JOSE_NOT_SUPPORTED',
			"$alg: even when asked for HS256");
		is(psql($db, "SELECT verify_outcome('$forged{$forgery}')"), 'PT401',
			"$alg: authoob refuses $forgery");
	}
	is(jose_verify($front, $alg, $forged{'another-key'}), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
		"$alg: jose refuses a token of another key under authoob's kid");
	is(psql($db, "SELECT verify_outcome('$forged{'another-key'}')"), 'PT401',
		"$alg: authoob refuses it");

	# a rotation, seen by verifiers that fetched the set before it
	my $waiting = start_verifier($front, $alg);
	my $refetching = start_verifier($front, $alg, '--cooldown', 0);
	is($waiting->($token), "sub $uid", "$alg: a running verifier verifies the token");
	is($refetching->($token), "sub $uid", "$alg: so does one without cooldown");
	my $fetches = jwks_fetches($front);
	psql($db, q{SELECT authoob_rotate_key(interval '1 hour')});
	my $new = login_token($front);
	isnt(kid_of($new), kid_of($token), "$alg: after a rotation a login's token has another kid");
	is($refetching->($new), "sub $uid", "$alg: a verifier fetches the set again for it, and verifies it");
	is(jwks_fetches($front), $fetches + 1, "$alg: with one more GET of the JWKS");
	is($refetching->($token), "sub $uid", "$alg: the old token still verifies");
	is($waiting->($new), 'ERR_JWKS_NO_MATCHING_KEY',
		"$alg: but one that fetched less than 30 s ago (jose's default cooldown) refuses the new kid");
	is(jose_verify($front, $alg, $new), "sub $uid", "$alg: a new verifier verifies the new token");
	is(jose_verify($front, $alg, $token), "sub $uid", "$alg: and the old one");
	is(psql($db, "SELECT verify_outcome('$token')"), 'ok', "$alg: as authoob does");
	$_->(undef) for $waiting, $refetching;
}

done_testing();
