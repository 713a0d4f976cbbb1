// Drives linkIdentity, unlinkIdentity and getUserIdentities with the real
// @supabase/auth-js (t/034_link_identity.pl): node link_flow.mjs STEP URL
// JSON-ARGS.  The client's storage is the file args.storage, so that one
// user's session (and PKCE's verifier) lives from step to step while the
// test plays the browser and the provider in between.  Prints one JSON
// line per check: {"name", "ok", "got"}.
import fs from 'node:fs'
import { webcrypto } from 'node:crypto'
import { GoTrueClient } from '@supabase/auth-js'

// WebCrypto for PKCE's S256 on Node 18 (see authjs_flow.mjs)
globalThis.crypto ??= webcrypto

const [step, url, rawArgs] = process.argv.slice(2)
const args = JSON.parse(rawArgs ?? '{}')

function check(name, ok, got) {
  console.log(JSON.stringify({ name, ok: !!ok, got: got ?? null }))
}

function fileStorage(file) {
  const load = () => JSON.parse((fs.existsSync(file) && fs.readFileSync(file, 'utf8')) || '{}')
  const save = (items) => fs.writeFileSync(file, JSON.stringify(items))
  return {
    getItem: (k) => load()[k] ?? null,
    setItem: (k, v) => save({ ...load(), [k]: v }),
    removeItem: (k) => { const items = load(); delete items[k]; save(items) },
  }
}

const c = new GoTrueClient({
  url,
  headers: { apikey: 'anon-key' },
  storageKey: 'sb-link',
  storage: fileStorage(args.storage),
  flowType: 'pkce',
  autoRefreshToken: false,
  persistSession: true,
  detectSessionInUrl: false,
})
const errInfo = (e) => (e ? { name: e.name, status: e.status, code: e.code, message: e.message } : null)
// an error as expected: its code and status (args.code, args.status)
const refused = (name, r) => check(`${name}: ${args.status} ${args.code}`,
  r.error?.code === args.code && r.error?.status === args.status, errInfo(r.error))

if (step === 'sign_up') {
  const r = await c.signUp({ email: args.email, password: args.password })
  check('signUp: a session', !r.error && r.data.session?.access_token, { id: r.data.user?.id, error: errInfo(r.error) })
} else if (step === 'anonymous') {
  const r = await c.signInAnonymously()
  check('signInAnonymously: a session', !r.error && r.data.user?.is_anonymous, { id: r.data.user?.id, error: errInfo(r.error) })
} else if (step === 'link') {
  const r = await c.linkIdentity({ provider: args.provider,
    options: { redirectTo: args.redirect_to, skipBrowserRedirect: true } })
  if (args.code) {
    refused(`linkIdentity(${args.provider})`, r)
  } else {
    check(`linkIdentity(${args.provider}): the URL to send the browser to`,
      !r.error && r.data.provider === args.provider && typeof r.data.url === 'string',
      { url: r.data.url, error: errInfo(r.error) })
    const verifier = await c.storage.getItem('sb-link-code-verifier')
    check('auth-js kept its PKCE verifier for the way back', verifier, verifier)
  }
} else if (step === 'exchange') {
  const r = await c.exchangeCodeForSession(args.code)
  const providers = (r.data.user?.identities ?? []).map((i) => i.provider)
  check('exchangeCodeForSession: the same user, signed in again', !r.error && r.data.user?.id === args.user_id,
    { id: r.data.user?.id, error: errInfo(r.error) })
  check(`its identities: ${args.providers.join(', ')}`, JSON.stringify(providers) === JSON.stringify(args.providers), providers)
  check('app_metadata.providers says the same',
    JSON.stringify(r.data.user?.app_metadata?.providers) === JSON.stringify(args.providers), r.data.user?.app_metadata)
} else if (step === 'identities') {
  const r = await c.getUserIdentities()
  const ids = r.data?.identities ?? []
  check(`getUserIdentities: ${args.providers.join(', ')}`, !r.error &&
    JSON.stringify(ids.map((i) => i.provider)) === JSON.stringify(args.providers), { identities: ids, error: errInfo(r.error) })
  check('each in Supabase Auth\'s shape', ids.every((i) => i.identity_id && i.id && i.user_id && i.identity_data &&
    i.provider && i.created_at && i.updated_at && 'email' in i && 'last_sign_in_at' in i), ids)
} else if (step === 'unlink') {
  const got = await c.getUserIdentities()
  const identity = args.identity_id ? { identity_id: args.identity_id }
    : (got.data?.identities ?? []).find((i) => i.provider === args.provider)
  check(`the ${args.provider ?? 'given'} identity is found`, identity, got.data)
  const r = await c.unlinkIdentity(identity)
  if (args.code) {
    refused(`unlinkIdentity(${args.provider ?? args.identity_id})`, r)
  } else {
    check(`unlinkIdentity(${args.provider})`, !r.error, errInfo(r.error))
  }
} else {
  check(`unknown step ${step}`, false)
}
