"""Real programs that are not ours, from Debian's python3 packages: docutils rendering a long
reST document to HTML, Pygments highlighting the interpreter's own standard library, Jinja2
compiling and rendering templates. Inputs are generated or taken from the interpreter's own
files, so every run does the same work. Protocol: "ready PID" after the imports and one warm-up
round, a line on stdin, SECONDS of work, then "result {json}" with the rounds done.
Usage: real.py docutils|pygments|jinja2 SECONDS"""
import json
import os
import sys
import sysconfig
import time

WORDS = ("profile sample frame stack kernel thread interpreter function module object "
         "counter window share error signal process memory code line table").split()


def _words(seed, count):
    return " ".join(WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(count))


def rest_document(sections=40):
    """A reST document with the constructs docutils spends its time on: titles, paragraphs with
    inline markup, nested lists, a grid of simple tables, literal blocks, references, notes."""
    parts = ["=" * 30, "Generated document", "=" * 30, "", ".. contents::", ""]
    for s in range(sections):
        title = "Section %d: %s" % (s, _words(s, 3))
        parts += [title, "-" * len(title), ""]
        for p in range(4):
            parts += ["This *paragraph* %d has **strong** words, ``literals``, a link_ and a "
                      "footnote [#]_. %s." % (p, _words(s + p, 30)), ""]
        parts += ["- item %d with *emphasis*\n\n  - nested %s" % (i, _words(i, 4)) for i in range(6)]
        parts += ["", "=====  =====  ======", "A      B      A or B", "=====  =====  ======"]
        parts += ["%-5s  %-5s  %s" % (i % 2 == 0, i % 3 == 0, i % 5 == 0) for i in range(8)]
        parts += ["=====  =====  ======", "", "::", ""]
        parts += ["    def f%d(x):\n        return x * %d" % (s, s), ""]
        parts += [".. note:: %s" % _words(s, 12), "", ".. [#] %s" % _words(s, 8), ""]
    parts += [".. _link: https://docutils.sourceforge.io/", ""]
    return "\n".join(parts)


def docutils_round(state):
    from docutils.core import publish_string
    publish_string(state, writer_name="html5",
                   settings_overrides={"report_level": 5, "halt_level": 5, "output_encoding": "unicode"})


def stdlib_sources(limit=12):
    """The largest .py files of the interpreter's own standard library (the same in every run)."""
    directory = sysconfig.get_paths()["stdlib"]
    files = sorted((os.path.getsize(os.path.join(directory, name)), name)
                   for name in os.listdir(directory) if name.endswith(".py"))
    texts = []
    for _, name in files[-limit:]:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            texts.append(f.read())
    return texts


def pygments_round(state):
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    state["index"] = (state["index"] + 1) % len(state["texts"])
    highlight(state["texts"][state["index"]], PythonLexer(), HtmlFormatter(linenos=True))


TEMPLATES = {
    "base.html": """<html><head><title>{% block title %}{% endblock %}</title></head>
<body>{% block body %}{% endblock %}</body></html>""",
    "macros.html": """{% macro row(item, loop) -%}
<tr class="{{ loop.cycle('odd', 'even') }}"><td>{{ loop.index }}</td><td>{{ item.name|title }}</td>
<td>{{ item.price|round(2) }}</td><td>{{ item.tags|sort|join(', ')|e }}</td>
<td>{% if item.stock > 10 %}plenty{% elif item.stock %}{{ item.stock }} left{% else %}none{% endif %}</td></tr>
{%- endmacro %}""",
    "page.html": """{% extends "base.html" %}{% from "macros.html" import row %}
{% block title %}{{ title|upper }}{% endblock %}
{% block body %}{% for group in items|groupby('category') %}
<h2>{{ group.grouper }} ({{ group.list|length }})</h2><table>
{% for item in group.list %}{{ row(item, loop) }}{% endfor %}</table>
<p>Total {{ group.list|sum(attribute='price')|round(2) }}</p>{% endfor %}{% endblock %}""",
}


def jinja2_round(state):
    """A fresh environment each round, so its lexer, parser and code generator run as well as
    the generated template code."""
    import jinja2
    environment = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True)
    environment.get_template("page.html").render(title="catalogue", items=state)


def catalogue(count=400):
    return [{"name": _words(i, 2), "price": (i * 37 % 1000) / 7.0, "stock": i % 17,
             "category": WORDS[i % 6], "tags": _words(i, 3).split()} for i in range(count)]


PROGRAMS = {
    "docutils": (docutils_round, rest_document),
    "pygments": (pygments_round, lambda: {"texts": stdlib_sources(), "index": 0}),
    "jinja2": (jinja2_round, catalogue),
}


def main():
    work, make_state = PROGRAMS[sys.argv[1]]
    state = make_state()
    work(state)  # imports and first-time compilation before the measured window
    print("ready", os.getpid(), flush=True)
    sys.stdin.readline()
    rounds, end = 0, time.monotonic() + float(sys.argv[2])
    while time.monotonic() < end:
        work(state)
        rounds += 1
    print("result", json.dumps({"rounds": rounds}), flush=True)


main()
