# A token made by authoob_login verifies with a standard JWT library (PyJWT,
# Debian's python3-jwt) given the secret, and authoob verifies a token PyJWT
# signs with it; once signing_alg leaves HS256, only for a token lifetime.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my $db = new_database();
psql($db, q{SELECT authoob_register('{"email": "jwt@example.com", "password1": "1Password", "password2": "1Password"}')});
my $token = psql($db, q{SELECT authoob_login('{"email": "jwt@example.com", "password": "1Password"}') ->> 'token'});
my $uid = user_id($db, 'jwt@example.com');
# The secret in hex, and its key id: the first 11 characters of the
# base64url SHA-256 of the secret.
sub current_secret
{
	return split / /, psql($db, "SELECT encode(secret_key, 'hex') || ' ' ||
		left(translate(encode(sha256(secret_key), 'base64'), '+/=', '-_'), 11) FROM authoob.settings");
}
my ($secret_hex, $kid) = current_secret();

my $python = <<'PY';
import sys, json, jwt
token, secret_hex = sys.argv[1], sys.argv[2]
key = bytes.fromhex(secret_hex)
claims = jwt.decode(token, key, algorithms=["HS256"], audience="authenticated")
print(json.dumps(claims, sort_keys=True))
print(json.dumps(jwt.get_unverified_header(token), sort_keys=True))
try:
    jwt.decode(token, b"another key of at least thirty-two bytes", algorithms=["HS256"], audience="authenticated")
    print("WRONG KEY ACCEPTED")
except jwt.InvalidSignatureError:
    print("wrong key refused")
PY
my $out = `/usr/bin/python3 -c '$python' '$token' '$secret_hex' 2>&1`;
is($?, 0, 'PyJWT ran') or diag($out);
my ($claims_json, $header_json, $wrong) = split /\n/, $out;
is($header_json, qq({"alg": "HS256", "kid": "$kid", "typ": "JWT"}), 'the header names the key');
like($claims_json, qr/"sub": "$uid"/, 'PyJWT verifies the signature and reads sub as the user id string');
like($claims_json, qr/"exp": \d+, "iat": \d+, "is_anonymous": false, "iss": "[^"]+", "jti": "[0-9a-f-]{36}"/,
	'exp, iat numbers; is_anonymous false; iss; jti a uuid');
like($claims_json, qr/"aal": "aal1", "amr": \[\{"method": "password", "timestamp": \d+\}\], "aud": "authenticated", "email": "jwt\@example.com"/,
	'aal, amr, aud (PyJWT checked it: audience="authenticated"), email');
like($claims_json, qr/"role": "authenticated", "session_id": "[0-9a-f-]{36}"/, 'role, session_id');
is($wrong, 'wrong key refused', 'PyJWT refuses it with another key');

# A token PyJWT signs with the secret secret_hex, naming it kid as authoob
# does: the given claims (sub and a session), issued now for ten minutes.
sub pyjwt_sign
{
	my ($secret_hex, $kid, $claims) = @_;
	my $claims_json = json_encode($claims);
	my $signed = `/usr/bin/python3 -c 'import sys, json, jwt, time; now = int(time.time()); print(jwt.encode(dict(json.loads(sys.argv[2]), iat=now, exp=now + 600), bytes.fromhex(sys.argv[1]), algorithm="HS256", headers={"typ": "JWT", "kid": sys.argv[3]}))' '$secret_hex' '$claims_json' '$kid'`;
	chomp $signed;
	return $signed;
}

# The other way: PyJWT signs a token with a fresh session id recorded by
# authoob (as its jti, the way 0.1 named sessions); authoob accepts it.
my $jti = psql($db, "SELECT gen_random_uuid()");
psql($db, "INSERT INTO authoob.sessions (jti, user_id, expires_at) VALUES ('$jti', $uid, now() + interval '1 hour')");
my $signed = pyjwt_sign($secret_hex, $kid, { sub => "$uid", jti => $jti });
is(psql($db, "SELECT authoob_verify('$signed')"), $uid, 'authoob verifies a PyJWT token signed with its secret');

# Leaving HS256 retires the secret (docs/sql-api.md, "Signing keys and JWKS"): a
# token its holder signs for a live session gets the profile for a token
# lifetime, then a 401; back to HS256, authoob signs with a new secret.
my $front = AuthoobTest::Front->start(db => $db);
my $session = json_decode($claims_json)->{session_id};
psql($db, q{SELECT authoob_configure('{"signing_alg": "ES256"}')});
my $forged = pyjwt_sign($secret_hex, $kid, { sub => "$uid", session_id => $session });
my $r = $front->request(GET => '/profile', token => $forged);
is($r->{status}, 200, 'ES256 now: a token signed with the old secret gets the profile for a token lifetime');
is($r->{json}{email}, 'jwt@example.com', 'the profile of the session\'s user');
# the token lifetime is over
psql($db, "UPDATE authoob.previous_keys SET valid_until = now() - interval '1 second' WHERE kid = '$kid'");
is($front->request(GET => '/profile', token => $forged)->{status}, 401, 'then it is refused');
psql($db, q{SELECT authoob_configure('{"signing_alg": "HS256"}')});
my ($new_secret_hex, $new_kid) = current_secret();
isnt($new_secret_hex, $secret_hex, 'HS256 again: with a new secret');
is($front->request(GET => '/profile', token => $forged)->{status}, 401, 'the old secret\'s token is still refused');
$signed = pyjwt_sign($new_secret_hex, $new_kid, { sub => "$uid", session_id => $session });
is($front->request(GET => '/profile', token => $signed)->{status}, 200, 'a token signed with the new secret gets the profile');

done_testing();
