// Drives authoob's Supabase Auth routes with the real @supabase/auth-js
// (t/019_gotrue_authjs.pl): node authjs_flow.mjs STEP URL JSON-ARGS.
// Prints one JSON line per check: {"name", "ok", "got"}.
import fs from 'node:fs'
import { webcrypto } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { GoTrueAdminApi, GoTrueClient, isAuthApiError, isAuthSessionMissingError, isAuthWeakPasswordError } from '@supabase/auth-js'

// auth-js looks for WebCrypto at globalThis.crypto (PKCE's S256, getClaims'
// signature check), built in from Node 20; Debian 12's Node 18 has it in
// node:crypto only, and without it auth-js quietly falls back to plain
// PKCE and to asking the server.
globalThis.crypto ??= webcrypto

const [step, url, rawArgs] = process.argv.slice(2)
const args = JSON.parse(rawArgs ?? '{}')

function check(name, ok, got) {
  console.log(JSON.stringify({ name, ok: !!ok, got: got ?? null }))
}

function memoryStorage() {
  const items = new Map()
  return {
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  }
}

// a storage kept in a file, for a flow over several steps (PKCE's verifier)
function fileStorage(file) {
  const load = () => JSON.parse((fs.existsSync(file) && fs.readFileSync(file, 'utf8')) || '{}')
  const save = (items) => fs.writeFileSync(file, JSON.stringify(items))
  return {
    getItem: (k) => load()[k] ?? null,
    setItem: (k, v) => save({ ...load(), [k]: v }),
    removeItem: (k) => { const items = load(); delete items[k]; save(items) },
  }
}

function client(key, options = {}) {
  return new GoTrueClient({
    url,
    headers: { apikey: 'anon-key' },
    storageKey: key ?? 'sb-test',
    storage: options.storage ?? memoryStorage(),
    flowType: options.flowType ?? 'implicit',
    autoRefreshToken: false,
    persistSession: true,
    detectSessionInUrl: false,
  })
}

const errInfo = (e) => (e ? { name: e.name, status: e.status, code: e.code, message: e.message } : null)
// the code an authenticator app shows, computed by Debian's oathtool from
// the secret the enrolment showed, never by authoob
const totp = (secret, when) => execFileSync('oathtool',
  ['--totp', '-b', ...(when ? ['--now', when] : []), secret], { encoding: 'utf8' }).trim()
const { email, password } = args

