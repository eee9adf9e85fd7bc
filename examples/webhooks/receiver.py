"""A webhook receiver that checks each delivery with verify.py.

Usage: receiver.py SECRET_FILE. Prints `listening PORT`, then one line per
request: `verified EVENT_ID` (answered 204) or `rejected` (answered 400).
The secret is read from SECRET_FILE when a request arrives.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from verify import verify


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[1]) as f:
            secret = f.read().strip()
        if verify(secret, self.headers.get("Customerd-Signature", ""), body):
            print("verified", json.loads(body)["id"], flush=True)
            self.send_response(204)
        else:
            print("rejected", flush=True)
            self.send_response(400)
        self.end_headers()

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print("listening", server.server_address[1], flush=True)
server.serve_forever()
