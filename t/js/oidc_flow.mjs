// A real OpenID Connect provider, oidc-provider (pinned in package.json),
// with authoob as its client, and an app's page in headless Chromium that
// signs in through it with @supabase/auth-js (t/027_oidc_provider.pl):
// node oidc_flow.mjs API-URL PAGE-PORT IDP-PORT
// The page calls signInWithOAuth (PKCE), the browser passes the
// provider's own login and consent pages (devInteractions), comes back
// through authoob's callback to the page, which exchanges the code and
// reads the user.  Prints one JSON line per check: {"name", "ok", "got"}.
import puppeteer from 'puppeteer-core'
import Provider from 'oidc-provider'
import { servePage } from './page_server.mjs'

const [api, pagePort, idpPort] = process.argv.slice(2)
const check = (name, ok, got) => console.log(JSON.stringify({ name, ok: !!ok, got: got ?? null }))

const provider = new Provider(`http://127.0.0.1:${idpPort}`, {
  clients: [{
    client_id: 'authoob', client_secret: 'authoob-secret', redirect_uris: [api + '/callback'],
    grant_types: ['authorization_code'], response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic'
  }],
  // whoever logs in as NAME is NAME@example.com, verified by the provider
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: `${id}@example.com`, email_verified: true })
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // the address in the ID token, as Google's are
  conformIdTokenClaims: false,
  cookies: { keys: ['a test key, not a secret'] },
  ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
  features: { devInteractions: { enabled: true } }
})
const idp = provider.listen(Number(idpPort), '127.0.0.1')
const server = await servePage(Number(pagePort))
const pageUrl = `http://127.0.0.1:${pagePort}/?api=${encodeURIComponent(api)}&flow=pkce`

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage']
})
try {
  const page = await browser.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(pageUrl)
  await page.waitForFunction('window.ready === true', { timeout: 20000 })
  const start = await page.evaluate(async (redirectTo) => {
    const { data, error } = await window.auth.signInWithOAuth({
      provider: 'oidc', options: { redirectTo, skipBrowserRedirect: true }
    })
    return { url: data?.url ?? null, error: error?.message ?? null }
  }, pageUrl)
  check('signInWithOAuth gives G/authorize with a code_challenge',
    start.url?.startsWith(api + '/authorize?provider=oidc') && start.url.includes('code_challenge='), start)

  // the browser goes: authoob, then the provider's login and consent pages
  await page.goto(start.url)
  const seen = []
  for (let i = 0; i < 4 && !page.url().startsWith(`http://127.0.0.1:${pagePort}/`); i++) {
    seen.push(page.url().replace(/\?.*/, ''))
    await page.waitForSelector('form button[type=submit]', { timeout: 20000 })
    if (await page.$('input[name=login]')) {
      await page.type('input[name=login]', 'alice')
      await page.type('input[name=password]', 'any password')
    }
    await Promise.all([page.waitForNavigation({ timeout: 20000 }), page.click('form button[type=submit]')])
  }
  check('the provider\'s login and consent pages, then back to the app', page.url().startsWith(`http://127.0.0.1:${pagePort}/`),
    { seen, at: page.url().replace(/code=[^&]+/, 'code=...') })
  const code = new URL(page.url()).searchParams.get('code')
  check('the app gets a one-time code, no error', code && !new URL(page.url()).searchParams.get('error'),
    page.url().replace(/code=[^&]+/, 'code=...'))

  await page.waitForFunction('window.ready === true', { timeout: 20000 })
  const signedIn = await page.evaluate(async (code) => {
    const { data, error } = await window.auth.exchangeCodeForSession(code)
    const user = await window.auth.getUser()
    const payload = data?.session?.access_token?.split('.')[1] ?? ''
    const claims = payload ? JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) : {}
    return { token: !!data?.session?.access_token, error: error?.message ?? null,
      email: user.data.user?.email ?? null, confirmed: !!user.data.user?.email_confirmed_at, amr: claims.amr ?? null }
  }, code)
  check('exchangeCodeForSession, then getUser: the provider\'s user, confirmed',
    signedIn.token && !signedIn.error && signedIn.email === 'alice@example.com' && signedIn.confirmed, signedIn)
  check('the session\'s amr says oauth, at the provider',
    signedIn.amr?.length === 1 && signedIn.amr[0].method === 'oauth' && signedIn.amr[0].provider === 'oidc', signedIn.amr)
  check('no error in the page', errors.length === 0, errors)
} finally {
  await browser.close()
  server.close()
  idp.close()
}
