# gen: makes fuzz cases.  A request body starts as a valid one of its
# function (so that the deep paths are reached, success included) and is
# then mutated as a structure (keys dropped, repeated, retyped...) and/or as
# text (characters flipped, cut, escapes PostgreSQL refuses...), or is
# random JSON, or not JSON at all.  Tokens start from live ones (markers)
# with bytes flipped, or are random base64url parts, or are signed with the
# real key around odd claims.
import uuid

from . import cases
from .jsontext import Obj, Raw, dump
from .markers import b64url, marker, repeat_marker, signed_marker

POOL_PASSWORD = "Fuzz1Password"
ROLE = "fuzzrole"
FAR_FUTURE = 4102444800         # 2100-01-01: a signed token's exp that has not passed

INJECTIONS = [
    "' OR 1=1 --", "'; DROP TABLE authoob.users; --", "\" OR \"1\"=\"1",
    "x'); SELECT pg_terminate_backend(pg_backend_pid()); --", "$$ || pg_sleep(5) || $$",
    "%s%s%s%n%x", "{{7*7}}", "${jndi:ldap://127.0.0.1/x}", "<script>alert(1)</script>",
    "../../../../etc/passwd", "\\", "\\\\'", "E'\\x41'", "admin'--", "NULL", "null",
    "\r\nBcc: victim@example.com", "=cmd|' /C calc'!A0", "*)(uid=*))(|(uid=*",
    "1; COPY authoob.users TO PROGRAM 'id'", "\\u0000", "\\ud800", "'||(SELECT secret_key FROM authoob.settings)||'",
]

UNICODE = [
    "é", "ß", "İ", "ı", "K", "ﬀ", "Ω", "日本語", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "😀", "\u202e", "\u200b",
    "\ufeff", "e\u0301", "\uffff", "\U0010ffff", "\u0085", "\u2028", "Ａ１ａ", "٣", "\u00a0",
]

