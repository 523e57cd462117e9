#!/usr/bin/env python3
"""Writes json_corpus.json: documents judged by a strict reference built on Python's `json`.

Run from anywhere (the standard library only; the seed makes the file the same every time):
    python3 Tests/SlackAPITests/Fixtures/make_json_corpus.py
The Swift tests require JSONScanner.validate to give every verdict recorded here. The end-to-end
test tests/e2e/test_http_edges.py imports `corpus()` and `verdict()` to post the same kind of
documents to Herald's three intakes.

The reference is Herald's grammar in Python's words: `json.loads` on the body decoded as strict
UTF-8, with no NaN or Infinity (`parse_constant`), no key twice in one object after Unicode
normalization (NFC, since Swift compares strings canonically; `object_pairs_hook`), no string
holding half a surrogate pair (Python's `json` lets `\\ud800` through), and at most 512 levels.
"""

import base64
import json
import pathlib
import random
import sys
import unicodedata

MAX_DEPTH = 512
SEED = 8259


class Refused(Exception):
    def __init__(self, why):
        super().__init__(why)
        self.why = why


def _pairs(pairs):
    seen = set()
    for key, _ in pairs:
        normalized = unicodedata.normalize("NFC", key)
        if normalized in seen:
            raise Refused("repeated key")
        seen.add(normalized)
    return dict(pairs)


def _constant(name):
    raise Refused("constant " + name)


