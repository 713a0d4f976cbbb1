#!/usr/bin/python3
"""mail_sink.py: a local SMTP server that keeps what it receives.

For the demo (scripts/serve.sh) it prints each mail to the console, links
and all; for the tests (t/007_mail.pl) it writes each mail to --maildir as
N.eml (the bytes received) and N.json (what a mail client would show:
envelope, decoded headers and parts, the parser's complaints). It listens on
127.0.0.1 only. Needs Debian's python3-aiosmtpd, hence /usr/bin/python3.

  mail_sink.py [--port N] [--maildir DIR] [--delay SECS] [--auth USER:PASSWORD]
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def summary(envelope, session, raw):
    """What a mail client would make of the message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts, defects = [], [repr(d) for d in message.defects]
    for part in message.walk():
        defects += [repr(d) for d in part.defects if part is not message]
        if part.is_multipart():
            continue
        parts.append({
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "content": part.get_content(),
        })
    date = message["Date"]
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": envelope.rcpt_tos,
        "authenticated_as": session.auth_data if session.authenticated else None,
        "content_type": message.get_content_type(),
        "headers": [[name, str(value)] for name, value in message.items()],
        "date": date.datetime.isoformat() if date is not None and date.datetime else None,
        "parts": parts,
        "defects": defects,
    }


class Sink:
    def __init__(self, maildir, delay):
        self.maildir = maildir
        self.delay = delay
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        if self.maildir:
            # a test waits for this line to know a delivery is under way
            print("receiving a mail for %s" % ", ".join(envelope.rcpt_tos), flush=True)
        if self.delay:
            await asyncio.sleep(self.delay)
        raw = envelope.original_content or envelope.content
        record = summary(envelope, session, raw)
        self.count += 1
        if self.maildir:
            self.write(raw, record)
        else:
            self.show(record)
        return "250 OK"

    def write(self, raw, record):
        # tmp then rename: a reader never sees half a mail
        name = os.path.join(self.maildir, "%d-%d" % (time.time_ns(), self.count))
        for suffix, data in ((".eml", raw), (".json", json.dumps(record).encode())):
            with open(name + ".tmp", "wb") as out:
                out.write(data)
            os.rename(name + ".tmp", name + suffix)

    def show(self, record):
        headers = dict(record["headers"])
        text = next((p["content"] for p in record["parts"]
                     if p["content_type"] == "text/plain"), "")
        print("\n--- mail to %s: %s\n%s---" % (", ".join(record["rcpt_tos"]),
              headers.get("Subject", ""), "".join("    " + line + "\n"
                                                  for line in text.splitlines())),
              flush=True)


def authenticator_for(credentials):
    user, _, password = credentials.partition(":")

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login.decode() == user and auth_data.password.decode() == password)
        # handled=False: aiosmtpd then answers a failure with 535 itself
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)
    return authenticate


async def serve(args):
    loop = asyncio.get_running_loop()
    sink = Sink(args.maildir, args.delay)
    options = {}
    if args.auth:
        warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
        options = dict(authenticator=authenticator_for(args.auth), auth_required=True,
                       auth_require_tls=False)
    server = await loop.create_server(lambda: SMTP(sink, loop=loop, **options),
                                      "127.0.0.1", args.port)
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    # Once stopping, a second signal (Ctrl-C, then serve.sh's SIGTERM) is
    # ignored: delivered while the loop closes, it would be written to the
    # loop's wakeup pipe after the pipe is gone ("Bad file descriptor").
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)
        signal.signal(sig, signal.SIG_IGN)
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8025, help="0 for any free port")
    parser.add_argument("--maildir", help="write mails here instead of printing them")
    parser.add_argument("--delay", type=float, default=0, help="seconds before accepting a mail")
    parser.add_argument("--auth", help="USER:PASSWORD to require (tests only)")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except OSError as error:
        sys.exit("mail_sink.py: %s" % error)
    except KeyboardInterrupt:
        # a Ctrl-C before serve() handles it, or after: a stop all the same
        pass


if __name__ == "__main__":
    main()
