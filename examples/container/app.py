"""The example container's web server: answers every GET with a line."""

import http.server
import os
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from a daemon tend runs\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


port = int(sys.argv[1])
host = os.environ.get("HOST", "0.0.0.0")
server = http.server.ThreadingHTTPServer((host, port), Handler)
print("serving on %s:%d" % (host, port), flush=True)
server.serve_forever()
