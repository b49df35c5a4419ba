#!/usr/bin/env python3
"""
Test vectors for WeChat's message-push URL protocol, made by an implementation independent
of the project's TypeScript (Python 3 + the `cryptography` package, written from WeChat's
description of the scheme: sha1 of the sorted strings; AES-256-CBC, key = b64decode(aesKey + '='),
iv = key[:16]; plaintext = random(16) + big-endian length(4) + message + appid, PKCS#7 padded
to 32 bytes).

    python3 tests/customerService/vectors/make_vectors.py > tests/customerService/vectors/vectors.json

The random prefixes are fixed so the output is reproducible.
"""
import base64
import hashlib
import json
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN = "kitPushToken2026"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters
APPID = "wx0000000000local"
TIMESTAMP = "1763700000"
NONCE = "1320562132"


def sig(*parts):
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def encrypt(message, appid, random16):
    key = base64.b64decode(AES_KEY + "=")
    body = message.encode("utf-8")
    plain = random16 + struct.pack(">I", len(body)) + body + appid.encode()
    padder = padding.PKCS7(256).padder()  # 256 bits = 32 bytes
    padded = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(padded) + enc.finalize()).decode()


XML_TEXT = (
    "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>"
    "<FromUserName><![CDATA[o-alice]]></FromUserName>"
    "<CreateTime>1763700000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[退款 refund please]]></Content>"
    "<MsgId>7123456789012345678</MsgId></xml>"
)
JSON_EVENT = json.dumps(
    {
        "ToUserName": "gh_0123456789ab",
        "FromUserName": "o-alice",
        "CreateTime": 1763700001,
        "MsgType": "event",
        "Event": "user_enter_tempsession",
        "SessionFrom": "profile",
    },
    ensure_ascii=False,
    separators=(",", ":"),
)

vectors = {
    "source": "tests/customerService/vectors/make_vectors.py (Python 3, cryptography %s)" % __import__("cryptography").__version__,
    "token": TOKEN,
    "encodingAesKey": AES_KEY,
    "appid": APPID,
    "timestamp": TIMESTAMP,
    "nonce": NONCE,
    "urlCheck": {"echostr": "7032473218316372019", "signature": sig(TOKEN, TIMESTAMP, NONCE)},
    "messages": [],
}
for name, message, appid, rnd in [
    ("xml-text", XML_TEXT, APPID, bytes(range(16))),
    ("json-enter", JSON_EVENT, APPID, bytes(range(100, 116))),
    ("exactly-32-bytes", "x" * 12, "", b"\x00" * 16),  # 16 + 4 + 12 = 32: a whole padding block
    ("other-appid", XML_TEXT, "wx9999999999other", bytes(range(16))),
]:
    enc = encrypt(message, appid, rnd)
    vectors["messages"].append(
        {
            "name": name,
            "message": message,
            "appid": appid,
            "random": rnd.hex(),
            "encrypt": enc,
            "msgSignature": sig(TOKEN, TIMESTAMP, NONCE, enc),
        }
    )

print(json.dumps(vectors, ensure_ascii=False, indent=2))
