"""An aiosmtpd server for interop tests: STARTTLS (RFC 3207), AUTH PLAIN/LOGIN (RFC 4954), and a
handler that prints every received message as one JSON line on stdout with its exact bytes
(dot-unstuffed per RFC 5321 4.5.2, line endings as received) so tests compare them with what was sent.

Protocol on stdout: "READY <port>" once listening, then one JSON object per line per message.
The server exits on SIGTERM, and with --exit-on-stdin-eof when stdin closes (its parent died).
"""

import argparse
import asyncio
import base64
import json
import signal
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed in READY)")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--auth", action="append", default=[], help="user:pass (repeatable)")
    parser.add_argument("--auth-required", action="store_true")
    parser.add_argument("--smtputf8", action="store_true")
    parser.add_argument("--data-size-limit", type=int, default=33554432)
    parser.add_argument("--exit-on-stdin-eof", action="store_true", help="stop when stdin closes")
    return parser.parse_args()


def b64(data):
    return base64.b64encode(data).decode("ascii")


class Recorder:
    """Prints each message (envelope and exact content bytes) as a JSON line."""

    async def handle_DATA(self, server, session, envelope):
        login = None
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        record = {
            "mailFrom": envelope.mail_from,
            "mailOptions": list(envelope.mail_options),
            "rcptTos": list(envelope.rcpt_tos),
            "contentBase64": b64(envelope.original_content),
            "secure": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "login": login,
        }
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()
        return "250 2.0.0 Ok: recorded"


def make_authenticator(pairs):
    accounts = {}
    for pair in pairs:
        user, _, password = pair.partition(":")
        accounts[user.encode("utf-8")] = password.encode("utf-8")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login in accounts
            and accounts[auth_data.login] == auth_data.password
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        # handled=False: aiosmtpd itself answers 535 (handled=True would leave the client waiting).
        return AuthResult(success=False, handled=False)

    return authenticator


def make_tls_context(args):
    if not args.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    return context


def watch_stdin(loop, stop):
    # Reading until EOF ties the server's life to its parent's pipe: no orphaned servers.
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        loop.call_soon_threadsafe(stop.set)


async def main():
    args = parse_args()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    tls_context = make_tls_context(args)
    kwargs = {
        "hostname": "aiosmtpd.test",
        "enable_SMTPUTF8": args.smtputf8,
        "decode_data": False,
        "data_size_limit": args.data_size_limit,
        "tls_context": tls_context,
        "require_starttls": args.require_starttls,
        "auth_require_tls": tls_context is not None,
        "auth_required": args.auth_required,
    }
    if args.auth:
        kwargs["authenticator"] = make_authenticator(args.auth)
    handler = Recorder()
    server = await loop.create_server(lambda: SMTP(handler, **kwargs), host=args.host, port=args.port)
    port = server.sockets[0].getsockname()[1]
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if args.exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, args=(loop, stop), daemon=True).start()
    sys.stdout.write(f"READY {port}\n")
    sys.stdout.flush()
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
