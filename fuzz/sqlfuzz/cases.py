# cases: the request functions under test, and a Case, one call of one of
# them, as it is generated, executed, reported and saved in the corpus.
import json
from collections import namedtuple

# params: what each argument is.  payload: a request body, text or jsonb
# by the case's form; settings: jsonb only; token, user_id, role, action,
# attempt_arg: text; inet: the client address.  shape: which valid body the
# generator starts from (gen.py).  procedure: CALLed, not SELECTed.
Function = namedtuple("Function", "name params shape procedure", defaults=(False,))

FUNCTIONS = [
    Function("authoob_register", ("payload", "inet"), "register"),
    Function("authoob_login", ("payload", "inet"), "login"),
    Function("authoob_logout", ("token",), None),
    Function("authoob_token", ("token",), None),
    Function("authoob_profile", ("token",), None),
    Function("authoob_public_profile", ("user_id",), None),
    Function("authoob_update_profile", ("token", "payload"), "update_profile"),
    Function("authoob_reset_password", ("token", "payload"), "reset_password"),
    Function("authoob_activate", ("mail_token",), None),
    Function("authoob_activate_redirect", ("mail_token",), None),
    Function("authoob_password_ask", ("payload", "inet"), "password_ask"),
    Function("authoob_password_reset_token", ("payload",), "password_reset_token"),
    Function("authoob_verify", ("token",), None),
    Function("authoob_authenticate", ("token",), None),
    Function("authoob_verify_role", ("token", "role"), None),
    Function("authoob_configure", ("settings",), "configure"),
    # what authoob-http calls for logins and mailed tokens: the action, run
    # in a subtransaction, with its failure recorded for the throttle
    Function("authoob_attempt", ("action", "attempt_arg", "inet"), "attempt", procedure=True),
]

BY_NAME = {f.name: f for f in FUNCTIONS}

SQL_TYPES = {"settings": "jsonb", "token": "text", "mail_token": "text",
             "user_id": "text", "role": "text", "inet": "inet", "action": "text",
             "attempt_arg": "text", "query_grant": "text", "user_agent": "text"}

# authoob_attempt's two forms: 0.2's ("-"), the action's one argument, and
# 0.3's, which takes the query string's grant_type and the User-Agent apart
# too and parses a sign-in's body itself
ATTEMPT_0_3_PARAMS = ("query_grant", "user_agent")


def params(function, form):
    """What each argument of a function is, in a form."""
    return function.params + (ATTEMPT_0_3_PARAMS if form == "0.3" else ())


def forms(function):
    """The argument forms of a function: text and jsonb where both exist,
    authoob_attempt's two."""
    if function.shape == "attempt":
        return ("-", "0.3")
    return ("text", "jsonb") if "payload" in function.params else ("-",)


def targets(available=None):
    """Every (function, form) pair, of the functions available when given;
    the fuzzer spreads its calls over them."""
    return [(f, form) for f in FUNCTIONS for form in forms(f)
            if available is None or f.name in available]


class Case:
    """One call: function name, form ("text", "jsonb" or "-") and the
    arguments as templates (strings with markers, or None for SQL NULL)."""

    def __init__(self, fn, form, args, note=None):
        self.fn = fn
        self.form = form
        self.args = list(args)
        self.note = note

    @property
    def function(self):
        return BY_NAME[self.fn]

    @property
    def label(self):
        return self.fn if self.form == "-" else "%s(%s)" % (self.fn, self.form)

    def sql(self):
        """SELECT fn(%s::type, ...), or CALL proc(..., NULL) whose INOUT
        argument comes back as the result."""
        types = [self.form if p == "payload" else SQL_TYPES[p]
                 for p in params(self.function, self.form)]
        args = ", ".join("%%s::%s" % t for t in types)
        if self.function.procedure:
            return "CALL %s(%s, NULL)" % (self.fn, args)
        return "SELECT %s(%s)" % (self.fn, args)

    def to_json(self):
        data = {"fn": self.fn, "form": self.form, "args": self.args}
        if self.note:
            data["note"] = self.note
        return json.dumps(data, ensure_ascii=True, indent=1)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        if data["fn"] not in BY_NAME:
            raise ValueError("unknown function %r" % data["fn"])
        case = cls(data["fn"], data.get("form", "-"), data["args"], data.get("note"))
        if len(case.args) != len(params(case.function, case.form)):
            raise ValueError("%s takes %d arguments" % (case.label, len(params(case.function, case.form))))
        return case

    def short(self, limit=600):
        """The case as one line, cut to limit characters for a report."""
        text = json.dumps({"fn": self.fn, "form": self.form, "args": self.args},
                          ensure_ascii=True)
        return text if len(text) <= limit else text[:limit] + "...(%d chars)" % len(text)
