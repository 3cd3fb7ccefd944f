# Receives sd_notify datagrams on a unix socket (path in argv[1]) and prints each as one JSON
# string per line, so that a test can split messages that carry newlines.
import json, os, socket, sys
path = sys.argv[1]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
print(json.dumps("LISTENING"), flush=True)
while True:
    data = sock.recv(65536)
    print(json.dumps(data.decode("utf-8", "replace")), flush=True)
