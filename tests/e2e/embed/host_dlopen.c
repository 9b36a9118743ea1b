/* host_dlopen — a program with no link-time dependency on Python that loads
 * libpython3.11.so.1.0 with dlopen(RTLD_NOW | RTLD_GLOBAL) at run time, as plugin hosts do, and
 * drives it through dlsym: Py_Initialize, sys.argv, PyRun_SimpleString.
 *
 * Usage: host_dlopen SCRIPT [ARG...]
 * sys.argv = [SCRIPT, ARG...]; the string run by PyRun_SimpleString (file "<string>") compiles
 * SCRIPT and execs it in __main__, so a profile shows `<module> (<string>)` above the script's
 * own `<module>`. stdin/stdout are the host's. Exit status: 0 when the script ran to the end,
 * 1 when it raised, 2 on a bad command line or when libpython cannot be loaded.
 *
 * With STPROF_HOST_DLOPEN_WAIT=1 in the environment the host first prints "waiting <pid>" and
 * reads one line from stdin before loading libpython: a process that becomes a Python process
 * long after it started. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIBPYTHON "libpython3.11.so.1.0"

/* The few entry points used, declared by hand: this program is built without Python headers. */
typedef struct PyObject PyObject;
typedef long Py_ssize_t;
typedef void (*InitializeFn)(void);
typedef int (*FinalizeFn)(void);
typedef int (*RunStringFn)(const char *);
typedef PyObject *(*ListNewFn)(Py_ssize_t);
typedef int (*ListSetItemFn)(PyObject *, Py_ssize_t, PyObject *);
typedef PyObject *(*DecodeFn)(const char *);
typedef int (*SysSetObjectFn)(const char *, PyObject *);
typedef void (*DecRefFn)(PyObject *);

static const char kRunScript[] =
    "import sys\n"
    "__file__ = sys.argv[0]\n"
    "with open(__file__, 'rb') as script:\n"
    "    code = compile(script.read(), __file__, 'exec')\n"
    "exec(code)\n";

/* One line from stdin, read byte by byte so nothing the script should read is consumed. */
static void wait_for_line(void) {
  printf("waiting %d\n", (int)getpid());
  fflush(stdout);
  char c;
  while (read(STDIN_FILENO, &c, 1) == 1 && c != '\n') {
  }
}

static void *need(void *library, const char *name) {
  void *symbol = dlsym(library, name);
  if (!symbol) {
    fprintf(stderr, "host_dlopen: %s has no %s: %s\n", LIBPYTHON, name, dlerror());
    exit(2);
  }
  return symbol;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARG...]\n", argv[0]);
    return 2;
  }
  /* Unbuffered stdio, like `python -u` (read by Py_Initialize). */
  setenv("PYTHONUNBUFFERED", "1", 1);

  const char *wait = getenv("STPROF_HOST_DLOPEN_WAIT");
  if (wait && strcmp(wait, "1") == 0) wait_for_line();

  void *library = dlopen(LIBPYTHON, RTLD_NOW | RTLD_GLOBAL);
  if (!library) {
    fprintf(stderr, "host_dlopen: cannot load %s: %s\n", LIBPYTHON, dlerror());
    return 2;
  }
  InitializeFn initialize = (InitializeFn)need(library, "Py_Initialize");
  FinalizeFn finalize = (FinalizeFn)need(library, "Py_FinalizeEx");
  RunStringFn run_string = (RunStringFn)need(library, "PyRun_SimpleString");
  ListNewFn list_new = (ListNewFn)need(library, "PyList_New");
  ListSetItemFn list_set = (ListSetItemFn)need(library, "PyList_SetItem");
  DecodeFn decode = (DecodeFn)need(library, "PyUnicode_DecodeFSDefault");
  SysSetObjectFn sys_set = (SysSetObjectFn)need(library, "PySys_SetObject");
  DecRefFn decref = (DecRefFn)need(library, "Py_DecRef");

  initialize();
  PyObject *args = list_new(argc - 1);
  for (int i = 1; args && i < argc; i++) {
    PyObject *arg = decode(argv[i]);
    if (!arg || list_set(args, i - 1, arg) != 0) { /* PyList_SetItem steals arg */
      decref(args);
      args = NULL;
    }
  }
  if (!args || sys_set("argv", args) != 0) {
    fprintf(stderr, "host_dlopen: cannot set sys.argv\n");
    return 2;
  }
  decref(args);

  int failed = run_string(kRunScript);
  if (finalize() < 0) failed = 1;
  return failed ? 1 : 0;
}
