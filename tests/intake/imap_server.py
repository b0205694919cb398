"""A minimal IMAP4rev1 server for tests: LOGIN, EXAMINE/SELECT, UID SEARCH, UID FETCH RFC822, LOGOUT."""

import re
import socketserver
import threading


class Mailbox:
    def __init__(self, messages, uidvalidity=7, user="u", password="p"):  # noqa: S107 - a test server
        self.messages = dict(messages)  # uid -> raw bytes
        self.uidvalidity = uidvalidity
        self.user, self.password = user, password
        self.commands = []


def handler_for(box: Mailbox):
    class Handler(socketserver.StreamRequestHandler):
        def send(self, data: bytes):
            self.wfile.write(data)
            self.wfile.flush()

        def handle(self):
            self.send(b"* OK [CAPABILITY IMAP4rev1] fake ready\r\n")
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                text = line.decode().rstrip("\r\n")
                tag, _sp, rest = text.partition(" ")
                command, _sp, args = rest.partition(" ")
                command = command.upper()
                box.commands.append(f"{command} {args}".strip())
                if command == "CAPABILITY":
                    self.send(b"* CAPABILITY IMAP4rev1\r\n" + f"{tag} OK done\r\n".encode())
                elif command == "LOGIN":
                    user, password = [a.strip('"') for a in args.split(" ", 1)]
                    if (user, password) == (box.user, box.password):
                        self.send(f"{tag} OK logged in\r\n".encode())
                    else:
                        self.send(f"{tag} NO [AUTHENTICATIONFAILED] wrong\r\n".encode())
                elif command in ("EXAMINE", "SELECT"):
                    top = max(box.messages, default=0) + 1
                    self.send(
                        f"* {len(box.messages)} EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY {box.uidvalidity}] ok\r\n"
                        f"* OK [UIDNEXT {top}] ok\r\n* FLAGS (\\Seen)\r\n{tag} OK [READ-ONLY] done\r\n".encode()
                    )
                elif command == "UID":
                    self.uid(tag, args)
                elif command == "LOGOUT":
                    self.send(f"* BYE bye\r\n{tag} OK done\r\n".encode())
                    return
                elif command == "NOOP":
                    self.send(f"{tag} OK done\r\n".encode())
                else:
                    self.send(f"{tag} BAD unknown\r\n".encode())

        def uid(self, tag, args):
            sub, _sp, rest = args.partition(" ")
            uids = sorted(box.messages)
            if sub.upper() == "SEARCH":
                found = re.search(r"(\d+):(\*|\d+)", rest)
                low = int(found.group(1)) if found else 1
                hits = [u for u in uids if u >= low] or ([uids[-1]] if uids else [])
                self.send(("* SEARCH " + " ".join(map(str, hits)) + f"\r\n{tag} OK done\r\n").encode())
            elif sub.upper() == "FETCH":
                wanted = set()
                for part in rest.split(" ", 1)[0].split(","):
                    if ":" in part:
                        a, b = part.split(":")
                        wanted |= {u for u in uids if int(a) <= u <= (10**9 if b == "*" else int(b))}
                    else:
                        wanted.add(int(part))
                for seq, uid in enumerate(uids, start=1):
                    if uid in wanted:
                        raw = box.messages[uid]
                        self.send(
                            f"* {seq} FETCH (UID {uid} RFC822 {{{len(raw)}}}\r\n".encode() + raw + b")\r\n"
                        )
                self.send(f"{tag} OK done\r\n".encode())
            else:
                self.send(f"{tag} BAD unknown\r\n".encode())

    return Handler


class FakeImapServer:
    def __init__(self, box: Mailbox):
        self.box = box
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler_for(box))
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
