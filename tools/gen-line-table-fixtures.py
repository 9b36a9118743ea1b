#!/usr/bin/env python3
"""Print a line-table fixture for tests/unit/line_table_test.cpp.

Stdlib only; runs under any CPython 3.8 .. 3.15:

    python3.X tools/gen-line-table-fixtures.py > tests/unit/data/line_tables/<name>.txt

It compiles a varied corpus of functions, runs it under sys.settrace with
f_trace_opcodes enabled, and records for every executed instruction the line the
interpreter itself reported (frame.f_lineno at the 'opcode' event).  That is the
authority.  For instructions the corpus never executes (and CACHE entries) it falls
back on the interpreter's own C decoder, PyCode_Addr2Line (called through ctypes,
before anything runs), which is what tracebacks and the untraced frame.f_lineno use.
The two are cross-checked wherever both exist, and against co_lines() (3.10+); any
disagreement is reported on stderr and fails the run.

Version subtleties this handles:
  * frame.f_lasti is a byte offset in every version 3.8+ (in 3.10 the C field
    f->f_lasti counts code units, but the Python getter multiplies by 2).
  * 3.8/3.9: a traced frame's f_lineno is the line of the last 'line' event, which
    goes stale after a jump into the middle of a line (Objects/lnotab_notes.txt,
    "Tracing"), so f_lineno is read with f_trace cleared; the stale values are kept
    as '#' comments.  From 3.10 on f_lineno is the instruction's own line.
  * 3.12+: setting f_trace_opcodes from inside the tracer has no effect unless some
    frame had it set before sys.settrace() was called.
  * 3.13.1+/3.14+: PyCode_Addr2Line on a code object instrumented for tracing answers
    from the instrumentation data (no line for CACHE units), not from co_linetable.

Output format (one record per line, '#' lines are comments):

    python <version>
    code <name> format <lnotab|linetable310|locations> first_line <n> code_units <n> table <hex>
    at <instr> line <n> <trace|capi>
    at <instr> none <trace|capi>

<instr> is the index of the instruction in 2-byte code units (byte offset / 2).
"""

import sys

MIN_GAP_LINES = 70000  # > 127, > 255, and big enough for a 3-chunk varint in 3.11+

# ---------------------------------------------------------------------------------------------
# The corpus.  Module-level code, class bodies and every function below run under the tracer.

