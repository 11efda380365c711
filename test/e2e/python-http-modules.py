"""Prints the files of the standard library `python3 -S -m http.server` loads to serve a file: runs http.server as
__main__ (argument parsing, address lookup, bind) in a thread on a free 127.0.0.1 port, serves one GET, then lists
every loaded module's source and compiled file, one a line. test/e2e/rootfs.ts copies them into a root file system.
Run with the same interpreter and flags as the container (-S -B)."""
import os
import runpy
import socket
import sys
import threading
import time

with socket.socket() as probe:
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]

sys.argv = ['http.server', '--bind', '127.0.0.1', '--directory', os.path.dirname(os.__file__), str(port)]
threading.Thread(target=runpy.run_module, args=('http.server',), kwargs={'run_name': '__main__', 'alter_sys': True},
                 daemon=True).start()

reply = b''
for _ in range(200):
    try:
        with socket.create_connection(('127.0.0.1', port)) as client:
            client.sendall(b'GET /os.py HTTP/1.0\r\n\r\n')
            while chunk := client.recv(65536):
                reply += chunk
        break
    except ConnectionRefusedError:
        time.sleep(0.02)
if not reply.startswith(b'HTTP/1.0 200'):
    sys.exit(f'http.server did not serve os.py: {reply[:200]!r}')

for module in list(sys.modules.values()):
    for file in (getattr(module, '__file__', None), getattr(module, '__cached__', None)):
        if file:
            print(file)
sys.stdout.flush()
os._exit(0)
