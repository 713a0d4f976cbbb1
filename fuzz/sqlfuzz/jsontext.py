# jsontext: writes JSON text with the freedom a fuzzer needs and the json
# module refuses: objects with repeated keys, numbers no float can hold
# (1e999999), escapes PostgreSQL rejects (\u0000, lone surrogates), and
# random whitespace.  Values are plain Python (dict, list, str, int, float,
# bool, None) plus the two wrappers below.


class Raw(str):
    """JSON text put in verbatim, e.g. Raw('1e999999') or Raw('"\\ud800"')."""


class Obj(list):
    """An object as a list of (key, value) pairs, so keys may repeat."""


WHITESPACE = ["", "", "", " ", "\n", "\t", "\r\n ", "  "]

SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r",
                 "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def quote(text, ascii_only=False):
    """A JSON string literal for text; \\u escapes for control characters
    (a raw NUL too) and, with ascii_only, for everything past ASCII."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in SHORT_ESCAPES:
            out.append(SHORT_ESCAPES[ch])
        elif code < 0x20 or (ascii_only and code > 0x7e):
            out.append(escape_code_point(code))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def escape_code_point(code):
    """\\uXXXX, or a surrogate pair of them past the BMP."""
    if code < 0x10000:
        return "\\u%04x" % code
    code -= 0x10000
    return "\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def dump(value, rng=None, ascii_only=False):
    """JSON text of value; with rng, random whitespace between tokens."""
    space = (lambda: rng.choice(WHITESPACE)) if rng else (lambda: "")
    return _dump(value, space, ascii_only)


def _dump(value, space, ascii_only):
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return quote(value, ascii_only)
    if isinstance(value, (dict, Obj)):
        pairs = value.items() if isinstance(value, dict) else value
        inner = ("," + space()).join(
            space() + _dump(k if isinstance(k, Raw) else str(k), space, ascii_only)
            + space() + ":" + space() + _dump(v, space, ascii_only)
            for k, v in pairs)
        return "{" + inner + space() + "}"
    if isinstance(value, (list, tuple)):
        inner = ("," + space()).join(space() + _dump(v, space, ascii_only) for v in value)
        return "[" + inner + space() + "]"
    raise TypeError("cannot write %r as JSON" % (value,))
