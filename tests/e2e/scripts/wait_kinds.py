"""The main thread runs, ROUNDS times over, one function per kind of waiting, each about 30 ms,
and times every call with time.perf_counter(): nap() sleeps, read_pipe() blocks in a read of a
pipe a helper thread writes to 30 ms later, take_lock() waits for a threading.Lock a helper
holds for 30 ms, ask_server() waits for the reply of a local server that answers after 30 ms,
wait_child() waits for a child process that sleeps 30 ms, compute() burns CPU.
Usage: wait_kinds.py ROUNDS. Result: {"tid": the main thread's native id, "seconds": function ->
seconds spent in its calls}."""
import json
import os
import socket
import subprocess
import sys
import threading
import time

DELAY = 0.03
SPENT = {}


def timed(function):
    def call(*args):
        start = time.perf_counter()
        function(*args)
        SPENT[function.__name__] = SPENT.get(function.__name__, 0.0) + time.perf_counter() - start
    return call


def later(action):
    """Runs action() on a helper thread after DELAY."""
    def run():
        time.sleep(DELAY)
        action()
    helper = threading.Thread(target=run)
    helper.start()
    return helper


@timed
def nap():
    time.sleep(DELAY)


@timed
def read_pipe(read_end, write_end):
    helper = later(lambda: os.write(write_end, b"x"))
    os.read(read_end, 1)
    helper.join()


@timed
def take_lock(lock, held):
    helper = threading.Thread(target=hold, args=(lock, held))
    helper.start()
    held.wait()
    lock.acquire()
    lock.release()
    helper.join()
    held.clear()


def hold(lock, held):
    with lock:
        held.set()
        time.sleep(DELAY)


@timed
def ask_server(client):
    client.sendall(b"?")
    client.recv(1)


def serve(server):
    while server.recv(1):
        time.sleep(DELAY)
        server.sendall(b"!")


@timed
def wait_child():
    subprocess.run(["sleep", str(DELAY)], check=True)


@timed
def compute():
    end = time.perf_counter() + DELAY
    total = 0
    while time.perf_counter() < end:
        for i in range(100):
            total += i


def main():
    rounds = int(sys.argv[1])
    read_end, write_end = os.pipe()
    lock, held = threading.Lock(), threading.Event()
    client, server = socket.socketpair()
    server_thread = threading.Thread(target=serve, args=(server,))
    server_thread.start()
    print("ready", threading.get_native_id(), flush=True)
    sys.stdin.buffer.readline()  # bytes: text would run codecs.py decode() in the profile
    for _ in range(rounds):
        nap()
        read_pipe(read_end, write_end)
        take_lock(lock, held)
        ask_server(client)
        wait_child()
        compute()
    client.close()
    server_thread.join()
    print("result", json.dumps({"tid": threading.get_native_id(), "seconds": SPENT}), flush=True)


main()
