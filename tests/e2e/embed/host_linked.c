/* host_linked — a program that links libpython3.11 and runs a script in it, the way an
 * application embeds CPython: Py_InitializeFromConfig, then PyRun_SimpleFile.
 *
 * Usage: host_linked SCRIPT [ARG...]
 * The script runs as __main__ with sys.argv = [SCRIPT, ARG...] and the host's stdin/stdout
 * (unbuffered, like `python -u`), so the e2e workload scripts run unchanged. The process's comm
 * is this program's name, not python. Exit status: 0 when the script ran to the end, 1 when it
 * raised, 2 on a bad command line or a failed start. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int start_failed(PyConfig *config, PyStatus status) {
  PyConfig_Clear(config);
  fprintf(stderr, "host_linked: cannot start Python: %s\n",
          status.err_msg ? status.err_msg : "unknown error");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SCRIPT [ARG...]\n", argv[0]);
    return 2;
  }
  const char *script = argv[1];
  FILE *file = fopen(script, "rb");
  if (!file) {
    fprintf(stderr, "host_linked: cannot open %s: %s\n", script, strerror(errno));
    return 2;
  }

  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.parse_argv = 0;      /* argv is the script's, not options for the interpreter */
  config.buffered_stdio = 0;  /* like -u: "ready" must reach the test before "go" is sent */
  PyStatus status = PyConfig_SetBytesArgv(&config, argc - 1, argv + 1);
  if (PyStatus_Exception(status)) return start_failed(&config, status);
  status = Py_InitializeFromConfig(&config);
  if (PyStatus_Exception(status)) return start_failed(&config, status);
  PyConfig_Clear(&config);

  /* Runs in __main__, sets __file__; closes the file. */
  int failed = PyRun_SimpleFileExFlags(file, script, 1, NULL);
  if (Py_FinalizeEx() < 0) failed = 1;
  return failed ? 1 : 0;
}
