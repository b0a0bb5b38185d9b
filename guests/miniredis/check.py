#!/usr/bin/env python3
"""Protocol test for miniredis.

Usage: check.py [LAUNCHER...] PROGRAM
  e.g. check.py qemu-riscv64 guests/bin/miniredis.elf
       check.py /tmp/miniredis            (host build)

Starts the server on a free loopback port (23870..23899), runs RESP2 /
inline / pipelining / expiry / error-wording / malformed-input checks, then
sends SHUTDOWN and requires exit code 0 and exactly one line on stdout.
"""
import os
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=30)
        self.buf = b""

    def _fill(self):
        d = self.s.recv(1 << 20)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        ln, self.buf = self.buf[: i + 2], self.buf[i + 2:]
        return ln

    def reply(self):
        ln = self.line()
        out = ln
        if ln[:1] == b"$":
            n = int(ln[1:-2])
            if n >= 0:
                while len(self.buf) < n + 2:
                    self._fill()
                out += self.buf[: n + 2]
                self.buf = self.buf[n + 2:]
        elif ln[:1] == b"*":
            for _ in range(max(int(ln[1:-2]), 0)):
                out += self.reply()
        return out

    def q(self, *args):
        self.s.sendall(enc(*args))
        return self.reply()

    def raw_until_close(self, data, wait=2.0):
        self.s.sendall(data)
        self.s.settimeout(wait)
        got = self.buf
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return got + b"<EOF>"
                got += d
        except socket.timeout:
            return got
        except ConnectionResetError:
            return got + b"<EOF>"

    def close(self):
        self.s.close()


FAILS = []


def check(got, exp, what):
    if got != exp:
        FAILS.append(what)
        print("FAIL %s: got %r expected %r" % (what, got[:300], exp[:300]))