def _check(value, depth):
    """Raises for a lone surrogate anywhere, or nesting past MAX_DEPTH."""
    stack = [(value, depth)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level + 1 > MAX_DEPTH:
                raise Refused("too deep")
            children = list(item.items()) if isinstance(item, dict) else [(None, v) for v in item]
            for key, child in children:
                if key is not None:
                    _text(key)
                stack.append((child, level + 1))
        elif isinstance(item, str):
            _text(item)


def _text(s):
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused("lone surrogate") from None


def verdict(doc: bytes):
    """(valid, why) for one document under the reference."""
    try:
        text = doc.decode("utf-8")
    except UnicodeDecodeError:
        return False, "invalid utf-8"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(10_000)
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
        _check(value, 0)
        return True, "valid"
    except Refused as refused:
        return False, refused.why
    except (ValueError, RecursionError) as error:
        return False, type(error).__name__
    finally:
        sys.setrecursionlimit(old)


# --- generation -----------------------------------------------------------------------------------

KEYS = ["a", "b", "type", "title", "action", "tags", "x", "é", "e\u0301", "Å", "A\u030a", "🔥", "k y", "", "\u00e9t\u00e9"]
NUMBERS = ["0", "-0", "1", "-1", "12", "3.25", "-0.5", "1e3", "1E+3", "2e-3", "1.5e300", "1e999", "-1e999", "123456789012345678901234567890"]
STRINGS = ['""', '"plain"', '"caf\\u00e9"', '"\\ud83d\\udd25"', '"tab\\tnl\\n\\"q\\" \\\\ \\/ \\b\\f\\r"', '"\\u0000"',
           '"été 🔥"', '"e\u0301"', '"\\u00E9"']
# The probe classes, each a value put where Herald ignores it.
PROBES = ["01", "1.", "-", "1e", "--1", "+1", ".5", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "tru", "nul", "True",
          '"\\q"', '"\\uZZZZ"', '"\\u12"', '"\\ud800"', '"\\udc00"', '"\\ud800\\u0041"', '"\\ud800x"',
          "[1,]", '{"a":1,}', "[,1]", "{,}", "[1 2]", '{"a" 1}', '{"a":1 "b":2}', "[1,,2]", '{"a":1,"a":2}',
          '{"é":1,"e\u0301":2}', '{"a":{"b":1,"b":2}}', "'x'", "[]", "{}", "null", "1e999", "-0", '"\\u0000"', '"\\/"']
RAW_PROBES = [b'"\xff"', b'"\xc3"', b'"\xed\xa0\x80"', b'"\x01"', b'"a\tb"', b'"\x7f"', b'"\xe2\x82"', b'\xef\xbb\xbf{}']


def _ws(rng):
    return rng.choice(["", "", "", " ", "\n", "\t", "\r\n  "])


def _value(rng, depth):
    roll = rng.random()
    if depth > 4 or roll < 0.45:
        return rng.choice([rng.choice(NUMBERS), rng.choice(STRINGS), "true", "false", "null"])
    if roll < 0.75:
        n = rng.randint(0, 4)
        keys = rng.sample(KEYS, k=min(n, len(KEYS)))
        # A canonical pair (é / e + combining acute) in one object is a repeated key: keep at most one.
        seen, members = set(), []
        for key in keys:
            normalized = unicodedata.normalize("NFC", key)
            if normalized in seen:
                continue
            seen.add(normalized)
            members.append(_ws(rng) + json.dumps(key, ensure_ascii=rng.random() < 0.5) + _ws(rng) + ":" + _ws(rng) + _value(rng, depth + 1))
        return "{" + ",".join(members) + _ws(rng) + "}"
    return "[" + ",".join(_ws(rng) + _value(rng, depth + 1) for _ in range(rng.randint(0, 4))) + _ws(rng) + "]"


def _mangle(rng, doc: bytes) -> bytes:
    pieces = list(b'{}[]",:\\ 0123456789.eE+-tfnulrabd') + [0x00, 0x09, 0x0A, 0xC3, 0xFF]
    out = bytearray(doc)
    for _ in range(rng.randint(1, 3)):
        if not out:
            break
        i = rng.randrange(len(out))
        op = rng.randrange(4)
        if op == 0:
            out[i] = rng.choice(pieces)
        elif op == 1:
            del out[i]
        elif op == 2:
            out.insert(i, rng.choice(pieces))
        else:
            del out[i:]
    return bytes(out)


def corpus(seed=SEED, random_count=900, mangled_count=900):
    """(name, bytes) pairs: the probe classes inside an event, then random documents, then mangled ones."""
    rng = random.Random(seed)
    docs = []
    head = '{"type":"notification","title":"t","ignored":'
    for i, probe in enumerate(PROBES):
        docs.append((f"probe {probe}", (head + probe + "}").encode()))
        # The same probe deeper, and in an array.
        docs.append((f"probe {probe} nested", ('{"type":"notification","title":"t","x":[{"y":' + probe + "}]}").encode()))
    for probe in RAW_PROBES:
        docs.append((f"raw probe {probe!r}", head.encode() + probe + b"}"))
    for depth in (64, 65, 511, 512, 513, 600):
        docs.append((f"depth {depth}", ("[" * depth + "]" * depth).encode()))
        docs.append((f"object depth {depth}", ('{"a":' * depth + "1" + "}" * depth).encode()))
    for name, text in [("empty", ""), ("whitespace", " \n\t"), ("extra data", '{"a":1} x'), ("two values", "{}{}"),
                       ("scalar", '"x"'), ("form feed", "\f{}"), ("nbsp", "\u00a0{}")]:
        docs.append((name, text.encode()))
    for i in range(random_count):
        docs.append((f"random {i}", (_ws(rng) + _value(rng, 0) + _ws(rng)).encode()))
    for i in range(mangled_count):
        base = (_value(rng, 0)).encode()
        docs.append((f"mangled {i}", _mangle(rng, base)))
    return docs


def main():
    cases = []
    for name, doc in corpus():
        valid, why = verdict(doc)
        cases.append({"name": name, "base64": base64.b64encode(doc).decode(), "valid": valid, "why": why})
    out = pathlib.Path(__file__).with_name("json_corpus.json")
    out.write_text(json.dumps({"generator": f"Python {sys.version.split()[0]} json, seed {SEED}", "cases": cases}, indent=0) + "\n")
    valid = sum(c["valid"] for c in cases)
    print(f"wrote {out} ({len(cases)} documents, {valid} valid)")


if __name__ == "__main__":
    main()
