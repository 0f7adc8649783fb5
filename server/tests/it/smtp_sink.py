"""A real SMTP server for the mail tests (aiosmtpd, from PyPI via scripts/test).

Usage: smtp_sink.py PORT OUT_DIR [DELAY_MS]

Accepts every message and writes it to OUT_DIR as <n>.json: the envelope (mail from, recipients),
every header as sent, and the plain-text and HTML parts decoded. Recipients starting "refuse" are
refused for good (550); those starting "later" are refused for now (451). Prints "ready" once it
listens, and runs until killed. With DELAY_MS, each message is written at once and answered that
much later (a slow server: a sender killed meanwhile has sent it without knowing).
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out, delay):
        self.out = out
        self.n = 0
        self.delay = delay

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 No such mailbox: " + address
        if address.startswith("later"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in ("text/plain", "text/html") and kind not in parts:
                parts[kind] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": [[k, str(v)] for k, v in message.items()],
            "text": parts.get("text/plain", ""),
            "html": parts.get("text/html", ""),
            "multipart": message.get_content_type(),
        }
        self.n += 1
        path = os.path.join(self.out, "%06d.json" % self.n)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(path + ".tmp", path)
        if self.delay:
            await asyncio.sleep(self.delay / 1000)
        return "250 2.0.0 Accepted as %d" % self.n


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    delay = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    os.makedirs(out, exist_ok=True)
    existing = [f for f in os.listdir(out) if f.endswith(".json")]
    sink = Sink(out, delay)
    sink.n = len(existing)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
