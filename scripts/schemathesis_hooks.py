"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

- `POST /v1/webhooks/email/inbound` takes a raw RFC 5322 message (`message/rfc822`), a media
  type schemathesis has no serializer for: the generated string is sent as its UTF-8 bytes.
- Provider webhooks carry no bearer token but a signature over the exact body. Unsigned, every
  generated request would stop at the 401 and the handlers behind it would go untested, so
  each webhook request is serialized here, signed with the secrets the script gave the daemon
  (the environment variables below), and sent as those bytes. The Meta handshake gets the
  verify token on most requests.
"""

import base64
import hashlib
import hmac
import os
import random
import urllib.parse

import requests
import schemathesis

SHARED_SECRET = "TOUCHGATE_WEBHOOK_SECRET"
TWILIO_TOKEN = "TOUCHGATE_TWILIO_TOKEN"
META_APP_SECRET = "TOUCHGATE_WHATSAPP_APP_SECRET"
META_VERIFY_TOKEN = "TOUCHGATE_WHATSAPP_VERIFY_TOKEN"
PUBLIC_BASE_URL = "TOUCHGATE_PUBLIC_BASE_URL"


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    if value is None:
        return b""
    return str(value).encode("utf-8", "surrogatepass")


def _body_bytes(case):
    """The body as the transport would send it."""
    kwargs = case.as_transport_kwargs()
    prepared = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        headers=kwargs.get("headers"),
        data=kwargs.get("data"),
        json=kwargs.get("json"),
    ).prepare()
    body = prepared.body or b""
    return body.encode("utf-8") if isinstance(body, str) else body


def _sha256(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _twilio(token, url, body):
    pairs = urllib.parse.parse_qsl(
        body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace"
    )
    signed = url + "".join(k + v for k, v in sorted(set(pairs)))
    mac = hmac.new(token.encode(), signed.encode("utf-8", "surrogatepass"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    if not path.startswith("/v1/webhooks/"):
        return
    env = os.environ
    if case.method.upper() == "GET" and path == "/v1/webhooks/meta/whatsapp":
        if env.get(META_VERIFY_TOKEN) and random.random() < 0.8:
            query = dict(case.query or {})
            query["hub.mode"] = "subscribe"
            query["hub.verify_token"] = env[META_VERIFY_TOKEN]
            case.query = query
        return
    body = _body_bytes(case)
    headers = dict(case.headers or {})
    if path in ("/v1/webhooks/calls/disposition", "/v1/webhooks/email/inbound"):
        if not env.get(SHARED_SECRET):
            return
        headers["X-Touchgate-Signature"] = _sha256(env[SHARED_SECRET], body)
    elif path == "/v1/webhooks/meta/whatsapp":
        if not env.get(META_APP_SECRET):
            return
        headers["X-Hub-Signature-256"] = _sha256(env[META_APP_SECRET], body)
    elif path == "/v1/webhooks/twilio/sms":
        if not env.get(TWILIO_TOKEN):
            return
        url = env.get(PUBLIC_BASE_URL, "").rstrip("/") + path
        headers["X-Twilio-Signature"] = _twilio(env[TWILIO_TOKEN], url, body)
    else:
        return
    case.headers = headers
    kwargs["data"] = body
