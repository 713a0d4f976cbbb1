# ES256, EdDSA and RS256 tokens authoob makes verify with a standard JWT
# library (PyJWT, Debian's python3-jwt with python3-cryptography) given the
# public key from the JWKS, served by authoob_jwks() and by the front's
# /.well-known/jwks.json; with another key or another alg they do not. The
# other way: a token PyJWT signs with authoob's key verifies, and the
# classic forgeries made with PyJWT (alg none, HS256 keyed with the public
# key, another key under authoob's kid) are refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use Test::More;

my $python = File::Temp->new(SUFFIX => '.py');
print $python <<'PY';
import hmac, hashlib, json, sys, time
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

alg, token, jwks_text, private_pem = sys.argv[1:5]
kid = jwt.get_unverified_header(token)["kid"]
jwks = jwt.PyJWKSet.from_dict(json.loads(jwks_text))
key = [k for k in jwks.keys if k.key_id == kid][0]

claims = jwt.decode(token, key.key, algorithms=[alg], audience="authenticated")
print("verified", claims["sub"])

another = {"ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
           "EdDSA": ed25519.Ed25519PrivateKey.generate,
           "RS256": lambda: rsa.generate_private_key(65537, 2048)}[alg]()
try:
    jwt.decode(token, another.public_key(), algorithms=[alg], audience="authenticated")
    print("ANOTHER KEY ACCEPTED")
except jwt.InvalidSignatureError:
    print("another key refused")
try:
    jwt.decode(token, key.key, algorithms=["HS256"], audience="authenticated")
    print("ANOTHER ALG ACCEPTED")
except (jwt.InvalidAlgorithmError, jwt.InvalidKeyError, jwt.InvalidSignatureError):
    print("another alg refused")

# PyJWT signs fresh claims of the same session with authoob's key
now = int(time.time())
fresh = {"sub": claims["sub"], "iat": now, "exp": now + 600, "session_id": claims["session_id"],
         "jti": claims["jti"]}
private = serialization.load_pem_private_key(private_pem.encode(), None)
print("signed", jwt.encode(fresh, private, algorithm=alg, headers={"kid": kid}))

# and forges: each must be refused
public_pem = key.key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
def b64(data):
    return jwt.utils.base64url_encode(data).decode()
def hs256_with(secret):
    header = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps(fresh, separators=(",", ":")).encode())
    signature = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64(signature)}"
print("forged none", jwt.encode(fresh, None, algorithm="none", headers={"kid": kid}))
print("forged hs256-public-pem", hs256_with(public_pem))
print("forged hs256-jwk", jwt.encode(fresh, json.dumps(key._jwk_data).encode(), algorithm="HS256", headers={"kid": kid}))
print("forged another-key", jwt.encode(fresh, another, algorithm=alg, headers={"kid": kid}))
print("forged no-kid", jwt.encode(fresh, private, algorithm=alg))
PY
close $python;

my $db = new_database();
psql($db, q{SELECT authoob_register('{"email": "interop@example.com", "password1": "1Password", "password2": "1Password"}')});
my $uid = psql($db, "SELECT id FROM authoob.users WHERE email = 'interop\@example.com'");
# what authoob_verify answers: ok, or the SQLSTATE of its error
psql($db, q{CREATE FUNCTION verify_outcome(token text) RETURNS text LANGUAGE plpgsql AS $$
	BEGIN PERFORM authoob_verify(token); RETURN 'ok';
	EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$});
my $front = AuthoobTest::Front->start(db => $db);

for my $alg (qw(ES256 EdDSA RS256))
{
	psql($db, qq{SELECT authoob_configure('{"signing_alg": "$alg"}')});
	my $token = psql($db, q{SELECT authoob_login('{"email": "interop@example.com", "password": "1Password"}') ->> 'token'});
	my $jwks = psql($db, 'SELECT authoob_jwks()');
	my $private = psql($db, "SELECT private_key FROM authoob.signing_keys WHERE alg = '$alg' AND valid_until IS NULL");

	my $r = $front->request(GET => '/.well-known/jwks.json');
	is($r->{status}, 200, "$alg: GET /.well-known/jwks.json answers 200");
	is($r->{headers}{'cache-control'}, 'public, max-age=300', "$alg: and caches may keep it five minutes");
	is_deeply($r->{json}, json_decode($jwks), "$alg: the route serves authoob_jwks()");

	# the JWKS as the route served it is what PyJWT is given
	my $out = `/usr/bin/python3 '$python' '$alg' '$token' '$r->{content}' '$private' 2>&1`;
	is($?, 0, "$alg: PyJWT ran") or diag($out);
	my %line = map { /^(\S+(?: \S+)?) (.*)$/ ? ($1, $2) : () } split /\n/, $out;
	is($line{verified}, $uid, "$alg: PyJWT verifies authoob's token with the JWKS key");
	like($out, qr/^another key refused$/m, "$alg: PyJWT refuses it with another key");
	like($out, qr/^another alg refused$/m, "$alg: PyJWT refuses it as HS256");
	is(psql($db, "SELECT authoob_verify('$line{signed}')"), $uid,
		"$alg: authoob verifies a token PyJWT signed with its key");
	for my $forgery (sort grep { /^forged / } keys %line)
	{
		is(psql($db, "SELECT verify_outcome('$line{$forgery}')"), 'PT401',
			"$alg: $forgery is refused");
	}
}

done_testing();
