# markers: placeholders in fuzz inputs for what only a live database has
# (a real token, a registered email) or what would make a saved input big
# (a 10 MB string).  A case keeps its markers, so a corpus file stays small
# and still means something when replayed against a new database.
#
#   @@KIND[=ARG][|OP]...@@
#
# KIND: login (a session token of a pool user), activation, reset (mailed
# tokens), email (a pool user's address), uid (a pool user's id), signed
# (ARG: base64url claims, signed with the database's current key), rep
# (ARG: COUNT:base64url unit, the unit repeated).
# OP, applied in order to the value: flipP.C (character at P becomes
# chr(C)), cutN (first N characters), dropP, insP.C, dup, upper, pad, bearer.
import base64
import re

MARKER = re.compile(r"@@([a-z]+)(?:=([A-Za-z0-9_\-:]*))?((?:\|[a-z]+[0-9.]*)*)@@")
OP = re.compile(r"([a-z]+)([0-9]*)(?:\.([0-9]+))?")

# bounds that keep a case (a body of 5000 keys, each a repeat marker) or a
# hand-edited corpus file from asking for gigabytes: one repeat, and all the
# repeats of one argument
MAX_REPEAT_CHARS = 12 * 1024 * 1024
MAX_REPEATED_CHARS = 16 * 1024 * 1024


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def marker(kind, arg=None, ops=()):
    """The text of a marker."""
    text = "@@" + kind
    if arg is not None:
        text += "=" + arg
    for op in ops:
        text += "|" + op
    return text + "@@"


def repeat_marker(unit, count):
    return marker("rep", "%d:%s" % (count, b64url(unit.encode("utf-8"))))


def signed_marker(claims):
    """claims: bytes, anything at all, to be signed as a JWT's payload."""
    return marker("signed", b64url(claims))


def _repeat(arg, budget):
    """The repeated unit, within budget[0] characters (then spent)."""
    count, unit = arg.split(":", 1)
    unit = unb64url(unit).decode("utf-8", "replace")
    count = min(int(count), max(1, min(MAX_REPEAT_CHARS, budget[0]) // max(len(unit), 1)))
    budget[0] = max(0, budget[0] - count * len(unit))
    return unit * count


def _char(code):
    return chr(int(code or 65) % 0x110000)


def _apply_op(value, name, n, code):
    pos = int(n) % (len(value) + 1) if n else 0
    if name == "flip" and value:
        pos %= len(value)
        return value[:pos] + _char(code) + value[pos + 1:]
    if name == "cut":
        return value[:pos]
    if name == "drop":
        return value[:pos] + value[pos + 1:]
    if name == "ins":
        return value[:pos] + _char(code) + value[pos:]
    if name == "dup":
        return value + value
    if name == "upper":
        return value.upper()
    if name == "pad":
        return " " + value + " "
    if name == "bearer":
        return "Bearer " + value
    return value


def _expand_bytes(data, pool, rng):
    """Markers inside signed claims are expanded too, when they are text."""
    try:
        return expand(data.decode("utf-8"), pool, rng).encode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data


def expand(template, pool, rng):
    """template with every marker replaced, using pool (see Pool.value) for
    live values; None stays None (SQL NULL)."""
    if template is None or "@@" not in template:
        return template
    budget = [MAX_REPEATED_CHARS]

    def one(match):
        kind, arg, ops = match.group(1), match.group(2) or "", match.group(3)
        try:
            if kind == "rep":
                value = _repeat(arg, budget)
            elif kind == "signed":
                value = pool.sign(_expand_bytes(unb64url(arg), pool, rng))
            else:
                value = pool.value(kind, rng)
        except (ValueError, KeyError):
            return match.group(0)   # a malformed marker is just text
        for op in OP.finditer(ops):
            value = _apply_op(value, *op.groups())
        return value

    return MARKER.sub(one, template)
