# target: the database side of the fuzzer.  setup_database() prepares a
# database like the tests do; a Target is one session that runs cases and
# judges each outcome: a refusal must be PT4xx and must have written
# nothing, a success must look like the function's contract, and the
# backend must never go away.
import hashlib
import hmac
import re
import time

import psycopg2
import psycopg2.extensions

from .gen import CUSTOM_FIELDS, POOL_PASSWORD, ROLE
from .markers import b64url, expand

CONFIGURATION = ('{"bcrypt_cost": 4, "app_url": "http://app.test", "api_url": "http://127.0.0.1",'
                 ' "email_sender": "no-reply@authoob.test", "reset_mail_interval": 0}')

# columns the fuzz database adds to authoob.users, and how they are registered
# (exposed, updatable, public): they take update_profile through the cast and
# constraint paths
CUSTOM_COLUMNS = {
    "fz_age": "integer CHECK (fz_age >= 0)", "fz_birthday": "date", "fz_nick": "varchar(12)",
    "fz_tags": "text[]", "fz_meta": "jsonb", "fz_score": "numeric(5,2)",
    "fz_flag": "boolean NOT NULL DEFAULT false", "fz_handle": "text UNIQUE",
}
assert set(CUSTOM_COLUMNS) == set(CUSTOM_FIELDS)

# which backend made a user or a mail: what a refused registration must not
# have made is then told apart from what the other workers made meanwhile
WRITER_COLUMN = "fz_writer integer DEFAULT pg_catalog.pg_backend_pid()"

# Every row written to a table of schema authoob counts, per backend, in
# authoob_fuzz.writes; a refused call must leave its backend's count as it
# was.  (Rolled-back writes roll their count back too.)  authoob.throttle is
# left out, and so are the audit log's records of failures (outcome
# failure): recording a failure there is what authoob_attempt is for.
WRITE_COUNTER = """
CREATE SCHEMA IF NOT EXISTS authoob_fuzz;
CREATE TABLE IF NOT EXISTS authoob_fuzz.writes (pid integer PRIMARY KEY, n bigint NOT NULL);
CREATE OR REPLACE FUNCTION authoob_fuzz.count_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO authoob_fuzz.writes AS w VALUES (pg_catalog.pg_backend_pid(), 1)
    ON CONFLICT (pid) DO UPDATE SET n = w.n + 1;
    RETURN NULL;
END
$$;
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'authoob' AND c.relkind = 'r' AND c.relname <> 'throttle' LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS zz_fuzz_count ON authoob.%I', t);
        IF t = 'audit_log' THEN
            EXECUTE 'CREATE TRIGGER zz_fuzz_count AFTER INSERT ON authoob.audit_log FOR EACH ROW'
                    ' WHEN (NEW.outcome IS DISTINCT FROM ''failure'')'
                    ' EXECUTE FUNCTION authoob_fuzz.count_write()';
        ELSE
            EXECUTE format('CREATE TRIGGER zz_fuzz_count AFTER INSERT OR UPDATE OR DELETE'
                           ' ON authoob.%I FOR EACH ROW EXECUTE FUNCTION authoob_fuzz.count_write()', t);
        END IF;
    END LOOP;
END
$$;
"""

PRIVATE_KEYS = {"id", "email", "username", "firstname", "lastname", "create_date",
                "update_date", "login_count"}
SECRET_KEYS = {"password", "secret_key", "token_hash"}

# errors of a jsonb literal's input: raised while the statement is parsed
# (they carry a statement position), before the function is ever called
CAST_SQLSTATES = {"22P02", "22P05", "22003", "54000", "54001", "22021", "2202E"}

ACTIVATION_LINK = re.compile(r"/activate/([A-Za-z0-9_-]+)")
RESET_LINK = re.compile(r"reset_password_token=([A-Za-z0-9_-]+)")