LONG_NAMES = ", ".join("v%d" % i for i in range(180))
CORPUS = r'''
import sys

class Awaitable:
    def __await__(self):
        yield 1
        return 2

def drive(coro):
    try:
        while True:
            coro.send(None)
    except StopIteration as e:
        return e.value

def straight(a, b):
    c = a + b
    d = c * 2
    return d - a

def loops(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            continue
        if i > 7:
            break
        total += i
    else:
        total = -1
    j = 0
    while j < n:
        j += 2
        if j == 100:
            break
    else:
        total += 1
    return total

def multiline_expr(x, y):
    r = (x
         +
         y *
         2)
    s = [
        x,
        y,
        x + y,
    ]
    t = (x
         if x > y else
         y)
    u = foo(
        x,
        y=y,
    ) if callable(foo) else None
    return (r, s, t,
            u)

def foo(a, y=0):
    return a - y

def exceptions(v):
    out = []
    try:
        out.append(1)
        1 / v
    except ZeroDivisionError as e:
        out.append(2)
    except (TypeError,
            ValueError):
        out.append(3)
    else:
        out.append(4)
    finally:
        out.append(5)
    try:
        try:
            raise KeyError(v)
        finally:
            out.append(6)
    except KeyError:
        pass
    return out

class Ctx:
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return True

def withs(v):
    with Ctx() as c, \
            Ctx():
        x = 1
        if v:
            raise RuntimeError
    with Ctx():
        return x

def comprehensions(n):
    a = [i * i for i in range(n)]
    b = {i: i
         for i in range(n)
         if i % 2}
    c = {i for i in range(n)}
    d = list(i for i in
             range(n))
    e = [[j for j in range(i)] for i in range(n)]
    return a, b, c, d, e

def lambdas(n):
    f = lambda x: x + 1
    g = (lambda x,
         y: x * y)
    return f(n), g(n, 2), sorted([3, 1, 2], key=lambda k: -k)

def outer(n):
    k = n
    def inner(m):
        def innermost():
            return k + m
        return innermost()
    return inner(k)

def gen(n):
    for i in range(n):
        yield i
    yield from range(2)
    x = yield
    return x

def run_gen():
    g = gen(3)
    out = list(g)
    g2 = gen(1)
    next(g2); next(g2); next(g2); next(g2)
    try:
        g2.send(5)
    except StopIteration:
        pass
    return out

async def coro(n):
    v = await Awaitable()
    async with AsyncCtx() as a:
        v += a
    async for q in AsyncIter(n):
        v += q
    return v

class AsyncCtx:
    async def __aenter__(self):
        return 1
    async def __aexit__(self, *exc):
        return False

class AsyncIter:
    def __init__(self, n):
        self.n = n
    def __aiter__(self):
        return self
    async def __anext__(self):
        if self.n <= 0:
            raise StopAsyncIteration
        self.n -= 1
        return self.n

def deco(f):
    return f

@deco
@deco
def decorated(x):
    return x

class Klass(object):
    attr = 1
    other = [_ * 2
             for _ in range(attr)]
    def method(self):
        return self.attr

    @staticmethod
    def smethod():
        return 2

    @property
    def prop(self):
        return 3

def ünïcödé(ß, π=3.14):
    λ = ß * π
    変数 = λ + 1
    return 変数

def long_line(''' + LONG_NAMES + r'''):
    x = [''' + LONG_NAMES + r''']
    y = len(x)
    return y

def wide_columns(a):
    b = a;                                                                                                                                  c = b + 1
    return c

def big_gaps(x):
    y = x + 1
''' + "\n" * 200 + r'''
    z = y + 2
''' + "\n" * 130 + r'''
    w = (z +
''' + "\n" * 300 + r'''
         1)
    for i in range(2):
        w += i
''' + "\n" * 400 + r'''
        w -= 1
    return w

def call_gap(a):
    r = max(
        a,
''' + "\n" * 300 + r'''
        a)
    while a < 3:
''' + "\n" * 300 + r'''
        a += 1
    return r

def huge_gap(x):
    a = x
''' + "\n" * MIN_GAP_LINES + r'''
    b = a + 1
    for i in range(2):
        b += 1
''' + "\n" * MIN_GAP_LINES + r'''
        b -= i
    return b
''' + "\n" * 300 + r'''
def after_gaps():
    return 1

def many_branches(x):
''' + "".join(
    "    if x == %d:\n        x += %d\n    else:\n        x -= 1\n" % (i, i) for i in range(120)
) + r'''
    return x

RESULTS = []
RESULTS.append(straight(1, 2))
RESULTS.append(loops(10))
RESULTS.append(loops(1))
RESULTS.append(multiline_expr(1, 2))
RESULTS.append(exceptions(0))
RESULTS.append(exceptions(1))
RESULTS.append(exceptions(None))
RESULTS.append(withs(0))
RESULTS.append(withs(1))
RESULTS.append(comprehensions(4))
RESULTS.append(lambdas(3))
RESULTS.append(outer(2))
RESULTS.append(run_gen())
RESULTS.append(drive(coro(2)))
RESULTS.append(decorated(1))
RESULTS.append((Klass().method(), Klass.smethod(), Klass().prop))
RESULTS.append(ünïcödé(2))
RESULTS.append(long_line(*range(180)))
RESULTS.append(wide_columns(1))
RESULTS.append(big_gaps(1))
RESULTS.append(call_gap(1))
RESULTS.append(huge_gap(1))
RESULTS.append(after_gaps())
RESULTS.append(many_branches(5))
RESULTS.append(many_branches(119))
'''

CORPUS_310 = r'''
def matcher(v):
    match v:
        case [x, y, *rest]:
            return x
        case {"k": k}:
            return k
        case int(n) if n > 2:
            return n
        case _:
            return None

RESULTS.append([matcher(v) for v in ([1, 2, 3], {"k": 1}, 5, 0)])
'''

CORPUS_311 = r'''
def groups():
    out = []
    try:
        raise ExceptionGroup("g", [ValueError(1), TypeError(2)])
    except* ValueError:
        out.append(1)
    except* TypeError:
        out.append(2)
    return out

RESULTS.append(groups())
'''

CORPUS_312 = r'''
def generic[T](x: T) -> T:
    return x

type Alias = list[int]

RESULTS.append(generic(1))
'''


def corpus_source():
    src = CORPUS
    if sys.version_info >= (3, 10):
        src += CORPUS_310
    if sys.version_info >= (3, 11):
        src += CORPUS_311
    if sys.version_info >= (3, 12):
        src += CORPUS_312
    return src


# ---------------------------------------------------------------------------------------------

def table_format():
    if sys.version_info < (3, 8):
        sys.exit("need CPython 3.8+")
    if sys.version_info < (3, 10):
        return "lnotab"
    if sys.version_info < (3, 11):
        return "linetable310"
    return "locations"


def table_bytes(code):
    if sys.version_info < (3, 10):
        return code.co_lnotab
    return code.co_linetable


def walk_code(code, out):
    out.append(code)
    for const in code.co_consts:
        if isinstance(const, type(code)):
            walk_code(const, out)


def capi_addr2line():
    """The interpreter's own PyCode_Addr2Line(code, byte_offset), or None if unavailable."""
    try:
        import ctypes
        fn = ctypes.pythonapi.PyCode_Addr2Line
    except (ImportError, AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.py_object, ctypes.c_int]
    fn.restype = ctypes.c_int

    def addr2line(code, byte_offset):
        line = fn(code, byte_offset)
        return None if line < 0 else line
    return addr2line


