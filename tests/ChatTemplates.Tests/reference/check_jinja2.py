"""Checks tests/ChatTemplates.Tests/cases/features.json, and reference/expected.json where the npm test data is
installed, against Python's Jinja2 set up as transformers sets it
up for apply_chat_template (an ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop controls,
its tojson filter, raise_exception and strftime_now). A development aid, not part of the test run:

    python3 tests/ChatTemplates.Tests/reference/check_jinja2.py [--write]

Where Python's rendering of a reference case differs from @huggingface/jinja's (the JavaScript renderer ignores
the characters argument of str.strip/lstrip/rstrip, for one), --write records Python's in expected.json as
"python_expected": transformers renders with Python, so that is what the C# tests then expect.

Cases marked "lenient" follow Hugging Face's JavaScript renderer where Python's Jinja raises (an attribute of an
undefined value is undefined), so Python is expected to disagree with them.
"""
import datetime
import json
import os
import sys

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    """transformers' {% generation %} tag, reduced to what a render sees: its body."""

    tags = {"generation"}

    def parse(self, parser):
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols, Generation])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.datetime(2024, 7, 26, 9, 5, 3).strftime(fmt)
    return env


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "cases", "features.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    env = environment()
    failures = 0
    for case in cases:
        try:
            got = env.from_string(case["template"]).render(**case.get("vars", {}))
            error = None
        except Exception as e:  # noqa: BLE001 - any failure is an outcome to compare
            got, error = None, f"{type(e).__name__}: {e}"
        if "error" in case:
            ok = error is not None and (case.get("kind") != "raised" or case["error"] in error)
        else:
            ok = error is None and got == case["expected"]
        if case.get("lenient"):
            ok = not ok
        if not ok:
            failures += 1
            print(f"DISAGREES: {case['name']}\n  template: {case['template']!r}\n  expected: {case.get('expected', case.get('error'))!r}\n  jinja2:   {got if error is None else error!r}")
    print(f"features: {len(cases) - failures} agree, {failures} disagree")
    return 1 if failures + check_reference(here, env, "--write" in sys.argv) else 0


def check_reference(here, env, write):
    """The real-template cases: Python's rendering should equal what @huggingface/jinja wrote."""
    node_modules = os.path.join(here, "..", "..", "data", "node_modules")
    if not os.path.isdir(node_modules):
        print("reference: skipped (npm ci --prefix tests/data installs the templates)")
        return 0
    with open(os.path.join(here, "expected.json"), encoding="utf-8") as f:
        fixture = json.load(f)
    cases = fixture["cases"]
    failures = 0
    recorded = 0
    for case in cases:
        with open(os.path.join(node_modules, *case["package"].split("/"), "models", "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        template = config["chat_template"]
        if not isinstance(template, str):
            template = next(t["template"] for t in template if t["name"] == "default")
        variables = {"messages": case["messages"], "tools": case["tools"], "documents": None, "add_generation_prompt": True}
        for key in ("bos_token", "eos_token"):
            token = config.get(key)
            token = token.get("content") if isinstance(token, dict) else token
            if token is not None:
                variables[key] = token
        variables.update(case["variables"])
        try:
            got, error = env.from_string(template).render(**variables), None
        except jinja2.exceptions.TemplateError as e:
            got, error = None, str(e)
        if got == case.get("expected") and error == case.get("error"):
            continue
        if error is None and (write or case.get("python_expected") == got):
            case["python_expected"] = got
            recorded += 1
            continue
        failures += 1
        print(f"DISAGREES: {case['name']}\n  @huggingface/jinja: {case.get('expected', case.get('error'))!r}\n  jinja2:             {got if error is None else error!r}")
    if write:
        with open(os.path.join(here, "expected.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(fixture, ensure_ascii=False, indent=2) + "\n")
    print(f"reference: {len(cases) - failures - recorded} agree, {recorded} differ where Python's rendering is recorded, {failures} disagree")
    return failures


if __name__ == "__main__":
    sys.exit(main())
