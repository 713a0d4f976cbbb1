// A page on its own origin uses @supabase/auth-js against authoob in
// headless Chromium, driven by puppeteer-core (t/020_gotrue_chromium.pl):
// node chromium_flow.mjs API-URL PAGE-PORT EMAIL PASSWORD MAILDIR
// (MAILDIR: where scripts/mail_sink.py keeps the mails it receives.)
// Serves t/js/page and t/js/node_modules on 127.0.0.1:PAGE-PORT; prints one
// JSON line per check: {"name", "ok", "got"}.
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import puppeteer from 'puppeteer-core'
import { servePage } from './page_server.mjs'

const [api, pagePort, email, password, maildir] = process.argv.slice(2)

function check(name, ok, got) {
  console.log(JSON.stringify({ name, ok: !!ok, got: got ?? null }))
}

const server = await servePage(Number(pagePort))

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
})
try {
  const page = await browser.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  if (process.env.DEBUG_PAGE) {
    page.on('console', (m) => process.stderr.write(`page: ${m.text()}\n`))
    page.on('requestfailed', (q) => process.stderr.write(`page request failed: ${q.url()} ${q.failure()?.errorText}\n`))
  }
  const pageUrl = `http://127.0.0.1:${pagePort}/?api=${encodeURIComponent(api)}`
  const load = async () => {
    await page.goto(pageUrl)
    await page.waitForFunction('window.ready === true', { timeout: 20000 })
  }
  await load()
  const run = (fn, ...args) => page.evaluate(fn, ...args)

  let r = await run(async (email, password) => {
    const { data, error } = await window.auth.signUp({ email, password })
    return { session: !!data.session, email: data.user?.email, error: error?.message ?? null }
  }, email, password)
  check('in the page: signUp', r.session && r.email === email && !r.error, r)

  r = await run(async (email, password) => {
    await window.auth.signOut({ scope: 'local' })
    const { data, error } = await window.auth.signInWithPassword({ email, password })
    return { token: data.session?.access_token ?? null, error: error?.message ?? null,
      stored: localStorage.getItem('sb-authoob-auth-token') !== null }
  }, email, password)
  check('in the page: signInWithPassword, the session in localStorage', r.token && r.stored && !r.error, r)
  const signedIn = r.token

  await page.reload()
  await page.waitForFunction('window.ready === true', { timeout: 20000 })
  r = await run(async () => {
    const { data } = await window.auth.getSession()
    const user = await window.auth.getUser()
    return { token: data.session?.access_token ?? null, email: user.data.user?.email ?? null,
      error: user.error?.message ?? null }
  })
  check('after a reload: the session is kept, getUser works', r.token === signedIn && r.email === email, r)

  r = await run(async () => {
    const before = (await window.auth.getSession()).data.session
    const { data, error } = await window.auth.refreshSession()
    const user = await window.auth.getUser()
    return { rotated: !!data.session && data.session.refresh_token !== before.refresh_token,
      error: error?.message ?? user.error?.message ?? null }
  })
  check('refreshSession: a new refresh token that works', r.rotated && !r.error, r)

  r = await run(async () => {
    const { error } = await window.auth.signOut()
    return { error: error?.message ?? null, stored: localStorage.getItem('sb-authoob-auth-token'),
      session: (await window.auth.getSession()).data.session, events: window.events }
  })
  check('signOut: nothing left in localStorage', !r.error && r.stored === null && r.session === null, r)
  // auth-js announces the session it restored from localStorage as SIGNED_IN
  check('the events of the page since the reload',
    JSON.stringify(r.events) === JSON.stringify(['SIGNED_IN', 'INITIAL_SESSION', 'TOKEN_REFRESHED', 'SIGNED_OUT']), r.events)

  await page.reload()
  await page.waitForFunction('window.ready === true', { timeout: 20000 })
  r = await run(async () => (await window.auth.getSession()).data.session)
  check('after another reload: signed out', r === null, r)

  // a second factor from the page: enrol, show the QR code, verify a code
  // of the secret (computed outside, by oathtool, as the user's phone
  // would), the assurance level before and after, unenrol
  r = await run(async (email, password) => {
    await window.auth.signInWithPassword({ email, password })
    const before = (await window.auth.mfa.getAuthenticatorAssuranceLevel()).data
    const { data, error } = await window.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone' })
    const img = document.createElement('img')
    const loaded = new Promise((resolve) => { img.onload = () => resolve(true); img.onerror = () => resolve(false) })
    img.src = data?.totp?.qr_code
    document.body.append(img)
    return { before, id: data?.id, secret: data?.totp?.secret, error: error?.message ?? null,
      qr: (await loaded) && img.naturalWidth > 0 }
  }, email, password)
  check('in the page: mfa.enroll, its QR code an image the page shows', r.id && r.secret && r.qr &&
    r.before?.currentLevel === 'aal1' && !r.error, r)
  const code = execFileSync('oathtool', ['--totp', '-b', r.secret], { encoding: 'utf8' }).trim()
  r = await run(async (factorId, code) => {
    const { error } = await window.auth.mfa.challengeAndVerify({ factorId, code })
    const aal = (await window.auth.mfa.getAuthenticatorAssuranceLevel()).data
    const unenrolled = await window.auth.mfa.unenroll({ factorId })
    const left = (await window.auth.mfa.listFactors()).data?.all?.length
    const signedOut = await window.auth.signOut()
    return { error: error?.message ?? unenrolled.error?.message ?? signedOut.error?.message ?? null, aal, left }
  }, r.id, code)
  check('in the page: challengeAndVerify to aal2, then unenroll (CORS lets DELETE through)',
    !r.error && r.aal?.currentLevel === 'aal2' && r.left === 0, r)
  // a magic link from the page (PKCE): the real mail's link, followed in
  // the browser, leads back to the page with a code it exchanges
  r = await run(async (email, redirect) => {
    const otp = new window.GoTrueClient({ url: window.api, headers: { apikey: 'anon-key' }, storageKey: 'sb-otp',
      flowType: 'pkce', autoRefreshToken: false, persistSession: true, detectSessionInUrl: false })
    const { error } = await otp.signInWithOtp({ email, options: { emailRedirectTo: redirect, shouldCreateUser: false } })
    return { error: error?.message ?? null }
  }, email, pageUrl)
  check('in the page: signInWithOtp (PKCE)', !r.error, r)
  let link = null
  for (let i = 0; i < 300 && !link; i++) {
    for (const name of fs.readdirSync(maildir).filter((n) => n.endsWith('.json'))) {
      const mail = JSON.parse(fs.readFileSync(path.join(maildir, name), 'utf8'))
      const text = mail.parts.find((p) => p.content_type === 'text/plain')?.content ?? ''
      if (mail.rcpt_tos.includes(email)) link = text.match(/(http:\/\/\S+type=magiclink\S*)/)?.[1] ?? link
    }
    if (!link) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await page.goto(link)
  await page.waitForFunction('window.ready === true', { timeout: 20000 })
  r = await run(async (email) => {
    const otp = new window.GoTrueClient({ url: window.api, headers: { apikey: 'anon-key' }, storageKey: 'sb-otp',
      flowType: 'pkce', autoRefreshToken: false, persistSession: true, detectSessionInUrl: false })
    const code = new URLSearchParams(location.search).get('code')
    const { data, error } = await otp.exchangeCodeForSession(code)
    const amr = data.session ? JSON.parse(atob(data.session.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))).amr : null
    await otp.signOut()
    return { code: !!code, hash: location.hash, email: data.user?.email ?? null, amr, error: error?.message ?? null }
  }, email)
  check('the mailed link followed in the browser: back to the page with a code, exchanged for a session',
    r.code && !r.hash && r.email === email && r.amr?.[0]?.method === 'magiclink' && !r.error, { link, ...r })

  // an anonymous sign-in from the page (the test turned anonymous_signin
  // on): its claims say so, and it signs out
  r = await run(async () => {
    const { data, error } = await window.auth.signInAnonymously()
    const claims = (await window.auth.getClaims()).data?.claims
    const signedOut = await window.auth.signOut()
    return { error: error?.message ?? signedOut.error?.message ?? null, anonymous: data?.user?.is_anonymous,
      email: data?.user?.email, claim: claims?.is_anonymous, method: claims?.amr?.[0]?.method }
  })
  check('in the page: signInAnonymously, is_anonymous in the user and the token',
    !r.error && r.anonymous === true && r.email === '' && r.claim === true && r.method === 'anonymous', r)
  check('no error in the page', errors.length === 0, errors)
} finally {
  await browser.close()
  server.close()
}