def start(cmd):
    for port in range(23870, 23900):
        p = subprocess.Popen(cmd + ["--port", str(port), "--bind", HOST],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = p.stdout.readline()
        if line == b"miniredis listening on port %d\n" % port:
            return p, port
        p.wait(timeout=10)
    raise SystemExit("could not start server")


def main():
    cmd = sys.argv[1:]
    if not cmd:
        raise SystemExit(__doc__)
    proc, port = start(cmd)
    try:
        run(port)
        c = Conn(port)
        c.s.sendall(enc("SHUTDOWN", "NOSAVE"))
        rc = proc.wait(timeout=30)
        rest = proc.stdout.read()
        check(rc, 0, "shutdown exit code")
        check(rest, b"", "no further stdout")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if FAILS:
        print("miniredis check: %d failure(s)" % len(FAILS))
        return 1
    print("miniredis check: all passed")
    return 0


def run(port):
    c = Conn(port)
    check(c.q("PING"), b"+PONG\r\n", "ping")
    check(c.q("ping", "hi"), b"$2\r\nhi\r\n", "ping msg")
    check(c.q("SET", "k", "v"), b"+OK\r\n", "set")
    check(c.q("GET", "k"), b"$1\r\nv\r\n", "get")
    check(c.q("GET", "nokey"), b"$-1\r\n", "get missing")
    bk, bv = b"b\x00k\r\n", bytes(range(256)) * 9
    check(c.q("SET", bk, bv), b"+OK\r\n", "binary set")
    check(c.q("GET", bk), b"$%d\r\n%s\r\n" % (len(bv), bv), "binary get")
    big = os.urandom(2 * 1024 * 1024)
    check(c.q("SET", "big", big), b"+OK\r\n", "big set")
    check(c.q("GET", "big"), b"$%d\r\n%s\r\n" % (len(big), big), "big get")
    check(c.q("STRLEN", "big"), b":%d\r\n" % len(big), "strlen")
    check(c.q("DEL", "big", "nokey"), b":1\r\n", "del")
    check(c.q("SET", "n", "10"), b"+OK\r\n", "set n")
    check(c.q("INCR", "n"), b":11\r\n", "incr")
    check(c.q("INCRBY", "n", "-20"), b":-9\r\n", "incrby")
    check(c.q("DECR", "n"), b":-10\r\n", "decr")
    check(c.q("DECRBY", "n", "5"), b":-15\r\n", "decrby")
    check(c.q("INCR", "k"), b"-ERR value is not an integer or out of range\r\n", "incr nonint")
    check(c.q("SET", "m", "9223372036854775807"), b"+OK\r\n", "set max")
    check(c.q("INCR", "m"), b"-ERR increment or decrement would overflow\r\n", "overflow")
    check(c.q("APPEND", "k", "xyz"), b":4\r\n", "append")
    check(c.q("MSET", "a", "1", "b", "2"), b"+OK\r\n", "mset")
    check(c.q("MGET", "a", "nokey", "b"), b"*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n", "mget")
    check(c.q("EXISTS", "a", "b", "nokey", "a"), b":3\r\n", "exists")
    check(c.q("TYPE", "a"), b"+string\r\n", "type")
    check(c.q("TYPE", "nokey"), b"+none\r\n", "type none")
    check(c.q("FLUSHALL"), b"+OK\r\n", "flushall")
    for k in ["hello", "hallo", "hxllo", "hllo", "h-llo"]:
        c.q("SET", k, "1")
    r = c.q("KEYS", "h[a-e]llo")
    check(sorted(r.split(b"\r\n")[2:-1:2]), [b"hallo", b"hello"], "keys range")
    r = c.q("KEYS", "h?llo")
    check(r.startswith(b"*4\r\n"), True, "keys ?")
    check(c.q("KEYS", "h\\-llo"), b"*1\r\n$5\r\nh-llo\r\n", "keys escape")
    check(c.q("DBSIZE"), b":5\r\n", "dbsize")
    check(c.q("SET", "t", "v", "EX", "100"), b"+OK\r\n", "set ex")
    check(c.q("TTL", "t") in (b":100\r\n", b":99\r\n"), True, "ttl")
    check(c.q("SET", "t", "v", "PX", "200"), b"+OK\r\n", "set px")
    check(c.q("SET", "t2", "v"), b"+OK\r\n", "set t2")
    check(c.q("PEXPIRE", "t2", "200"), b":1\r\n", "pexpire")
    check(c.q("TTL", "a"), b":-2\r\n", "ttl missing")
    check(c.q("TTL", "hello"), b":-1\r\n", "ttl persistent")
    time.sleep(0.6)
    check(c.q("GET", "t"), b"$-1\r\n", "expired get")
    check(c.q("EXISTS", "t2"), b":0\r\n", "expired exists")
    check(c.q("SET", "x", "1", "NX"), b"+OK\r\n", "nx")
    check(c.q("SET", "x", "2", "NX"), b"$-1\r\n", "nx fail")
    check(c.q("SET", "y", "2", "XX"), b"$-1\r\n", "xx fail")
    check(c.q("SET", "x", "3", "GET"), b"$1\r\n1\r\n", "set get")
    check(c.q("SET", "x", "1", "NX", "XX"), b"-ERR syntax error\r\n", "syntax")
    check(c.q("SET", "x", "1", "EX", "0"), b"-ERR invalid expire time in 'set' command\r\n", "bad ex")
    check(c.q("GET"), b"-ERR wrong number of arguments for 'get' command\r\n", "arity")
    check(c.q("MSET", "a"), b"-ERR wrong number of arguments for 'mset' command\r\n", "mset arity")
    check(c.q("FOO", "a", "b"),
          b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n", "unknown")
    check(c.q("COMMAND", "DOCS"), b"*0\r\n", "command docs")
    check(c.q("CONFIG", "GET", "save"), b"*2\r\n$4\r\nsave\r\n$0\r\n\r\n", "config get")
    check(c.q("CONFIG", "GET", "appendonly"), b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n", "config get 2")
    check(c.q("SELECT", "0"), b"+OK\r\n", "select 0")
    check(c.q("SELECT", "1"), b"-ERR DB index is out of range\r\n", "select 1")

    # pipelining: 20000 commands in one write
    n = 10000
    req = b"".join(enc("SET", "p%d" % i, "v%d" % i) for i in range(n))
    req += b"".join(enc("GET", "p%d" % i) for i in range(n))
    c.s.sendall(req)
    ok = all(c.reply() == b"+OK\r\n" for _ in range(n))
    ok = ok and all(c.reply() == b"$%d\r\nv%d\r\n" % (len(b"v%d" % i), i) for i in range(n))
    check(ok, True, "pipeline")

    # inline commands
    d = Conn(port)
    got = d.raw_until_close(b'PING\r\nSET il "a b\\x41"\nGET il\r\nQUIT\r\n')
    check(got, b"+PONG\r\n+OK\r\n$4\r\na bA\r\n+OK\r\n<EOF>", "inline")

    # protocol errors close the connection
    for data, exp in [
        (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n<EOF>"),
        (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n<EOF>"),
        (b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n<EOF>"),
        (b'GET "abc\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n<EOF>"),
    ]:
        check(Conn(port).raw_until_close(data), exp, "proto %r" % data)

    # many clients at once
    conns = [Conn(port) for _ in range(300)]
    for i, cc in enumerate(conns):
        cc.s.sendall(enc("INCR", "counter"))
    vals = sorted(int(cc.reply()[1:-2]) for cc in conns)
    check(vals, list(range(1, 301)), "300 clients")
    for cc in conns:
        cc.close()

    # garbage must not kill the server
    for i in range(50):
        g = Conn(port)
        g.s.sendall(bytes((i * 7919 + j * 104729) % 256 for j in range(2000)))
        g.close()
    check(Conn(port).q("PING"), b"+PONG\r\n", "alive after garbage")


if __name__ == "__main__":
    sys.exit(main())