def setup_database(dsn):
    """The extension, configured as the tests do, plus what the fuzzer
    needs: a role, custom fields, the write counter.  Returns the setting
    keys and the authoob_* routines the installed version has."""
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET client_min_messages = warning")
        cur.execute("CREATE EXTENSION IF NOT EXISTS authoob CASCADE")
        cur.execute("SELECT authoob_configure(%s)", (CONFIGURATION,))
        cur.execute("SELECT 1 FROM authoob.roles WHERE name = %s", (ROLE,))
        if cur.rowcount == 0:
            cur.execute("SELECT authoob_create_role(%s)", (ROLE,))
        for name, definition in CUSTOM_COLUMNS.items():
            cur.execute("ALTER TABLE authoob.users ADD COLUMN IF NOT EXISTS %s %s" % (name, definition))
            public = name in ("fz_nick", "fz_tags")
            cur.execute("SELECT authoob_add_field(%s, exposed => true, updatable => true, public => %s)",
                        (name, public))
        for table in ("users", "mail_outbox"):
            cur.execute("ALTER TABLE authoob.%s ADD COLUMN IF NOT EXISTS %s" % (table, WRITER_COLUMN))
        cur.execute(WRITE_COUNTER)
        cur.execute("SELECT jsonb_object_keys(authoob_settings())")
        setting_keys = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT DISTINCT proname::text FROM pg_proc WHERE proname LIKE 'authoob%%'")
        available = {row[0] for row in cur.fetchall()}
    conn.close()
    return setting_keys, available


def quiet_log(conn):
    """Keep this session's expected errors (and their statements, some of
    10 MB) out of the server log; a crash is still logged by the server.
    Needs a superuser; for others the server logs as configured."""
    try:
        with conn.cursor() as cur:
            cur.execute("SET log_min_messages = fatal; SET log_min_error_statement = panic")
    except psycopg2.Error:
        pass


def sanitize(value):
    """What can travel as a PostgreSQL text: no NUL, valid UTF-8."""
    if value is None:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


class Failure(Exception):
    """A finding: reason (what kind), and the server's answer if any."""

    def __init__(self, reason, sqlstate="", message="", detail=""):
        super().__init__(reason)
        self.reason = reason
        self.sqlstate = sqlstate or ""
        self.message = message or ""
        self.detail = detail or ""