CONTROL = ["\x01", "\x07", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\t", "\n", "\r"]

NUMBERS = [
    "0", "-0", "1", "-1", "4", "31", "32", "72", "73", "3600", "1e999999", "-1e999999",
    "1e-999999", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "1.5", "1E2", "0.1e1", "4.0", "1e5", "2147483648", "123456789012345678901234567890",
    "1e308", "1e309", "0.000000000000000000001", "-0.0", "1e1000",
]

BAD_NUMBERS = ["01", "+1", ".5", "NaN", "Infinity", "-Infinity", "0x10", "1.", "-", "1e", "١"]

ESCAPES = ["\\u0000", "\\ud800", "\\udfff", "\\udc00\\ud800", "\\ud83d\\ude00", "\\u00e9",
           "\\uDBFF\\uDFFF", "\\uffff", "\\x41", "\\'", "\\u12", "\\"]

# what jsonb's input accepts of the above: the strict (jsonb form) subset
PG_ESCAPES = ["\\ud83d\\ude00", "\\u00e9", "\\uDBFF\\uDFFF", "\\uffff", "\\u0001", "\\/"]
PG_REFUSED_NUMBERS = {"1e999999", "-1e999999", "1e-999999"}

SETTINGS = {
    "app_url": "url", "api_url": "url", "secret_key": "secret", "email_sender": "email",
    "prevent_mail_send": "bool", "prefix": "prefix", "token_header": "header",
    "token_ttl": (60, 366 * 24 * 3600), "bcrypt_cost": (4, 31), "require_activation": "bool",
    "password_min_length": (1, 72), "password_require_uppercase": "bool",
    "password_require_digit": "bool", "activation_ttl": (3600, 366 * 24 * 3600),
    "reset_ttl": (60, 7 * 24 * 3600), "reset_mail_interval": (0, 24 * 3600),
    "mail_max_attempts": (1, 100), "mail_retry_delay": (1, 24 * 3600),
    "hook_timeout": (1, 600000), "password_hash": "hash", "argon2_memory": (1024, 1048576),
    "argon2_time": (1, 20), "argon2_parallelism": (1, 16),
}

ATTEMPT_ACTIONS = ["login", "activate", "activate_redirect", "password_reset_token"]

# custom user fields the fuzz database adds (see target.py)
CUSTOM_FIELDS = {
    "fz_age": "int", "fz_birthday": "date", "fz_nick": "short", "fz_tags": "array",
    "fz_meta": "any", "fz_score": "numeric", "fz_flag": "bool", "fz_handle": "unique",
}


class Gen:
    """Case generator around a random.Random."""

    def __init__(self, rng, extra_settings=(), available=None):
        self.rng = rng
        self.targets = cases.targets(available)
        # strict: make JSON that jsonb's input takes (no \u0000, lone
        # surrogates, overflowing numbers), so that the jsonb form's calls
        # mostly get past the cast and into the function
        self.strict = False
        self.settings = dict(SETTINGS)
        for key in extra_settings:      # keys a newer extension added
            self.settings.setdefault(key, "any")

    # -- small pieces --------------------------------------------------

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, items):
        return self.rng.choice(items)

    def word(self, alphabet="abcdefghijklmnopqrstuvwxyz0123456789", lo=1, hi=12):
        return "".join(self.rng.choices(alphabet, k=self.rng.randint(lo, hi)))

    def unicode_text(self):
        return "".join(self.pick(UNICODE + [self.word()]) for _ in range(self.rng.randint(1, 6)))

    def long_text(self):
        """A repeat marker: mostly around the limits (72 bytes of bcrypt,
        255 characters of a name), at times 100 KB, rarely 1 or 10 MB."""
        size = self.pick([64, 65, 70, 71, 72, 73, 254, 255, 256, 1024, 1025, 4096])
        if self.chance(0.05):
            size = 100_000
        if self.chance(0.01):
            size = 1_000_000
        if self.chance(0.002):
            size = 10_000_000
        unit = self.pick(["a", "A1a", "é", "😀", "1", " ", "\\u00e9"])
        return repeat_marker(unit, max(1, size // len(unit)))

    def string(self):
        """A string for any field: plausible, hostile, odd or huge."""
        kind = self.rng.randint(0, 23)
        if kind == 0:
            return self.pick(INJECTIONS)
        if kind == 1:
            return self.unicode_text()
        if kind == 2:
            return self.word() + self.pick(CONTROL) + self.word()
        if kind == 3 and self.chance(0.5):
            return self.long_text()
        if kind == 4:
            return self.pick(["", " ", "  x  ", "\u3000"])
        if kind == 5:
            return self.email()
        if kind == 6:
            return self.password()
        if kind == 7:
            return marker(self.pick(["login", "email", "uid", "activation", "reset"]))
        if kind == 8:
            return self.pick(NUMBERS + BAD_NUMBERS)
        if kind == 9:
            return self.word("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~.-@\"(),:;<>[]\\ ")
        return self.word() if kind < 20 else self.pick(["Ada", "x", "Fuzz1Password", "same"])

    def number(self):
        if self.chance(0.5):
            number = self.pick(NUMBERS)
            return Raw("1e1000" if self.strict and number in PG_REFUSED_NUMBERS else number)
        return self.rng.choice([self.rng.randint(-2**70, 2**70), self.rng.random() * 10 ** self.rng.randint(-30, 30)])

    def scalar(self):
        kind = self.rng.randint(0, 5)
        if kind == 0:
            return self.number()
        if kind == 1:
            return self.pick([True, False])
        if kind == 2:
            return None
        if kind == 3:
            escapes = PG_ESCAPES if self.strict else ESCAPES
            return Raw('"%s"' % "".join(self.pick(escapes + ["a", "b"]) for _ in range(3)))
        return self.string()

    def random_json(self, depth=None, keys=()):
        """Random JSON of random depth; object keys partly from keys."""
        depth = self.rng.randint(0, 6) if depth is None else depth
        if depth <= 0 or self.chance(0.3):
            return self.scalar()
        width = self.rng.randint(0, 6)
        if self.chance(0.5):
            return [self.random_json(depth - 1, keys) for _ in range(width)]
        return Obj((self.key(keys), self.random_json(depth - 1, keys)) for _ in range(width))

    def key(self, keys=()):
        if keys and self.chance(0.6):
            return self.pick(list(keys))
        return self.string() if self.chance(0.3) else self.word()

    # -- plausible values ----------------------------------------------

    def email(self):
        kind = self.rng.randint(0, 9)
        if kind <= 3:           # fresh and valid: a registration may succeed
            return "%s@%s.%s" % (self.word(), self.word(lo=1, hi=8), self.pick(["com", "io", "test", "org"]))
        if kind == 4:
            return marker("email", ops=[self.pick(["upper", "pad", "dup", "drop0"])] if self.chance(0.5) else ())
        if kind == 5:
            return "%s@%s.com" % ("a" * self.pick([63, 64, 65]), "b" * self.pick([62, 63, 64]))
        if kind == 6:
            return self.pick(["a@b", "@b.io", "a@", "a@@b.io", "a.@b.io", ".a@b.io", "a..b@c.io",
                              "a@-b.io", "a@b-.io", "a@b.i0", "a@b..io", "a b@c.io", "\"a\"@b.io",
                              "a@b.io.", "a@[127.0.0.1]", "A@B.IO", "a@b.io\n", "a@xn--bcher-kva.example"])
        if kind == 7:
            return self.unicode_text() + "@" + self.unicode_text() + ".io"
        if kind == 8:
            return "x" * (254 - 9) + "@abcd.io" + self.pick(["", "x"])
        return self.string()

    def password(self):
        kind = self.rng.randint(0, 7)
        if kind <= 2:
            return POOL_PASSWORD
        if kind == 3:
            return self.pick(["1Passwor", "1Password", "Password", "1password", "1PASSWORD", "1Pa",
                              "1P" + "a" * 70, "1P" + "a" * 71, "1P" + "é" * 35, "1P" + "é" * 36])
        if kind == 4:
            return "1A" + self.unicode_text()
        if kind == 5:
            return "1A" + self.word(lo=6, hi=80)
        return self.string()

    def custom_value(self, kind):
        good = {
            "int": lambda: self.rng.randint(-5, 200),
            "date": lambda: self.pick(["2000-01-31", "1999-12-31", "2000-02-30", "infinity", "epoch", "today"]),
            "short": lambda: self.word(hi=14),
            "array": lambda: self.pick(["{a,b}", "{}", "{\"x\"", "{{a},{b}}"]) if self.chance(0.5) else [self.word()],
            "any": lambda: self.random_json(3),
            "numeric": lambda: self.pick([Raw("999.99"), Raw("1000"), Raw("-1.005"), "12.5", "NaN", "Infinity"]),
            "bool": lambda: self.pick([True, False, "yes", "off", "t", "maybe"]),
            "unique": lambda: self.pick(["same", self.word()]),
        }[kind]
        return good() if self.chance(0.7) else self.scalar()

    def setting_value(self, kind):
        if isinstance(kind, tuple):
            lo, hi = kind
            return self.pick([lo, hi, lo - 1, hi + 1, self.rng.randint(lo, hi), Raw("%d.0" % lo),
                              Raw("%de0" % lo), 2**31, -lo, Raw("1e999"), str(lo)])
        values = {
            "url": ["http://app.test", "https://x.test/a?b=c", "ftp://x", "http://", "http://a b",
                    "https://" + "a" * 2000, None, "javascript:alert(1)"],
            "secret": ["s" * 31, "s" * 32, "é" * 16, "x" * 100, ""],
            "email": ["no-reply@authoob.test", "bad", None, "a@b"],
            "bool": [True, False, "true", 0, None],
            "prefix": ["/authoob", "/", "//x", "/a/", "/a b", "/a/b", "/" + "a" * 200, "a"],
            "header": ["Authentication-Token", "X Y", "", "X-Tok\u00e9n", "a" * 201],
            "hash": ["bcrypt", "argon2id", "argon2", "md5", "BCRYPT"],
        }.get(kind)
        return self.pick(values) if values else self.scalar()

    # -- valid request bodies ------------------------------------------

    def valid_body(self, shape):
        """A body of shape as a list of pairs; often right, at times almost."""
        password = self.password()
        bodies = {
            "register": lambda: [("email", self.email()), ("password1", password),
                                 ("password2", password if self.chance(0.9) else self.password())]
            + self.optional([("firstname", self.name_value()), ("lastname", self.name_value())]),
            "login": lambda: [("email", marker("email") if self.chance(0.7) else self.email()),
                              ("password", POOL_PASSWORD if self.chance(0.7) else self.password())],
            "update_profile": lambda: self.optional(
                [("username", self.name_value()), ("firstname", self.name_value()),
                 ("lastname", self.name_value()), ("id", self.scalar()), ("email", self.email())]
                + [(name, self.custom_value(kind)) for name, kind in CUSTOM_FIELDS.items()]),
            "reset_password": lambda: [("password1", password), ("password2", password)],
            "password_ask": lambda: [("email", marker("email") if self.chance(0.6) else self.email())],
            "password_reset_token": lambda: [("token", self.mail_token("reset")),
                                             ("password1", password), ("password2", password)],
            "configure": lambda: [(key, self.setting_value(kind))
                                  for key, kind in self.rng.sample(sorted(self.settings.items()),
                                                                   self.rng.randint(0, 4))],
        }
        return Obj(bodies[shape]())

    def optional(self, pairs):
        return [pair for pair in pairs if self.chance(0.5)]

    def name_value(self):
        return self.pick([self.word(), None, "Ada", "x" * 255, "x" * 256, "é" * 255]) if self.chance(0.7) else self.string()

    # -- mutations -----------------------------------------------------

    def mutate_body(self, body, keys):
        """One structural change to an object (a list of pairs)."""
        body = Obj(body)
        op = self.rng.randint(0, 9)
        if op == 0 and body:
            del body[self.rng.randrange(len(body))]
        elif op == 1 and body:
            k, _ = self.pick(body)
            body.insert(self.rng.randint(0, len(body)), (k, self.random_json(2)))
        elif op in (2, 3) and body:
            i = self.rng.randrange(len(body))
            body[i] = (body[i][0], self.other_type())
        elif op == 4:
            body.append((self.key(), self.random_json(3)))
        elif op == 5 and body:
            i = self.rng.randrange(len(body))
            body[i] = (self.odd_key(body[i][0]), body[i][1])
        elif op == 6 and body:
            i = self.rng.randrange(len(body))
            body[i] = (body[i][0], self.string())
        elif op == 7:
            return self.pick([[body], Obj([("payload", body)]), Obj([("", body)])])
        elif op == 8 and self.chance(0.2):
            value = self.pick([1, None, True, "x", Raw("1e1000"), [], Obj()])
            body.extend(("k%d" % i, value) for i in range(self.pick([50, 500, 5000])))
        else:
            body.append((self.pick(list(keys) or ["email"]), self.scalar()))
        return body

    def other_type(self):
        return self.pick([self.number(), [self.string()], [], None, Obj([("a", self.string())]),
                          Obj(), True, False, self.random_json(4), Raw("[" * 50 + "]" * 50)])

    def odd_key(self, key):
        return self.pick([key.upper(), " " + key, key + " ", key + "\u0000", key[:-1],
                          key + "\u200b", "", Raw('"%s\\u0000"' % key), key * 2])

    def mutate_text(self, text):
        """One change to a body's text; the result is often not JSON."""
        if not text:
            return self.pick(["{", "\ufeff", "\"", "x"])
        i = self.rng.randrange(len(text))
        j = min(len(text), i + self.rng.randint(1, 16))
        op = self.rng.randint(0, 8)
        if op == 0:
            return text[:i] + chr(self.rng.randint(1, 0x7f)) + text[i + 1:]
        if op == 1:
            return text[:i] + self.pick(ESCAPES + BAD_NUMBERS + ['"', "{", "[", ",", ":", "}", "]"]) + text[i:]
        if op == 2:
            return text[:i] + text[j:]
        if op == 3:
            return text[:i]
        if op == 4:
            return text[:j] + text[i:j] + text[j:]
        if op == 5:
            return text + self.pick([" trailing", "}", ",", "\u0085", text, "\x00"])
        if op == 6:
            return self.pick(["\ufeff", " \n\t", "\u00a0"]) + text
        if op == 7:
            return text.replace('"', "'")
        return text[:i] + self.pick(UNICODE) + text[i:]

    # -- arguments -----------------------------------------------------

    def payload(self, shape, form):
        """A request body as text (markers allowed), or None for SQL NULL."""
        self.strict = form == "jsonb" and self.chance(0.85)
        keys = [k for k, _ in self.valid_body(shape)]
        roll = self.rng.random()
        if roll < 0.03:
            return None
        if roll < 0.08:
            return self.odd_document()
        if roll < 0.20:
            return dump(self.random_json(keys=keys), self.rng, self.chance(0.3))
        body = self.valid_body(shape)
        for _ in range(self.pick([0, 0, 1, 1, 1, 2, 3])):
            body = self.mutate_body(body, keys) if isinstance(body, Obj) else body
        text = dump(body, self.rng if self.chance(0.3) else None, self.chance(0.2))
        # the jsonb form needs JSON to get past the cast: mutate its text less
        if self.chance(0.3 if form == "text" else 0.1):
            for _ in range(self.rng.randint(1, 3)):
                text = self.mutate_text(text)
        return text

    def odd_document(self):
        return self.pick([
            "null", "[]", '""', "1", "true", "{}", "{}{}", '{"a":1}garbage', " ",
            "", "\ufeff{}", "{\"email\"}", "{'email': 'a@b.io'}", '{"a":"\\u0000"}',
            repeat_marker("[", self.pick([1000, 100000])) + repeat_marker("]", 1000),
            repeat_marker('{"a":', self.pick([10, 5000])), repeat_marker("{", 10000),
            '{"a": "%s"}' % repeat_marker("\\ud800", 1000), "1e999999", '{"email": 1e999999}',
            '{"a":' + "1" * 5000 + "}", '{"\\ud800": 1}', '{"a": "\\udfff\\ud800"}',
        ])

    def token(self):
        """A session token: live, damaged, random, forged or odd."""
        roll = self.rng.random()
        if roll < 0.40:
            return marker("login", ops=self.token_ops() if self.chance(0.4) else ())
        if roll < 0.52:
            return self.random_jwt()
        if roll < 0.64:
            return signed_marker(self.odd_claims())
        if roll < 0.68:
            return marker(self.pick(["activation", "reset"]))
        if roll < 0.72:
            return None
        return self.string()

    def token_ops(self):
        ops = []
        for _ in range(self.rng.randint(1, 3)):
            pos = self.rng.randint(0, 260)
            ops.append(self.pick([
                "flip%d.%d" % (pos, self.rng.choice([ord(c) for c in "AZaz09-_.=+/ "] + [0xe9, 0x1F600])),
                "cut%d" % pos, "drop%d" % pos, "ins%d.46" % pos, "dup", "upper", "pad", "bearer"]))
        return ops

    def random_jwt(self):
        """Parts of random base64url, or of headers and claims an attacker
        might try (alg none, a wrong kid)."""
        header = self.pick([
            b'{"alg":"none","typ":"JWT"}', b'{"alg":"HS256","typ":"JWT"}',
            b'{"alg":"HS256","kid":"' + self.word(hi=11).encode() + b'","typ":"JWT"}',
            bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 60)))])
        parts = [b64url(header), b64url(self.odd_claims()),
                 b64url(bytes(self.rng.getrandbits(8) for _ in range(self.pick([0, 31, 32, 33, 64]))))]
        if self.chance(0.2):
            parts = parts[:self.rng.randint(0, 2)] if self.chance(0.5) else parts + [self.word()]
        if parts and self.chance(0.2):
            parts[self.rng.randrange(len(parts))] = self.word("ABCxyz019-_+/=.", 0, 40)
        return ".".join(parts)

    def odd_claims(self):
        """Bytes of a JWT payload: ours with a change, random JSON, or junk."""
        claims = Obj([("sub", str(self.rng.randint(1, 50))), ("iat", 1700000000),
                      ("exp", FAR_FUTURE), ("jti", str(uuid.UUID(int=self.rng.getrandbits(128))))])
        roll = self.rng.random()
        if roll < 0.6:
            for _ in range(self.rng.randint(1, 2)):
                claims = self.mutate_body(claims, ["sub", "iat", "exp", "jti"]) if isinstance(claims, Obj) else claims
            return dump(claims, None, self.chance(0.2)).encode("utf-8", "surrogatepass")
        if roll < 0.8:
            return dump(self.random_json(keys=["sub", "iat", "exp", "jti"])).encode("utf-8", "surrogatepass")
        if roll < 0.9:
            return self.mutate_text(dump(claims)).encode("utf-8", "surrogatepass")
        return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 80)))

    def mail_token(self, kind):
        roll = self.rng.random()
        if roll < 0.5:
            return marker(kind, ops=self.token_ops() if self.chance(0.3) else ())
        if roll < 0.6:
            return marker("activation" if kind == "reset" else "reset")
        if roll < 0.7:
            return b64url(bytes(self.rng.getrandbits(8) for _ in range(32)))
        if roll < 0.75:
            return None
        return self.string()

    def user_id(self):
        roll = self.rng.random()
        if roll < 0.4:
            return marker("uid", ops=[self.pick(["pad", "dup", "ins0.48", "ins0.45", "ins0.43"])] if self.chance(0.3) else ())
        if roll < 0.7:
            return self.pick(["0", "1", "-1", "00001", "999999999999999999", "9999999999999999999",
                              "9223372036854775807", "9223372036854775808", "1e3", "0x10", " 1",
                              "1 ", "١", "", "+1", "1.0", "18446744073709551617"])
        if roll < 0.75:
            return None
        return self.string()

    def argument(self, param, shape, form):
        if param == "payload":
            return self.payload(shape, form)
        if param == "settings":
            return self.payload("configure", "jsonb")
        if param == "token":
            return self.token()
        if param == "mail_token":
            return self.mail_token(self.pick(["activation", "activation", "reset"]))
        if param == "user_id":
            return self.user_id()
        if param == "role":
            return ROLE if self.chance(0.5) else self.pick([None, self.string()])
        if param == "inet":
            return self.pick([None, "127.0.0.1", "::1", "192.0.2.55", "192.0.2.%d" % self.rng.randint(0, 255)])
        raise ValueError(param)

    def attempt_args(self, form):
        """authoob_attempt's action, and an argument fit for it (mostly); in
        0.3's form, a query string's grant_type and a User-Agent too."""
        action = self.pick(ATTEMPT_ACTIONS) if self.chance(0.9) else self.pick([None, "", "register", self.string()])
        if self.chance(0.1) or action not in ATTEMPT_ACTIONS:
            action_for_arg = self.pick(ATTEMPT_ACTIONS)
        else:
            action_for_arg = action
        if action_for_arg in ("login", "password_reset_token"):
            arg = self.payload(action_for_arg, "text")
        else:
            arg = self.mail_token("activation")
        args = [action, arg, self.argument("inet", None, "-")]
        if form == "0.3":
            args += [self.pick([None, "password", "refresh_token", self.string()]),
                     self.pick([None, "curl/8.0", self.string()])]
        return args

    def case(self, function=None, form=None):
        if function is None:
            function, form = self.pick(self.targets)
        if function.shape == "attempt":
            args = self.attempt_args(form)
        else:
            args = [self.argument(p, function.shape, form) for p in function.params]
        return cases.Case(function.name, form, args)
