"""Prints 'ready <pid>', then blocks reading stdin until a line arrives or stdin closes, and exits.
Runs on any CPython, 2.7 included (for the tests of interpreters stprof-bpf does not support).
Usage: waiting.py"""
import os
import sys

sys.stdout.write("ready %d\n" % os.getpid())
sys.stdout.flush()
sys.stdin.readline()
