# A token made by authoob_login verifies with a standard JWT library (PyJWT,
# Debian's python3-jwt) given the secret, and a token PyJWT signs with the
# same claims is byte-for-byte the one authoob made.
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
my $secret_hex = psql($db, "SELECT encode(secret_key, 'hex') FROM authoob.settings");
# the key id: the first 11 characters of the base64url SHA-256 of the secret
my $kid = psql($db, "SELECT left(translate(encode(sha256(secret_key), 'base64'), '+/=', '-_'), 11) FROM authoob.settings");

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
like($claims_json, qr/"exp": \d+, "iat": \d+, "iss": "[^"]+", "jti": "[0-9a-f-]{36}"/, 'exp, iat numbers; iss; jti a uuid');
like($claims_json, qr/"aal": "aal1", "amr": \[\{"method": "password", "timestamp": \d+\}\], "aud": "authenticated", "email": "jwt\@example.com"/,
	'aal, amr, aud (PyJWT checked it: audience="authenticated"), email');
like($claims_json, qr/"role": "authenticated", "session_id": "[0-9a-f-]{36}"/, 'role, session_id');
is($wrong, 'wrong key refused', 'PyJWT refuses it with another key');

# The other way: PyJWT signs a token with a fresh session id recorded by
# authoob, naming the key (kid) as authoob does; authoob accepts it.
my $jti = psql($db, "SELECT gen_random_uuid()");
psql($db, "INSERT INTO authoob.sessions (jti, user_id, expires_at) VALUES ('$jti', $uid, now() + interval '1 hour')");
my $signed = `/usr/bin/python3 -c 'import sys, jwt, time; now = int(time.time()); print(jwt.encode({"sub": sys.argv[2], "iat": now, "exp": now + 600, "jti": sys.argv[3]}, bytes.fromhex(sys.argv[1]), algorithm="HS256", headers={"typ": "JWT", "kid": sys.argv[4]}))' '$secret_hex' '$uid' '$jti' '$kid'`;
chomp $signed;
is(psql($db, "SELECT authoob_verify('$signed')"), $uid, 'authoob verifies a PyJWT token signed with its secret');

done_testing();
