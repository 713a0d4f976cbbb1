// An identity provider whose answers the test chooses (t/026_oauth.pl):
// node fake_idp.mjs CLIENT-ID CLIENT-SECRET
// Listens on a free loopback port and prints it. It is an OpenID Connect
// provider (discovery, JWKS, token endpoint) and a plain OAuth 2.0 one of
// GitHub's shape (/user): the code authoob brings to /token is
// base64url(JSON) of what the test wants said, with the nonce and the PKCE
// challenge authoob sent; /token checks the client's secret and that
// sha256(code_verifier) is that challenge, as a real provider does.  The
// ID token is signed with key "rsa" (RS256, published), "ec" (ES256,
// published) or "rogue" (RS256, same kid as "rsa" or its own, never
// published).  GET /stats: how often each path was asked; GET /slow never
// answers.
import http from 'node:http'
import crypto from 'node:crypto'
import * as jose from 'jose'

const [clientId, clientSecret] = process.argv.slice(2)
const rsa = await jose.generateKeyPair('RS256')
const ec = await jose.generateKeyPair('ES256')
const rogue = await jose.generateKeyPair('RS256')
const jwks = {
  keys: [
    { ...(await jose.exportJWK(rsa.publicKey)), kid: 'rsa-1', use: 'sig', alg: 'RS256' },
    { ...(await jose.exportJWK(ec.publicKey)), kid: 'ec-1', use: 'sig', alg: 'ES256' }
  ]
}
const stats = {}
let issuer

const b64url = (buf) => Buffer.from(buf).toString('base64url')
const json = (res, status, body) => {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
}

async function idToken (said) {
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    iss: issuer, aud: clientId, sub: said.sub, nonce: said.nonce, iat: now, exp: now + 300,
    email: said.email, email_verified: said.email_verified, ...(said.claims ?? {})
  }
  for (const k of Object.keys(claims)) if (claims[k] === null) delete claims[k]
  const key = { rsa: [rsa.privateKey, 'RS256', 'rsa-1'], ec: [ec.privateKey, 'ES256', 'ec-1'],
    rogue: [rogue.privateKey, 'RS256', said.kid ?? 'rogue-1'] }[said.key ?? 'rsa']
  return new jose.SignJWT(claims).setProtectedHeader({ alg: key[1], kid: key[2] }).sign(key[0])
}

async function token (req, res, body) {
  const form = new URLSearchParams(body)
  const basic = (req.headers.authorization ?? '').replace(/^Basic /, '')
  const [id, secret] = Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
  const authenticated = (id === clientId && secret === clientSecret) ||
    (form.get('client_id') === clientId && form.get('client_secret') === clientSecret)
  if (!authenticated) return json(res, 401, { error: 'invalid_client' })
  let said
  try { said = JSON.parse(Buffer.from(form.get('code') ?? '', 'base64url').toString()) } catch { said = null }
  if (form.get('grant_type') !== 'authorization_code' || !said || !form.get('redirect_uri')) {
    return json(res, 400, { error: 'invalid_grant' })
  }
  const verifier = form.get('code_verifier') ?? ''
  if (b64url(crypto.createHash('sha256').update(verifier).digest()) !== said.challenge) {
    return json(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' })
  }
  if (said.token_status) return json(res, said.token_status, { error: 'server_error' })
  json(res, 200, {
    access_token: b64url(JSON.stringify(said)), token_type: 'Bearer', expires_in: 300,
    ...(said.no_id_token ? {} : { id_token: await idToken(said) })
  })
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname
  stats[path] = (stats[path] ?? 0) + 1
  let body = ''
  req.on('data', (d) => { body += d })
  req.on('end', () => {
    if (path === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer, authorization_endpoint: issuer + '/authorize', token_endpoint: issuer + '/token',
        userinfo_endpoint: issuer + '/user', jwks_uri: issuer + '/jwks',
        response_types_supported: ['code'], subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256']
      })
    }
    if (path === '/jwks') return json(res, 200, jwks)
    if (path === '/stats') return json(res, 200, stats)
    if (path === '/slow') return // never answers: the caller's timeouts must end the wait
    if (path === '/token' && req.method === 'POST') return token(req, res, body).catch((e) => json(res, 500, { error: String(e) }))
    if (path === '/user') {
      // GitHub's shape: a numeric id, a login, the address (or null)
      let said
      try {
        said = JSON.parse(Buffer.from((req.headers.authorization ?? '').replace(/^Bearer /, ''), 'base64url').toString())
      } catch { return json(res, 401, { message: 'Bad credentials' }) }
      return json(res, 200, { id: Number(said.sub), login: 'user' + said.sub, email: said.email ?? null, verified: said.email_verified ?? false })
    }
    res.writeHead(404).end()
  })
})
server.listen(0, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`
  console.log(server.address().port)
})
