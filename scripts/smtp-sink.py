#!/usr/bin/env python3
"""A test SMTP sink on loopback (aiosmtpd): every message received is appended to a JSON-lines
file (recipients, headers, body) and flushed before the server answers 250, so a message
acknowledged to the sender survives the sink being killed. Started and stopped by the Rust tests.

Usage: smtp-sink.py PORT OUTFILE
"""
import asyncio
import email
import email.policy
import json
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        record = {
            "mail_from": envelope.mail_from,
            "recipients": list(envelope.rcpt_tos),
            "headers": {k: str(v) for k, v in msg.items()},
            "body": body.get_content() if body is not None else "",
        }
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()
        return "250 Message accepted for delivery"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Sink(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = asyncio.new_event_loop()
    signal.signal(signal.SIGTERM, lambda *_: stop.call_soon_threadsafe(stop.stop))
    signal.signal(signal.SIGINT, lambda *_: stop.call_soon_threadsafe(stop.stop))
    stop.run_forever()
    controller.stop()


if __name__ == "__main__":
    main()
