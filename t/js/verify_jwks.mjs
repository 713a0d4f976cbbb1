// verify_jwks.mjs: verifies authoob's tokens as a JavaScript service would,
// with panva/jose fetching the public keys from the front's JWKS route.
//   node verify_jwks.mjs [--cooldown MS] BASE ALG TOKEN
// prints the payload as JSON, or the error's code (exit 1). With TOKEN "-"
// it reads tokens one a line and answers each, with one key set that lives
// across them: so a test can rotate the key between two tokens.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { values, positionals } = parseArgs({
	options: { cooldown: { type: 'string' } },
	allowPositionals: true,
});
const [base, alg, token] = positionals;
// cooldown: how long jose waits after a fetch before it fetches the set
// again for an unknown kid (its default is 30 s)
const options = values.cooldown === undefined ? {} : { cooldownDuration: Number(values.cooldown) };
const jwks = createRemoteJWKSet(new URL(base + '/.well-known/jwks.json'), options);

async function verify(token) {
	try {
		const { payload } = await jwtVerify(token, jwks, { algorithms: [alg] });
		return { ok: true, line: JSON.stringify(payload) };
	} catch (error) {
		return { ok: false, line: error.code ?? String(error) };
	}
}

if (token === '-') {
	for await (const line of createInterface({ input: process.stdin })) {
		console.log((await verify(line.trim())).line);
	}
} else {
	const result = await verify(token);
	console.log(result.line);
	process.exitCode = result.ok ? 0 : 1;
}