def trace_corpus(module_code, codes, untraced_lineno):
    """Run the corpus under sys.settrace; return {id(code): {instr: set(lines reported)}}.

    With untraced_lineno, frame.f_trace is cleared around the f_lineno read so that the getter
    takes its non-tracing path (PyCode_Addr2Line on the frame's live f_lasti).  That matters only
    for 3.8/3.9, where a traced frame's f_lineno is the line of the last 'line' event and goes
    stale after a jump into the middle of a line (see Objects/lnotab_notes.txt, "Tracing").
    From 3.10 on, call_trace() sets f_lineno from the instruction's own line before every event.
    """
    wanted = set(id(c) for c in codes)
    seen = {}

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode" and id(frame.f_code) in wanted:
            if untraced_lineno:
                frame.f_trace = None
                line = frame.f_lineno
                frame.f_trace = tracer
            else:
                line = frame.f_lineno
            instr = frame.f_lasti // 2  # f_lasti is a byte offset in 3.8+ (incl. 3.10)
            seen.setdefault(id(frame.f_code), {}).setdefault(instr, set()).add(line)
        return tracer

    # 3.12+: opcode events are only wired up when sys.settrace() runs after some frame has had
    # f_trace_opcodes set (setting it from inside the tracer is otherwise ignored).
    here = sys._getframe()
    here.f_trace_opcodes = True
    here.f_trace_opcodes = False
    namespace = {"__name__": "line_table_corpus"}
    sys.settrace(tracer)
    try:
        exec(module_code, namespace)
    finally:
        sys.settrace(None)
    return seen


def main():
    fmt = table_format()
    source = corpus_source()
    module_code = compile(source, "<line-table-corpus>", "exec")
    codes = []
    walk_code(module_code, codes)
    # Ask PyCode_Addr2Line before anything runs: once a code object has been instrumented for
    # tracing, 3.13.1+ answers from the instrumentation's per-instruction line data instead of
    # the table, and that has no line for CACHE entries.
    addr2line = capi_addr2line()
    capi = {}
    if addr2line is not None:
        for code in codes:
            capi[id(code)] = {i: addr2line(code, i * 2) for i in range(len(code.co_code) // 2)}
    # Tracing-mode f_lineno, exactly as a debugger sees it.
    traced = trace_corpus(module_code, codes, untraced_lineno=False)
    # 3.8/3.9: the instruction's own line, read from the live frame (see trace_corpus).
    seen = trace_corpus(module_code, codes, True) if sys.version_info < (3, 10) else traced

    errors = []
    out = []
    w = out.append
    w("# stprof line-table fixture, generated by tools/gen-line-table-fixtures.py")
    w("# " + sys.version.replace("\n", " "))
    w("# 'trace' = frame.f_lineno at settrace 'opcode' events (3.8/3.9: read with f_trace cleared);"
      " 'capi' = PyCode_Addr2Line, for instructions never executed")
    w("python %d.%d.%d" % sys.version_info[:3])
    n_codes = n_trace = n_capi = 0
    for index, code in enumerate(codes):
        name = getattr(code, "co_qualname", code.co_name)
        label = "%d:%s" % (index, name.replace(" ", "_"))
        units = len(code.co_code) // 2
        table = table_bytes(code)
        observed = seen.get(id(code), {})
        capi_lines = capi.get(id(code), {})
        if not observed and not capi_lines:
            continue
        n_codes += 1
        w("code %s format %s first_line %d code_units %d table %s"
          % (label, fmt, code.co_firstlineno, units, table.hex()))
        for instr in sorted(traced.get(id(code), {})):
            debugger_lines = traced[id(code)][instr]
            if debugger_lines != observed.get(instr):
                w("# at %d: tracing-mode f_lineno was %s (line of the last 'line' event)"
                  % (instr, "/".join(sorted(map(str, debugger_lines)))))
        for instr in range(units):
            if instr in observed:
                lines = observed[instr]
                if len(lines) != 1:
                    errors.append("%s instr %d: tracer reported several lines %r"
                                  % (label, instr, sorted(lines, key=str)))
                line = next(iter(lines))
                if capi_lines and capi_lines[instr] != line:
                    errors.append("%s instr %d: tracer says %r, PyCode_Addr2Line says %r"
                                  % (label, instr, line, capi_lines[instr]))
                src = "trace"
                n_trace += 1
            elif instr in capi_lines:
                line = capi_lines[instr]
                src = "capi"
                n_capi += 1
            else:
                continue
            w("at %d %s %s" % (instr, "none" if line is None else "line %d" % line, src))
        # Secondary cross-check: co_lines() is the interpreter's PEP 626 view of the same table.
        if hasattr(code, "co_lines") and capi_lines:
            for start, end, line in code.co_lines():
                for instr in range(start // 2, end // 2):
                    if capi_lines.get(instr, line) != line:
                        errors.append("%s instr %d: co_lines says %r, PyCode_Addr2Line says %r"
                                      % (label, instr, line, capi_lines[instr]))
    sys.stdout.write("\n".join(out) + "\n")
    sys.stderr.write("%s: %d code objects, %d traced + %d capi instruction checks\n"
                     % (sys.version.split()[0], n_codes, n_trace, n_capi))
    for e in errors:
        sys.stderr.write("DISAGREEMENT: %s\n" % e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