if (step === 'confirm_off') {
  const c = client()
  const events = []
  c.onAuthStateChange((event) => events.push(event))
  await new Promise((r) => setTimeout(r, 50))
  let r = await c.signUp({ email, password, options: { data: { firstname: 'Ada' } } })
  check('signUp without confirmation: a session', !r.error && r.data.session?.access_token, errInfo(r.error))
  check('signUp: the user object', r.data.user?.email === email && r.data.user?.aud === 'authenticated' &&
    r.data.user?.app_metadata?.provider === 'email' && r.data.user?.user_metadata?.firstname === 'Ada' &&
    r.data.user?.confirmed_at && r.data.user?.email_confirmed_at === r.data.user?.confirmed_at &&
    r.data.user?.last_sign_in_at, r.data.user)
  const userId = r.data.user?.id
  r = await c.signUp({ email, password })
  check('signUp again: user_already_exists', r.error?.code === 'user_already_exists', errInfo(r.error))
  r = await c.signUp({ email: 'weak-' + email, password: 'short' })
  check('signUp with a weak password: AuthWeakPasswordError weak_password',
    r.error?.name === 'AuthWeakPasswordError' && r.error?.code === 'weak_password', errInfo(r.error))
  r = await c.signInWithPassword({ email, password: password + 'wrong' })
  check('signInWithPassword wrong password: invalid_credentials', r.error?.code === 'invalid_credentials', errInfo(r.error))
  r = await c.signInWithPassword({ email: 'nobody-' + email, password })
  check('signInWithPassword unknown email: invalid_credentials', r.error?.code === 'invalid_credentials', errInfo(r.error))
  r = await c.signInWithPassword({ email, password })
  check('signInWithPassword right: a session', !r.error && r.data.session?.refresh_token && r.data.user?.id === userId, errInfo(r.error))
  const first = r.data.session
  r = await c.getUser()
  check('getUser', !r.error && r.data.user?.id === userId && r.data.user?.email === email, errInfo(r.error))
  r = await c.getSession()
  check('getSession: the stored session', r.data.session?.access_token === first.access_token, null)
  r = await c.updateUser({ data: { lastname: 'Lovelace' } })
  check('updateUser data: user_metadata', !r.error && r.data.user?.user_metadata?.lastname === 'Lovelace' &&
    r.data.user?.user_metadata?.firstname === 'Ada', errInfo(r.error) ?? r.data.user?.user_metadata)
  r = await c.refreshSession()
  check('refreshSession: rotated', !r.error && r.data.session?.refresh_token &&
    r.data.session.refresh_token !== first.refresh_token, errInfo(r.error))
  r = await c.getUser()
  check('getUser with the refreshed token', !r.error && r.data.user?.id === userId, errInfo(r.error))
  r = await c.getClaims()
  check('getClaims: verified through the JWKS', !r.error && r.data?.claims?.sub === userId &&
    r.data?.header?.alg === 'ES256', errInfo(r.error) ?? r.data?.header)
  // the old refresh token again, from another client: the session ends
  const thief = client('sb-thief')
  r = await thief.refreshSession({ refresh_token: first.refresh_token })
  check('reused refresh token: refresh_token_already_used', r.error?.code === 'refresh_token_already_used', errInfo(r.error))
  r = await c.getUser()
  check('and the session is over: getUser refused', r.error && r.data.user === null, errInfo(r.error))
  await new Promise((res) => setTimeout(res, 50))
  check('onAuthStateChange saw the events in order',
    JSON.stringify(events) === JSON.stringify(['INITIAL_SESSION', 'SIGNED_IN', 'SIGNED_IN', 'USER_UPDATED', 'TOKEN_REFRESHED', 'SIGNED_OUT']),
    events)
  // sign-out scopes, with three clients of the user
  const [a, b, d] = [client('a'), client('b'), client('d')]
  for (const x of [a, b, d]) await x.signInWithPassword({ email, password })
  r = await a.signOut({ scope: 'others' })
  check('signOut others: no error', !r.error, errInfo(r.error))
  check('signOut others: this session still works', !(await a.getUser()).error, null)
  check('signOut others: the others are over', (await b.getUser()).error && (await d.getUser()).error, null)
  await b.signInWithPassword({ email, password })
  r = await a.signOut({ scope: 'local' })
  check('signOut local: no error, no session kept', !r.error && (await a.getSession()).data.session === null, errInfo(r.error))
  check('signOut local: another session still works', !(await b.getUser()).error, null)
  await d.signInWithPassword({ email, password })
  r = await b.signOut()
  check('signOut (global): every session over', !r.error && (await d.getUser()).error, errInfo(r.error))
  // one user's token acts on that user only
  const other = client('other')
  r = await other.signUp({ email: 'other-' + email, password })
  const mine = client('mine')
  await mine.signInWithPassword({ email, password })
  await mine.updateUser({ data: { firstname: 'Grace' } })
  r = await other.getUser()
  check("a user's token changes that user only", r.data.user?.user_metadata?.firstname === undefined &&
    (await mine.getUser()).data.user?.user_metadata?.firstname === 'Grace', r.data.user?.user_metadata)
} else if (step === 'identity') {
  // jwt_sub 'uuid': the user's id is a uuid, everywhere auth-js sees it;
  // user_metadata is the app's own JSON, merged as Supabase Auth merges it
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  const sub = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sub
  // an object's members, whatever their order
  const members = (o) => JSON.stringify(Object.entries(o ?? {}).sort())
  const c = client()
  let r = await c.signUp({ email, password, options: { data: { nick: 'ada', avatar_url: 'https://img.test/a.png' } } })
  const user = r.data.user
  check('signUp: the id is a uuid, and the token\'s sub', !r.error && uuid.test(user?.id) &&
    sub(r.data.session.access_token) === user.id, errInfo(r.error) ?? user)
  check('signUp: data kept as user_metadata', user?.user_metadata?.nick === 'ada' &&
    user?.user_metadata?.avatar_url === 'https://img.test/a.png', user?.user_metadata)
  check('signUp without confirmation: confirmed, signed in, its identity verified',
    user?.confirmed_at && user?.email_confirmed_at === user?.confirmed_at && user?.last_sign_in_at &&
    user?.identities?.[0]?.identity_data?.email_verified === true && user?.identities?.[0]?.user_id === user?.id &&
    user?.identities?.[0]?.identity_data?.sub === user?.id, user)
  r = await c.getUser()
  check('getUser: the same uuid', r.data.user?.id === user?.id, errInfo(r.error) ?? r.data.user?.id)
  r = await c.updateUser({ data: { nick: 'countess', theme: 'dark' } })
  check('updateUser({data}): a key changed, one added, the others kept', !r.error &&
    members(r.data.user?.user_metadata) === members({ avatar_url: 'https://img.test/a.png', nick: 'countess', theme: 'dark' }),
    errInfo(r.error) ?? r.data.user?.user_metadata)
  r = await c.updateUser({ data: { theme: null } })
  check('updateUser({data}): null removes a key', !r.error && !('theme' in (r.data.user?.user_metadata ?? { theme: 1 })) &&
    r.data.user?.user_metadata?.nick === 'countess', errInfo(r.error) ?? r.data.user?.user_metadata)
  r = await c.updateUser({ data: { blob: 'x'.repeat(20000) } })
  check('updateUser({data}) over 16 kB: refused', r.error && r.error.status === 400, errInfo(r.error))
  r = await c.getUser()
  check('getUser: the metadata as merged, nothing of the refused update',
    members(r.data.user?.user_metadata) === members({ avatar_url: 'https://img.test/a.png', nick: 'countess' }),
    r.data.user?.user_metadata)
  await new Promise((res) => setTimeout(res, 1100))
  const other = client('sb-other')
  r = await other.signInWithPassword({ email, password })
  check('signInWithPassword: the same uuid, a later last_sign_in_at', !r.error && r.data.user?.id === user?.id &&
    sub(r.data.session.access_token) === user?.id && Date.parse(r.data.user?.last_sign_in_at) > Date.parse(user?.last_sign_in_at),
    errInfo(r.error) ?? r.data.user)
  r = await other.getClaims()
  check('getClaims: sub is the uuid', !r.error && r.data?.claims?.sub === user?.id, errInfo(r.error))
} else if (step === 'confirm_on_signup') {
  const c = client()
  let r = await c.signUp({ email, password })
  check('signUp with confirmation: a user, no session', !r.error && r.data.session === null &&
    r.data.user?.email === email && !('email_confirmed_at' in r.data.user) && !('confirmed_at' in r.data.user) &&
    !('last_sign_in_at' in r.data.user), errInfo(r.error) ?? r.data)
  r = await c.signInWithPassword({ email, password })
  check('signInWithPassword unconfirmed: email_not_confirmed', r.error?.code === 'email_not_confirmed', errInfo(r.error))
} else if (step === 'confirm_on_verify') {
  const c = client()
  let r = await c.verifyOtp({ type: 'signup', token_hash: args.token })
  check('verifyOtp signup with the mailed token: a session', !r.error && r.data.session?.access_token &&
    r.data.user?.email_confirmed_at, errInfo(r.error))
  r = await c.verifyOtp({ type: 'signup', token_hash: args.token })
  check('the mailed token again: refused', r.error && r.error.status >= 400 && r.error.status < 500, errInfo(r.error))
  r = await c.signInWithPassword({ email, password })
  check('signInWithPassword once confirmed', !r.error && r.data.session, errInfo(r.error))
} else if (step === 'recover_ask') {
  const c = client()
  const r = await c.resetPasswordForEmail(email, { redirectTo: 'http://app.test/reset' })
  check('resetPasswordForEmail', !r.error, errInfo(r.error))
} else if (step === 'recover_verify') {
  const c = client()
  let r = await c.verifyOtp({ type: 'recovery', token_hash: args.token })
  check('verifyOtp recovery: a session', !r.error && r.data.session?.access_token, errInfo(r.error))
  r = await c.updateUser({ password: args.new_password })
  check('updateUser password', !r.error && r.data.user?.email === email, errInfo(r.error))
  r = await c.signInWithPassword({ email, password })
  check('the old password is refused', r.error?.code === 'invalid_credentials', errInfo(r.error))
  r = await c.signInWithPassword({ email, password: args.new_password })
  check('the new password signs in', !r.error && r.data.session, errInfo(r.error))
  r = await c.verifyOtp({ type: 'recovery', token_hash: args.token })
  check('the recovery token again: otp_expired', r.error?.code === 'otp_expired', errInfo(r.error))
} else if (step === 'code_verify') {
  const c = client()
  let r = await c.verifyOtp({ email, token: args.code, type: args.type })
  check(`verifyOtp ${args.type} with the mailed code: a session`, !r.error && r.data.session?.access_token &&
    r.data.user?.email === email && r.data.user?.email_confirmed_at, errInfo(r.error))
  r = await c.verifyOtp({ email, token: args.code, type: args.type })
  check('the code again: otp_expired, 403', r.error?.code === 'otp_expired' && r.error?.status === 403, errInfo(r.error))
} else if (step === 'code_wrong') {
  const c = client()
  const r = await c.verifyOtp({ email, token: args.code, type: args.type })
  check(`verifyOtp ${args.type} with a wrong code: GoTrue's 403 otp_expired`,
    r.error?.code === 'otp_expired' && r.error?.status === 403 && r.error?.message === 'Token has expired or is invalid',
    errInfo(r.error))
} else if (step === 'resend') {
  const c = client()
  const r = await c.resend({ type: 'signup', email })
  check(`resend signup to ${email}: no error, whoever it is`, !r.error, errInfo(r.error))
} else if (step === 'pkce_signup') {
  const c = client('sb-pkce', { flowType: 'pkce', storage: fileStorage(args.store) })
  const r = await c.signUp({ email, password, options: { emailRedirectTo: 'http://allowed.test/cb' } })
  check('PKCE signUp: a user, no session yet', !r.error && r.data.session === null && r.data.user?.email === email,
    errInfo(r.error))
} else if (step === 'pkce_exchange') {
  const c = client('sb-pkce', { flowType: 'pkce', storage: fileStorage(args.store) })
  let r = await c.exchangeCodeForSession(args.code)
  check('exchangeCodeForSession: the code and the kept verifier sign in',
    !r.error && r.data.session?.access_token && r.data.user?.email === email, errInfo(r.error))
  r = await c.getUser()
  check('getUser after the PKCE sign-in', !r.error && r.data.user?.email_confirmed_at, errInfo(r.error))
} else if (step === 'pkce_recover_ask') {
  const c = client('sb-pkce-r', { flowType: 'pkce', storage: fileStorage(args.store) })
  const r = await c.resetPasswordForEmail(email, { redirectTo: 'http://allowed.test/cb' })
  check('PKCE resetPasswordForEmail', !r.error, errInfo(r.error))
} else if (step === 'pkce_recover_exchange') {
  const c = client('sb-pkce-r', { flowType: 'pkce', storage: fileStorage(args.store) })
  let r = await c.exchangeCodeForSession(args.code)
  check('PKCE recovery: exchangeCodeForSession', !r.error && r.data.session?.access_token, errInfo(r.error))
  r = await c.updateUser({ password: args.new_password })
  check('PKCE recovery: updateUser password', !r.error, errInfo(r.error))
  r = await c.signInWithPassword({ email, password: args.new_password })
  check('PKCE recovery: the new password signs in', !r.error && r.data.session, errInfo(r.error))
} else if (step === 'admin') {
  // auth.admin.* as a server calls it: the service_role token as the bearer
  const admin = new GoTrueAdminApi({ url, headers: { apikey: args.service, Authorization: `Bearer ${args.service}` } })
  let r = await admin.createUser({ email, password, email_confirm: true,
    user_metadata: { nick: 'ada' }, app_metadata: { plan: 'pro' } })
  const user = r.data.user
  check('admin.createUser: confirmed, metadata kept, a uuid',
    !r.error && user?.email_confirmed_at && user.user_metadata.nick === 'ada' && user.app_metadata.plan === 'pro'
      && /^[0-9a-f-]{36}$/.test(user.id), r.error ? errInfo(r.error) : user)
  r = await admin.createUser({ email, password })
  check('admin.createUser again: 422 email_exists', r.error?.status === 422 && r.error.code === 'email_exists', errInfo(r.error))
  r = await admin.createUser({ email: `second-${email}` })
  check('admin.createUser without a password', !r.error && r.data.user?.email === `second-${email}`, errInfo(r.error))
  const c = client()
  r = await c.signInWithPassword({ email, password })
  check('the created user signs in', !r.error && r.data.session, errInfo(r.error))
  const userToken = r.data.session?.access_token
  // (auth-js reads one digit of a page number: fewer than 10 pages here)
  r = await admin.listUsers({ page: 1, perPage: 2 })
  check('admin.listUsers: a page, total, nextPage and lastPage from the headers',
    !r.error && r.data.users.length === 2 && r.data.total >= 3 && r.data.nextPage === 2
      && r.data.lastPage === Math.ceil(r.data.total / 2) && r.data.aud === 'authenticated',
    r.error ? errInfo(r.error) : { ...r.data, users: r.data.users.length })
  r = await admin.listUsers()
  check('admin.listUsers: every user, newest first', !r.error && r.data.users.some((u) => u.id === user.id)
    && r.data.users[0].email === `second-${email}`, errInfo(r.error))
  r = await admin.getUserById(user.id)
  check('admin.getUserById', !r.error && r.data.user.email === email, errInfo(r.error))
  r = await admin.getUserById('0b0b0b0b-0000-4000-8000-00000000ffff')
  check('admin.getUserById of nobody: 404 user_not_found', r.error?.status === 404 && r.error.code === 'user_not_found', errInfo(r.error))
  r = await admin.updateUserById(user.id, { user_metadata: { theme: 'dark' }, ban_duration: '1h' })
  check('admin.updateUserById: metadata merged, banned',
    !r.error && r.data.user.user_metadata.nick === 'ada' && r.data.user.user_metadata.theme === 'dark'
      && r.data.user.banned_until, r.error ? errInfo(r.error) : r.data.user)
  r = await c.signInWithPassword({ email, password })
  check('a banned user cannot sign in: 400 user_banned', r.error?.status === 400 && r.error.code === 'user_banned', errInfo(r.error))
  r = await c.getUser(userToken)
  check('and their tokens are ended', r.error && !r.data.user, errInfo(r.error))
  r = await admin.updateUserById(user.id, { ban_duration: 'none', password: args.new_password })
  check('admin.updateUserById: unbanned, a new password', !r.error && !r.data.user.banned_until, errInfo(r.error))
  r = await c.signInWithPassword({ email, password: args.new_password })
  check('the user signs in again with it', !r.error && r.data.session, errInfo(r.error))
  r = await admin.signOut(r.data.session.access_token, 'global')
  check('admin.signOut(jwt)', !r.error, errInfo(r.error))
  r = await c.getUser()
  check('the signed-out token is refused', r.error, errInfo(r.error))
  // a user's token is no admin's
  const forged = new GoTrueAdminApi({ url, headers: { Authorization: `Bearer ${userToken}` } })
  r = await forged.listUsers()
  check("a user's token on admin routes: 403", r.error?.status === 403, errInfo(r.error))
  r = await admin.deleteUser(user.id)
  check('admin.deleteUser', !r.error, errInfo(r.error))
  r = await admin.getUserById(user.id)
  check('the deleted user is gone', r.error?.status === 404, errInfo(r.error))
} else if (step === 'admin_mfa') {
  // auth.admin.mfa.*: a user's factors listed and one deleted by the
  // service_role token; the user's session lives on, at aal1
  const admin = new GoTrueAdminApi({ url, headers: { apikey: args.service, Authorization: `Bearer ${args.service}` } })
  const c = client('sb-admin-mfa')
  let r = await c.signUp({ email, password })
  check('admin.mfa: the user signs up', !r.error && r.data.session, errInfo(r.error))
  const userId = r.data.user?.id
  const userToken = r.data.session?.access_token
  const factor = (await c.mfa.enroll({ factorType: 'totp', friendlyName: 'laptop' })).data
  r = await c.mfa.challengeAndVerify({ factorId: factor?.id, code: totp(factor?.totp?.secret) })
  check('the user verifies a factor: aal2', !r.error && (await c.mfa.getAuthenticatorAssuranceLevel()).data?.currentLevel === 'aal2',
    errInfo(r.error))
  r = await admin.mfa.listFactors({ userId })
  check('admin.mfa.listFactors: the verified factor, no secret', !r.error && r.data?.factors?.length === 1 &&
    r.data.factors[0].id === factor.id && r.data.factors[0].status === 'verified' &&
    r.data.factors[0].friendly_name === 'laptop' && !('secret' in r.data.factors[0]), errInfo(r.error) ?? r.data)
  r = await admin.mfa.deleteFactor({ userId, id: args.other_factor })
  check("admin.mfa.deleteFactor of another user's factor: 404 mfa_factor_not_found",
    r.error?.status === 404 && r.error.code === 'mfa_factor_not_found', errInfo(r.error))
  r = await admin.mfa.listFactors({ userId: '0b0b0b0b-0000-4000-8000-00000000ffff' })
  check('admin.mfa.listFactors of nobody: 404 user_not_found', r.error?.status === 404 && r.error.code === 'user_not_found',
    errInfo(r.error))
  const forged = new GoTrueAdminApi({ url, headers: { Authorization: `Bearer ${userToken}` } })
  r = await forged.mfa.deleteFactor({ userId, id: factor.id })
  check("the user's own token on admin.mfa.deleteFactor: 403 not_admin", r.error?.status === 403 &&
    r.error.code === 'not_admin', errInfo(r.error))
  // (auth-js 2.109 hands the answer on as data.data)
  r = await admin.mfa.deleteFactor({ userId, id: factor.id })
  check('admin.mfa.deleteFactor: the factor it deleted', !r.error && r.data?.data?.id === factor.id &&
    r.data.data.factor_type === 'totp', errInfo(r.error) ?? r.data)
  r = await admin.mfa.listFactors({ userId })
  check('admin.mfa.listFactors: none left', !r.error && r.data?.factors?.length === 0, errInfo(r.error) ?? r.data)
  r = await c.refreshSession()
  check('the user\'s session lives on', !r.error && r.data.session, errInfo(r.error))
  const aal = await c.mfa.getAuthenticatorAssuranceLevel()
  check('at aal1, with no factor left', aal.data?.currentLevel === 'aal1' && aal.data?.nextLevel === 'aal1', aal.data)
} else if (step === 'errors') {
  // what auth-js surfaces of each error, as GoTrue's source words it
  const c = client()
  const same = (e, status, code, message) => isAuthApiError(e) && e.status === status && e.code === code &&
    (message instanceof RegExp ? message.test(e.message) : e.message === message)
  let r = await c.signUp({ email, password })
  check('signUp: a session', !r.error && r.data.session, errInfo(r.error))
  r = await c.signUp({ email, password })
  check('signUp, a known address: 422 user_already_exists', same(r.error, 422, 'user_already_exists',
    'User already registered'), errInfo(r.error))
  r = await c.signUp({ email: 'weak-' + email, password: 'short' })
  check('signUp, a weak password: 422 AuthWeakPasswordError with its reasons',
    isAuthWeakPasswordError(r.error) && r.error.status === 422 && r.error.code === 'weak_password' &&
    r.error.message === 'Password should be at least 8 characters. ' +
      'Password should contain at least one character of each: ABCDEFGHIJKLMNOPQRSTUVWXYZ, 0123456789.' &&
    JSON.stringify(r.error.reasons) === '["length","characters"]', { ...errInfo(r.error), reasons: r.error?.reasons })
  r = await c.signUp({ email: 'not an address', password })
  check('signUp, a bad address: 400 validation_failed', same(r.error, 400, 'validation_failed',
    'Unable to validate email address: invalid format'), errInfo(r.error))
  for (const [what, other] of [['wrong password', { email, password: password + 'x' }],
    ['unknown address', { email: 'nobody-' + email, password }]]) {
    r = await c.signInWithPassword(other)
    check(`signInWithPassword, ${what}: 400 invalid_credentials`, same(r.error, 400, 'invalid_credentials',
      'Invalid login credentials'), errInfo(r.error))
  }
  r = await c.refreshSession({ refresh_token: 'A'.repeat(43) })
  check('refreshSession, an unknown refresh token: 400 refresh_token_not_found', same(r.error, 400,
    'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'), errInfo(r.error))
  const signedIn = await c.signInWithPassword({ email, password })
  const [head, body] = signedIn.data.session.access_token.split('.')
  r = await c.getUser(`${head}.${body}.${'A'.repeat(86)}`)
  check('getUser, a bad signature: 403 bad_jwt, not "Auth session missing!"', same(r.error, 403, 'bad_jwt',
    /^invalid JWT: unable to parse or verify signature, /) && !isAuthSessionMissingError(r.error), errInfo(r.error))
  r = await c.getUser('not-a-token')
  check('getUser, a malformed token: 403 bad_jwt', same(r.error, 403, 'bad_jwt',
    /^invalid JWT: unable to parse or verify signature, /), errInfo(r.error))
  check('and the session is kept', (await c.getSession()).data.session?.access_token === signedIn.data.session.access_token, null)
  r = await c.verifyOtp({ type: 'signup', token_hash: 'A'.repeat(43) })
  check('verifyOtp, a wrong token: 403 otp_expired', same(r.error, 403, 'otp_expired',
    'Email link is invalid or has expired'), errInfo(r.error))
  r = await c.signInWithOtp({ phone: '+33600000000' })
  check('signInWithOtp by phone: 400 as GoTrue with phone sign-in off', same(r.error, 400, 'phone_provider_disabled',
    'Phone logins are disabled'), errInfo(r.error))
  r = await c.signInAnonymously()
  check('signInAnonymously: 422 anonymous_provider_disabled', same(r.error, 422, 'anonymous_provider_disabled',
    'Anonymous sign-ins are disabled'), errInfo(r.error))
  r = await c.signInWithSSO({ domain: 'example.com' })
  check('signInWithSSO: 404 saml_provider_disabled', same(r.error, 404, 'saml_provider_disabled',
    'SAML 2.0 is disabled'), errInfo(r.error))
  r = await c.admin.listUsers()
  check('admin.listUsers without a service key: 401 no_authorization', same(r.error, 401, 'no_authorization',
    'This endpoint requires a valid Bearer token'), errInfo(r.error))
} else if (step === 'signup_disabled') {
  const c = client()
  const r = await c.signUp({ email, password })
  check('signUp with disable_signup: 422 signup_disabled', isAuthApiError(r.error) && r.error.status === 422 &&
    r.error.code === 'signup_disabled' && r.error.message === 'Signups not allowed for this instance', errInfo(r.error))
} else if (step === 'mfa') {
  const methods = (aal) => (aal.data?.currentAuthenticationMethods ?? []).map((m) => m.method).join(',')
  const c = client('sb-mfa')
  let r = await c.signUp({ email, password })
  check('mfa: signUp', !r.error && r.data.session, errInfo(r.error))
  let aal = await c.mfa.getAuthenticatorAssuranceLevel()
  check('getAuthenticatorAssuranceLevel before: aal1, no next level',
    aal.data?.currentLevel === 'aal1' && aal.data?.nextLevel === 'aal1' && methods(aal) === 'password', aal.data)
  const enrolled = await c.mfa.enroll({ factorType: 'totp', friendlyName: 'phone', issuer: 'authoob-test' })
  const factor = enrolled.data
  check('mfa.enroll: a TOTP factor, its secret, URI and QR code', !enrolled.error && factor?.type === 'totp' &&
    /^[A-Z2-7]{32}$/.test(factor?.totp?.secret) &&
    factor?.totp?.uri === `otpauth://totp/authoob-test:${encodeURIComponent(email).replace('%40', '@')}?algorithm=SHA1&digits=6&issuer=authoob-test&period=30&secret=${factor?.totp?.secret}` &&
    factor?.totp?.qr_code?.startsWith('data:image/svg+xml;utf-8,<svg'), errInfo(enrolled.error) ?? factor)
  let list = await c.mfa.listFactors()
  check('listFactors: one factor, not yet verified', list.data?.all?.length === 1 &&
    list.data.all[0].status === 'unverified' && list.data.totp.length === 0, list.data)
  r = await c.mfa.challengeAndVerify({ factorId: factor.id, code: totp(factor.totp.secret, '90 seconds ago') })
  check('challengeAndVerify with a stale code: mfa_verification_failed', r.error?.code === 'mfa_verification_failed' &&
    r.error?.status === 422, errInfo(r.error))
  const code = totp(factor.totp.secret)
  const challenge = await c.mfa.challenge({ factorId: factor.id })
  check('mfa.challenge: an id and its expiry', !challenge.error && challenge.data?.type === 'totp' &&
    challenge.data?.expires_at > Date.now() / 1000, errInfo(challenge.error) ?? challenge.data)
  r = await c.mfa.verify({ factorId: factor.id, challengeId: challenge.data.id, code })
  check('mfa.verify with oathtool\'s code: a new session', !r.error && r.data?.access_token && r.data?.refresh_token,
    errInfo(r.error))
  aal = await c.mfa.getAuthenticatorAssuranceLevel()
  check('getAuthenticatorAssuranceLevel after: aal2, totp then password',
    aal.data?.currentLevel === 'aal2' && aal.data?.nextLevel === 'aal2' && methods(aal) === 'totp,password', aal.data)
  r = await c.mfa.verify({ factorId: factor.id, challengeId: challenge.data.id, code })
  check('the same challenge again: refused', r.error?.status === 422, errInfo(r.error))
  r = await c.mfa.challengeAndVerify({ factorId: factor.id, code })
  check('the same code in a new challenge: mfa_verification_failed (no replay)',
    r.error?.code === 'mfa_verification_failed', errInfo(r.error))
  list = await c.mfa.listFactors()
  check('listFactors: verified', list.data?.totp?.length === 1 && list.data.totp[0].id === factor.id, list.data)
  r = await c.getUser()
  check('getUser: the factor in the user object, no secret', r.data?.user?.factors?.length === 1 &&
    r.data.user.factors[0].friendly_name === 'phone' && !('secret' in r.data.user.factors[0]), r.data?.user?.factors)

  // the password alone: an aal1 session that knows a factor is there
  const thief = client('sb-mfa-thief')
  r = await thief.signInWithPassword({ email, password })
  check('signInWithPassword: a session', !r.error, errInfo(r.error))
  const thiefToken = r.data.session?.access_token
  aal = await thief.mfa.getAuthenticatorAssuranceLevel()
  check('with the password alone: aal1, next level aal2', aal.data?.currentLevel === 'aal1' &&
    aal.data?.nextLevel === 'aal2', aal.data)
  r = await thief.updateUser({ password: password + 'x' })
  check('aal1: updateUser password refused, insufficient_aal', r.error?.code === 'insufficient_aal', errInfo(r.error))
  r = await thief.mfa.unenroll({ factorId: factor.id })
  check('aal1: unenroll refused, insufficient_aal', r.error?.code === 'insufficient_aal', errInfo(r.error))
  r = await thief.mfa.enroll({ factorType: 'totp', friendlyName: 'thief' })
  check('aal1: enroll refused, insufficient_aal', r.error?.code === 'insufficient_aal', errInfo(r.error))
  r = await thief.mfa.challengeAndVerify({ factorId: factor.id, code: '000000' })
  check('aal1: a guessed code refused', r.error?.code === 'mfa_verification_failed', errInfo(r.error))
  if (args.other_factor) {
    r = await c.mfa.challenge({ factorId: args.other_factor })
    check('another user\'s factor: mfa_factor_not_found', r.error?.code === 'mfa_factor_not_found' &&
      r.error?.status === 404, errInfo(r.error))
  }

  r = await c.mfa.unenroll({ factorId: factor.id })
  check('aal2: mfa.unenroll', !r.error && r.data?.id === factor.id, errInfo(r.error))
  r = await thief.getUser(thiefToken)
  // (auth-js reads session_not_found as AuthSessionMissingError)
  check('unenroll ended the user\'s other sessions', thiefToken && !r.data?.user &&
    r.error?.name === 'AuthSessionMissingError', errInfo(r.error))
  list = await c.mfa.listFactors()
  check('listFactors: none left', list.data?.all?.length === 0, list.data)
} else if (step === 'otp_ask') {
  const pkce = !!args.store
  const c = client('sb-otp', pkce ? { flowType: 'pkce', storage: fileStorage(args.store) } : {})
  const r = await c.signInWithOtp({ email, options: { emailRedirectTo: 'http://allowed.test/cb',
    shouldCreateUser: args.create ?? true } })
  check(`signInWithOtp${pkce ? ' (PKCE)' : ''} to ${email}: no error, no session yet, whoever it is`,
    !r.error && !r.data.session, errInfo(r.error))
} else if (step === 'otp_verify') {
  const c = client()
  const params = args.code ? { email, token: args.code, type: args.type } : { token_hash: args.token_hash, type: args.type }
  let r = await c.verifyOtp(params)
  const claims = r.data.session ? JSON.parse(Buffer.from(r.data.session.access_token.split('.')[1], 'base64url')) : {}
  check(`verifyOtp ${args.type} by ${args.code ? 'code' : 'token_hash'}: a session of ${email}, amr otp`,
    !r.error && r.data.user?.email === email && claims.amr?.[0]?.method === 'otp', errInfo(r.error) ?? claims.amr)
  r = await c.getUser()
  check('getUser in it: the address confirmed', !r.error && r.data.user?.email_confirmed_at, errInfo(r.error))
  r = await c.verifyOtp(params)
  check('the same again: otp_expired, 403', r.error?.code === 'otp_expired' && r.error?.status === 403, errInfo(r.error))
} else if (step === 'otp_exchange') {
  const c = client('sb-otp', { flowType: 'pkce', storage: fileStorage(args.store) })
  const r = await c.exchangeCodeForSession(args.code)
  const claims = r.data.session ? JSON.parse(Buffer.from(r.data.session.access_token.split('.')[1], 'base64url')) : {}
  check('magic link, PKCE: exchangeCodeForSession signs in, amr magiclink',
    !r.error && r.data.user?.email === email && claims.amr?.[0]?.method === 'magiclink', errInfo(r.error) ?? claims.amr)
} else if (step === 'email_change_ask') {
  const c = client()
  let r = await c.signInWithPassword({ email, password })
  check('signed in to change the address', !r.error, errInfo(r.error))
  r = await c.updateUser({ email: args.new_email })
  check('updateUser({email}): the user, its address unchanged until confirmed',
    !r.error && r.data.user?.email === email, errInfo(r.error) ?? r.data.user?.email)
  r = await c.resend({ type: 'email_change', email })
  check('resend email_change: no error', !r.error, errInfo(r.error))
} else if (step === 'email_change_verify') {
  const c = client()
  let r = await c.verifyOtp({ email: args.new_email, token: args.code, type: 'email_change' })
  check('verifyOtp email_change with the new address and its code: a session of the new address',
    !r.error && r.data.user?.email === args.new_email, errInfo(r.error))
  r = await c.signInWithPassword({ email: args.new_email, password })
  check('the new address signs in', !r.error && r.data.session, errInfo(r.error))
  r = await c.signInWithPassword({ email, password })
  check('the old one no longer', r.error?.code === 'invalid_credentials', errInfo(r.error))
} else if (step === 'anonymous') {
  const c = client('sb-anon')
  let r = await c.signInAnonymously({ options: { data: { theme: 'dark', is_anonymous: false } } })
  check('signInAnonymously: a session of a user without an address', !r.error && r.data.session?.refresh_token &&
    r.data.user?.is_anonymous === true && r.data.user?.email === '' && r.data.user?.identities?.length === 0 &&
    r.data.user?.user_metadata?.theme === 'dark', r.error ? errInfo(r.error) : r.data.user)
  const claims = (await c.getClaims())?.data?.claims
  check('its token: is_anonymous true, amr anonymous, no email (data cannot say otherwise)',
    claims?.is_anonymous === true && claims?.amr?.[0]?.method === 'anonymous' && claims?.email === '', claims)
  r = await c.refreshSession()
  check('refreshSession: still anonymous', !r.error && r.data.user?.is_anonymous === true &&
    r.data.session?.access_token !== undefined, errInfo(r.error))
  r = await c.updateUser({ data: { theme: 'light' } })
  check('updateUser({data})', !r.error && r.data.user?.user_metadata?.theme === 'light', errInfo(r.error))
  r = await c.updateUser({ password: args.password })
  check('updateUser({password}) without an address: 422 validation_failed', r.error?.code === 'validation_failed' &&
    r.error?.status === 422, errInfo(r.error))
  r = await c.getUser()
  check('getUser: is_anonymous', r.data?.user?.is_anonymous === true, errInfo(r.error))
  r = await c.signOut()
  check('signOut', !r.error, errInfo(r.error))
} else if (step === 'anonymous_upgrade_ask') {
  // an anonymous user made permanent: an address asked for here, its mailed
  // code verified and a password set in anonymous_upgrade_finish
  const c = client('sb-upgrade', { storage: fileStorage(args.store) })
  let r = await c.signInAnonymously()
  check('signInAnonymously: a user to make permanent', !r.error && r.data.user?.is_anonymous === true,
    errInfo(r.error))
  r = await c.updateUser({ email: args.new_email })
  check('updateUser({email}) of the anonymous user: no address until confirmed',
    !r.error && !r.data.user?.email, errInfo(r.error) ?? r.data.user)
} else if (step === 'anonymous_upgrade_finish') {
  const c = client('sb-upgrade', { storage: fileStorage(args.store) })
  let r = await c.verifyOtp({ email: args.new_email, token: args.code, type: 'email_change' })
  check('verifyOtp email_change with the mailed code: a session of the address, not anonymous',
    !r.error && r.data.user?.email === args.new_email && r.data.user?.is_anonymous === false,
    r.error ? errInfo(r.error) : r.data.user)
  let claims = (await c.getClaims())?.data?.claims
  check('its token: is_anonymous false', claims?.is_anonymous === false && claims?.email === args.new_email, claims)
  r = await c.updateUser({ password: args.password })
  check('updateUser({password}) in that session', !r.error, errInfo(r.error))
  const fresh = client('sb-upgrade-new')
  r = await fresh.signInWithPassword({ email: args.new_email, password: args.password })
  check('signInWithPassword with the address and the password', !r.error && r.data.session, errInfo(r.error))
  claims = (await fresh.getClaims())?.data?.claims
  check('the new tokens: is_anonymous false, amr password', claims?.is_anonymous === false &&
    claims?.amr?.[0]?.method === 'password', claims)
  r = await fresh.getUser()
  check('getUser: permanent and confirmed', r.data?.user?.is_anonymous === false && r.data?.user?.email_confirmed_at,
    r.error ? errInfo(r.error) : r.data?.user)
} else if (step === 'reauth_ask') {
  const c = client('sb-reauth', { storage: fileStorage(args.store) })
  let r = await c.signInWithPassword({ email, password })
  check('signInWithPassword: a session', !r.error, errInfo(r.error))
  r = await c.reauthenticate()
  check('reauthenticate(): the nonce mailed', !r.error, errInfo(r.error))
} else if (step === 'reauth_change') {
  // the session of reauth_ask, which the test made older than a day
  const c = client('sb-reauth', { storage: fileStorage(args.store) })
  let r = await c.updateUser({ password: args.new_password })
  check('updateUser({password}) without a nonce: reauthentication_needed', r.error?.code === 'reauthentication_needed' &&
    r.error?.status === 400, errInfo(r.error))
  r = await c.updateUser({ password: args.new_password, nonce: args.wrong_nonce })
  check('a wrong nonce: reauthentication_not_valid', r.error?.code === 'reauthentication_not_valid' &&
    r.error?.status === 422, errInfo(r.error))
  r = await c.updateUser({ password: args.new_password, nonce: args.nonce })
  check('updateUser({password, nonce}): changed', !r.error && r.data.user?.email === email, errInfo(r.error))
  r = await client('sb-reauth-new').signInWithPassword({ email, password: args.new_password })
  check('the new password signs in', !r.error && r.data.session, errInfo(r.error))
} else if (step === 'anonymous_off') {
  const r = await client().signInAnonymously()
  check('signInAnonymously with anonymous_signin off: 422 anonymous_provider_disabled',
    r.error?.code === 'anonymous_provider_disabled' && r.error?.status === 422, errInfo(r.error))
} else if (step === 'invite') {
  // auth.admin.inviteUserByEmail: an unconfirmed account, the data kept
  const admin = new GoTrueAdminApi({ url, headers: { apikey: args.service, Authorization: `Bearer ${args.service}` } })
  let r = await admin.inviteUserByEmail(email, { data: { team: 'blue' }, redirectTo: args.redirect })
  check('admin.inviteUserByEmail: the user, invited, not confirmed, data as user_metadata',
    !r.error && r.data.user?.email === email && r.data.user.invited_at && !r.data.user.email_confirmed_at &&
    r.data.user.user_metadata?.team === 'blue', errInfo(r.error) ?? r.data.user)
  r = await admin.inviteUserByEmail(email, { redirectTo: args.redirect })
  check('invited again while unconfirmed: the same user', !r.error && r.data.user?.email === email, errInfo(r.error))
  r = await admin.inviteUserByEmail(args.confirmed)
  check('inviting a confirmed address: 422 email_exists', r.error?.status === 422 && r.error.code === 'email_exists',
    errInfo(r.error))
  const user = new GoTrueAdminApi({ url, headers: { Authorization: `Bearer ${args.user_token}` } })
  r = await user.inviteUserByEmail('someone-' + email)
  check("a user's token may not invite: 403 not_admin", r.error?.status === 403 && r.error.code === 'not_admin', errInfo(r.error))
} else if (step === 'invite_accept') {
  // the invitation's link, followed as a browser does: signed in, the
  // address confirmed; the user then sets a password and signs in with it
  const followed = await fetch(args.url, { redirect: 'manual' })
  const location = followed.headers.get('location') ?? ''
  const fragment = new URLSearchParams(location.split('#')[1] ?? '')
  check('the link: 303 to the app, the session in the fragment, type invite', followed.status === 303 &&
    location.startsWith(args.redirect + '#') && fragment.get('type') === 'invite' && fragment.get('refresh_token'), location)
  const c = client()
  let r = await c.setSession({ access_token: fragment.get('access_token'), refresh_token: fragment.get('refresh_token') })
  check('setSession with it: the invited user, confirmed', !r.error && r.data.user?.email === email &&
    r.data.user.email_confirmed_at, errInfo(r.error))
  r = await c.updateUser({ password })
  check('updateUser: a password set', !r.error, errInfo(r.error))
  r = await client().signInWithPassword({ email, password })
  check('signInWithPassword with it', !r.error && r.data.session?.access_token, errInfo(r.error))
  // the link spent: back to the app with Supabase Auth's error, as auth-js reads it
  const again = await fetch(args.url, { redirect: 'manual' })
  const error = new URLSearchParams((again.headers.get('location') ?? '').split('#')[1] ?? '')
  check('the link again: 303 to the app, #error=access_denied&error_code=otp_expired', again.status === 303 &&
    error.get('error') === 'access_denied' && error.get('error_code') === 'otp_expired' &&
    error.get('error_description') === 'Email link is invalid or has expired', again.headers.get('location'))
} else if (step === 'generate_link') {
  // auth.admin.generateLink: the link and its code handed out, no mail
  const admin = new GoTrueAdminApi({ url, headers: { apikey: args.service, Authorization: `Bearer ${args.service}` } })
  let r = await admin.generateLink({ type: 'signup', email, password, options: { data: { nick: 'g' }, redirectTo: args.redirect } })
  const p = r.data?.properties
  check('admin.generateLink signup: the user and properties', !r.error && r.data.user?.email === email &&
    !r.data.user.email_confirmed_at && r.data.user.user_metadata?.nick === 'g' && p?.verification_type === 'signup' &&
    p.redirect_to === args.redirect && /^\d{6}$/.test(p.email_otp) && p.action_link.includes(`token=${p.hashed_token}&type=signup&`),
    errInfo(r.error) ?? r.data)
  const followed = await fetch(p.action_link, { redirect: 'manual' })
  const fragment = new URLSearchParams((followed.headers.get('location') ?? '').split('#')[1] ?? '')
  check('its action_link followed: 303, a session of the user', followed.status === 303 && fragment.get('access_token'),
    followed.headers.get('location'))
  const c = client()
  r = await c.setSession({ access_token: fragment.get('access_token'), refresh_token: fragment.get('refresh_token') })
  check('the address confirmed', !r.error && r.data.user?.email_confirmed_at, errInfo(r.error))
  r = await admin.generateLink({ type: 'recovery', email })
  check('admin.generateLink recovery', !r.error && r.data.properties?.verification_type === 'recovery', errInfo(r.error))
  r = await c.verifyOtp({ email, token: r.data.properties.email_otp, type: 'recovery' })
  check('verifyOtp with its email_otp: a session', !r.error && r.data.session?.access_token, errInfo(r.error))
  r = await admin.generateLink({ type: 'recovery', email: 'nobody-' + email })
  check('recovery of an unknown address: 404 user_not_found', r.error?.status === 404 && r.error.code === 'user_not_found',
    errInfo(r.error))
  r = await admin.generateLink({ type: 'invite', email })
  check('invite of a confirmed address: 422 email_exists', r.error?.code === 'email_exists', errInfo(r.error))
  r = await admin.generateLink({ type: 'magiclink', email })
  check('admin.generateLink magiclink', !r.error && r.data.properties?.verification_type === 'magiclink' &&
    /type=magiclink/.test(r.data.properties?.action_link), errInfo(r.error))
  r = await c.verifyOtp({ email, token: r.data.properties.email_otp, type: 'magiclink' })
  check('verifyOtp magiclink with its email_otp: a session', !r.error && r.data.session?.access_token, errInfo(r.error))
} else {
  console.error(`unknown step ${step}`)
  process.exit(2)
}