class Pool:
    """Live values for markers: this worker's pool users (one password),
    their session tokens, mailed tokens, and the signing key."""

    MAX_ITEMS = 40

    def __init__(self, target, worker):
        self.target = target
        self.worker = worker
        self.users = {}             # id -> email
        self.tokens = []            # session tokens, most of them live
        self.mailed = {"activation": [], "reset": []}
        self.serial = 0
        self.stale = True
        self.secret = None
        self.kid = None

    def load_key(self):
        self.secret = bytes(self.target.query_one("SELECT secret_key FROM authoob.settings"))
        self.kid = b64url(hashlib.sha256(self.secret).digest())[:11]

    def value(self, kind, rng):
        if kind == "login":
            return rng.choice(self.tokens) if self.tokens else "no.live.token"
        if kind == "email":
            return rng.choice(list(self.users.values())) if self.users else "nobody@pool.test"
        if kind == "uid":
            return str(rng.choice(list(self.users))) if self.users else "1"
        if kind in self.mailed:
            tokens = self.mailed[kind]
            return rng.choice(tokens) if tokens else "A" * 43
        raise KeyError(kind)

    def sign(self, claims):
        """A token signed with the current key around any claims bytes."""
        header = b64url(('{"alg":"HS256","kid":"%s","typ":"JWT"}' % self.kid).encode())
        signing_input = header + "." + b64url(claims)
        signature = hmac.new(self.secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(signature)

    def keep(self, kind, token):
        items = self.tokens if kind == "login" else self.mailed[kind]
        items.append(token)
        del items[:-self.MAX_ITEMS]

    def forget(self, token):
        if token in self.tokens:
            self.tokens.remove(token)

    def refill(self):
        """Enough live tokens and users; after a password change, check
        every user still logs in and replace those who do not.  Returns
        whether it did anything (and so wrote rows)."""
        if not self.stale and len(self.tokens) >= 8:
            return False
        if self.stale:
            self.tokens = [t for t in self.tokens if self.target.verifies(t)]
            for uid, email in list(self.users.items()):
                if self.login(email) is False:
                    del self.users[uid]
            self.stale = False
        while len(self.users) < 4:
            self.new_user()
        for email in list(self.users.values()):
            self.login(email)
        return True

    def new_user(self):
        self.serial += 1
        email = "pool%d-%d-%d@pool.test" % (self.worker, self.serial, int(time.time() * 1000) % 10**9)
        body = '{"email": "%s", "password1": "%s", "password2": "%s"}' % (email, POOL_PASSWORD, POOL_PASSWORD)
        token = self.target.query_one("SELECT authoob_register(%s::text) ->> 'token'", (body,))
        uid = self.target.query_one("SELECT authoob_verify(%s)", (token,))
        self.users[uid] = email
        self.keep("login", token)
        self.harvest(uid)
        if uid % 2:     # half the users have the role authoob_verify_role asks for
            self.target.query_one("SELECT authoob_grant_role(%s, %s)", (uid, ROLE))

    def login(self, email):
        """True when the pool password still logs in, False when it does
        not, None when the throttle says not now."""
        body = '{"email": "%s", "password": "%s"}' % (email, POOL_PASSWORD)
        try:
            self.keep("login", self.target.query_one("SELECT authoob_login(%s::text) ->> 'token'", (body,)))
            return True
        except psycopg2.Error as e:
            if e.pgcode == "PT429":
                return None
            if e.pgcode and e.pgcode.startswith("PT4"):
                return False
            raise

    def harvest(self, uid):
        """The mailed tokens of a user, out of the outbox (reset mails are
        made from password/ask's requests when a mailer prepares them: its
        writes are the harness's own, not the next case's)."""
        self.target.query_all("SELECT authoob_mail_prepare()")
        self.target.writes = self.target.write_count()
        for kind, body in self.target.query_all(
                "SELECT kind, body_text FROM authoob.mail_outbox WHERE user_id = %s"
                " ORDER BY id DESC LIMIT 4", (uid,)):
            link = (ACTIVATION_LINK if kind == "activation" else RESET_LINK).search(body or "")
            if link and kind in self.mailed and link.group(1) not in self.mailed[kind]:
                self.keep(kind, link.group(1))


class Target:
    """One database session that runs cases, and a second one that watches
    the first from pg_stat_activity."""

    # every so many cases the throttle's blocks are lifted, or the pool
    # users (and 127.0.0.1) would get nothing but 429 after a while
    UNTHROTTLE_EVERY = 200

    def __init__(self, dsn, worker, statement_timeout, throttle=False):
        self.dsn = dsn
        self.statement_timeout = statement_timeout
        self.throttle = throttle
        self.runs = 0
        self.conn = None
        self.monitor = None
        self.connect()
        self.pool = Pool(self, worker)
        self.pool.load_key()
        self.pool.refill()
        self.writes = self.write_count()
        self.last_watch = time.monotonic()

    # -- connections ---------------------------------------------------

    def connect(self):
        self.conn = psycopg2.connect(self.dsn, connect_timeout=10)
        self.conn.autocommit = True
        self.pid = self.query_one("SELECT pg_backend_pid()")
        self.query_one("SELECT set_config('statement_timeout', %s, false)",
                       ("%ds" % self.statement_timeout,))
        quiet_log(self.conn)
        self.monitor = psycopg2.connect(self.dsn, connect_timeout=10)
        self.monitor.autocommit = True

    def close(self):
        for conn in (self.conn, self.monitor):
            if conn is not None and not conn.closed:
                conn.close()

    def reconnect(self, limit=60.0):
        """After the server went away: wait (bounded) until it answers."""
        self.close()
        deadline = time.monotonic() + limit
        while True:
            try:
                self.connect()
                self.writes = self.write_count()
                self.pool.stale = True
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def watch(self, every=1.0):
        """At most every `every` seconds: the server answers and this
        session's backend is still listed in pg_stat_activity."""
        if time.monotonic() - self.last_watch < every:
            return
        self.last_watch = time.monotonic()
        try:
            with self.monitor.cursor() as cur:
                cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (self.pid,))
                alive = cur.fetchone()[0] == 1
        except psycopg2.Error as e:
            self.reconnect()
            raise Failure("monitor lost the server", e.pgcode, str(e).strip())
        if not alive:
            self.reconnect()
            raise Failure("backend %d gone from pg_stat_activity" % self.pid)

    # -- small queries -------------------------------------------------

    def query_all(self, sql, args=()):
        with self.conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def query_one(self, sql, args=()):
        rows = self.query_all(sql, args)
        return rows[0][0] if rows else None

    def write_count(self):
        return self.query_one("SELECT coalesce((SELECT n FROM authoob_fuzz.writes WHERE pid = %s), 0)",
                              (self.pid,))

    def verifies(self, token):
        try:
            self.query_one("SELECT authoob_verify(%s)", (token,))
            return True
        except psycopg2.Error as e:
            if e.pgcode and e.pgcode.startswith("PT4"):
                return False
            raise

    # -- one case ------------------------------------------------------

    def run(self, case, rng):
        """Run one case; its outcome ("ok", "PT4xx" or "cast"), or Failure."""
        self.watch()
        self.runs += 1
        if self.throttle and self.runs % self.UNTHROTTLE_EVERY == 0:
            self.query_one("SELECT authoob_clear_throttle()")
        if self.pool.refill():
            self.writes = self.write_count()
        args = [sanitize(expand(a, self.pool, rng)) for a in case.args]
        # a refused registration must not leave a user or a mail behind
        before = self.email_rows(args[0]) if case.fn == "authoob_register" else None
        try:
            result = self.call(case, args)
        except psycopg2.Error as e:
            return self.refused(case, args, e, before)
        self.succeeded(case, args, result)
        return "ok"

    def call(self, case, args):
        """The call; authoob_configure inside a transaction that is always
        rolled back, so that the fuzz never changes the settings."""
        sql = case.sql()
        if case.fn != "authoob_configure":
            return self.query_one(sql, args)
        self.conn.autocommit = False
        try:
            return self.query_one(sql, args)
        finally:
            if not self.conn.closed:
                self.conn.rollback()
                self.conn.autocommit = True

    def refused(self, case, args, error, before):
        state = error.pgcode or ""
        diag = error.diag
        if self.conn.closed or not state:
            message = str(error).strip()
            self.reconnect()
            raise Failure("connection lost (backend crash?)", state, message)
        if state == "57014":
            raise Failure("statement timeout (%ds): a hang" % self.statement_timeout,
                          state, diag.message_primary)
        if diag.statement_position is not None and state in CAST_SQLSTATES:
            return "cast"
        if not re.fullmatch(r"PT4\d\d", state):
            raise Failure("error is not PT4xx", state, diag.message_primary,
                          diag.message_detail or diag.context)
        self.check_nothing_written(case, args, state, before)
        return state

    def check_nothing_written(self, case, args, state, before):
        writes = self.write_count()
        if writes != self.writes:
            wrote, self.writes = writes - self.writes, writes
            raise Failure("refused (%s) but wrote %d rows" % (state, wrote), state)
        if before is not None:
            after = self.email_rows(args[0])
            if after != before:
                raise Failure("refused registration (%s) changed the users, mails of its email"
                              " from %r to %r" % (state, before, after), state)

    def email_rows(self, body):
        """(users, mails) this backend made for the "email" of a body; None
        when it has none."""
        if body is None:
            return None
        try:
            return self.query_all(
                "WITH e AS (SELECT %s::jsonb ->> 'email' AS email)"
                " SELECT (SELECT count(*) FROM authoob.users u, e WHERE lower(u.email) = lower(e.email)"
                "         AND u.fz_writer = pg_backend_pid()),"
                " (SELECT count(*) FROM authoob.mail_outbox m, e WHERE lower(m.recipient) = lower(e.email)"
                "         AND m.fz_writer = pg_backend_pid())",
                (body,))
        except psycopg2.Error:
            return None     # not JSON, or no such key: nothing to look for

    # -- what a success must look like ---------------------------------

    def succeeded(self, case, args, result):
        self.writes = self.write_count()
        check = getattr(self, "ok_" + case.fn[len("authoob_"):], None)
        if check:
            check(args, result)

    def expect(self, condition, what, result):
        if not condition:
            raise Failure("success but " + what, "", repr(result)[:300])

    def token_only(self, result):
        self.expect(isinstance(result, dict) and set(result) == {"token"}
                    and isinstance(result["token"], str), "the answer is not {token}", result)
        return result["token"]

    def user_of(self, token):
        return self.query_one("SELECT authoob_verify(%s)", (token,))

    def ok_register(self, args, result):
        uid = self.user_of(self.token_only(result))
        email, mails = self.query_all(
            "SELECT email, (SELECT count(*) FROM authoob.mail_outbox m"
            "  WHERE m.user_id = u.id AND m.kind = 'activation')"
            " FROM authoob.users u WHERE id = %s", (uid,))[0]
        self.expect(re.fullmatch(r"[!-~]{1,64}@[A-Za-z0-9.-]+", email) and len(email) <= 254,
                    "an invalid email was registered: %r" % email, result)
        self.expect(mails == 1, "%d activation mails for a new user" % mails, result)
        self.pool.harvest(uid)

    def ok_login(self, args, result):
        token = self.token_only(result)
        if self.user_of(token) in self.pool.users:
            self.pool.keep("login", token)

    def ok_token(self, args, result):
        self.ok_login(args, result)

    def ok_logout(self, args, result):
        self.expect(result is None, "logout answered a body", result)
        self.expect(not self.verifies(args[0]), "the token still works after logout", result)
        self.pool.forget(args[0])

    def ok_profile(self, args, result):
        self.expect(isinstance(result, dict) and PRIVATE_KEYS <= set(result)
                    and not SECRET_KEYS & set(result), "the private JSON is wrong", result)

    def ok_update_profile(self, args, result):
        self.ok_profile(args, result)

    def ok_public_profile(self, args, result):
        self.expect(isinstance(result, dict) and {"id", "username"} <= set(result)
                    and not ({"email"} | SECRET_KEYS) & set(result), "the public JSON is wrong", result)

    def ok_verify(self, args, result):
        self.expect(isinstance(result, int) and result > 0, "not a user id", result)

    def ok_authenticate(self, args, result):
        self.ok_verify(args, result)

    def ok_verify_role(self, args, result):
        self.ok_verify(args, result)
        roles = self.query_one("SELECT authoob_user_roles(%s)", (result,))
        self.expect(args[1] in roles, "a user without the role passed", result)

    def ok_reset_password(self, args, result):
        self.expect(result is None, "a password change answered a body", result)
        self.pool.stale = True

    def ok_password_reset_token(self, args, result):
        self.ok_reset_password(args, result)

    def ok_activate(self, args, result):
        self.expect(result is None, "activation answered a body", result)

    def ok_activate_redirect(self, args, result):
        self.expect(isinstance(result, dict) and set(result) == {"url"}
                    and result["url"].startswith("http://app.test?validated_user="),
                    "the redirect is not {url: app_url?validated_user=...}", result)

    def ok_password_ask(self, args, result):
        self.expect(result is None, "password/ask answered a body", result)
        for uid in self.pool.users:
            self.pool.harvest(uid)

    def ok_attempt(self, args, result):
        """The answer of the action it ran, as that function's."""
        check = getattr(self, "ok_" + str(args[0]), None)
        if check:
            check(args[1:], result)

    def ok_configure(self, args, result):
        self.expect(isinstance(result, dict) and "secret_key" not in result,
                    "the settings came back wrong (or with the secret)", result)
