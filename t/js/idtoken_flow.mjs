// auth-js signInWithIdToken against authoob's Supabase Auth routes
// (t/026_oauth.pl): node idtoken_flow.mjs URL JSON-ARRAY.  Each element is
// the credentials of one call ({provider, token, nonce?, access_token?}),
// made by a client of its own; prints one JSON line per call: what auth-js
// gave the app (the session's tokens, the user) or its error.
import { webcrypto } from 'node:crypto'
import { GoTrueClient } from '@supabase/auth-js'

// as in authjs_flow.mjs: Debian 12's Node 18 has WebCrypto in node:crypto only
globalThis.crypto ??= webcrypto

const [url, rawCalls] = process.argv.slice(2)

function memoryStorage () {
  const items = new Map()
  return {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k)
  }
}

for (const credentials of JSON.parse(rawCalls)) {
  const client = new GoTrueClient({
    url, headers: { apikey: 'anon-key' }, storage: memoryStorage(),
    autoRefreshToken: false, persistSession: true, detectSessionInUrl: false
  })
  const { data, error } = await client.signInWithIdToken(credentials)
  const stored = (await client.getSession()).data.session
  console.log(JSON.stringify({
    access_token: data?.session?.access_token ?? null,
    refresh_token: data?.session?.refresh_token ?? null,
    stored: !!stored && stored.access_token === data?.session?.access_token,
    user: data?.user ? { id: data.user.id, email: data.user.email, confirmed: !!data.user.email_confirmed_at,
      providers: (data.user.identities ?? []).map((i) => i.provider) } : null,
    error: error ? { name: error.name, status: error.status, code: error.code ?? null, message: error.message } : null
  }))
}
