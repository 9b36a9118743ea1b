"""COUNT threads asleep in time.sleep() and the main thread blocked reading stdin, all from before
`ready` until the test ends them. Usage: sleepers.py COUNT. Prints "ready TID" then the native
ids of the sleepers on one line."""
import sys
import threading
import time

TIDS = []


def sleep_long():
    TIDS.append(threading.get_native_id())
    time.sleep(3600)


def main():
    for _ in range(int(sys.argv[1])):
        threading.Thread(target=sleep_long, daemon=True).start()
    while len(TIDS) < int(sys.argv[1]):
        time.sleep(0.01)
    time.sleep(0.2)  # all asleep by now
    print("ready", threading.get_native_id(), *TIDS, flush=True)
    sys.stdin.buffer.readline()


main()
