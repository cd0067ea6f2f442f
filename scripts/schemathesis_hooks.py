"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

- `POST /v1/webhooks/email/inbound` takes a raw RFC 5322 message (`message/rfc822`), a media
  type schemathesis has no serializer for: the generated string is sent as its UTF-8 bytes.
- Provider webhooks carry no bearer token but a signature over the exact body. Unsigned, every
  generated request would stop at the 401 and the handlers behind it would go untested, so
  each webhook request is serialized here, signed with the secrets the script gave the daemon
  (the environment variables below), and sent as those bytes. The Meta handshake gets the
  verify token on most requests.
- Most generated bodies fail validation at the first field (a channel name, a contact, an
  instant), so the code behind it would rarely run: about half the cases are turned into a
  valid example of their operation with one or two fields taken from the generated body
  (`map_case`). Touches name the account and lead the script creates before the run.
"""

import base64
import copy
import hashlib
import hmac
import os
import random
import urllib.parse
import zlib

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


ACCOUNT_ID = "acct-1"
LEAD_ID = "lead-1"
LEAD_PHONE = "+14155550123"
LEAD_EMAIL = "ana@example.com"

TOUCH = {
    "idempotency_key": "k1",
    "account_id": ACCOUNT_ID,
    "lead_id": LEAD_ID,
    "channel": "sms",
    "purpose": "marketing",
    "content": {"subject": "s", "body": "Hello"},
    "not_before": "2026-11-26T15:00:00Z",
    "deadline": "2026-11-30T18:00:00Z",
    "campaign_id": "c",
    "step": 1,
}

ACCOUNT = {
    "status": "active",
    "paused_channels": ["linkedin"],
    "limits": {"sms": {"min_gap_seconds": 30, "hourly": 100, "daily": 500}},
    "senders": {"sms": "+14155550100", "email": "SDR <sdr@acme.example>"},
}

LEAD = {
    "phone": LEAD_PHONE,
    "email": LEAD_EMAIL,
    "timezone": "America/Los_Angeles",
    "consents": [
        {
            "channel": "sms",
            "purpose": "marketing",
            "granted_at": "2026-01-01T00:00:00Z",
            "source": "web_form",
        }
    ],
}

MAIL = (
    "From: Ana <" + LEAD_EMAIL + ">\r\nTo: sdr@acme.example\r\nSubject: Re: hello\r\n"
    "Message-ID: <m1@example.com>\r\n\r\nPlease unsubscribe me.\r\n\r\n> Hello\r\n"
)

META = {
    "entry": [
        {
            "changes": [
                {
                    "field": "messages",
                    "value": {
                        "messages": [
                            {
                                "from": LEAD_PHONE.lstrip("+"),
                                "id": "wamid.1",
                                "timestamp": "1795629600",
                                "text": {"body": "STOP"},
                            }
                        ],
                        "statuses": [
                            {"id": "wamid.0", "status": "delivered", "timestamp": "1795629600"}
                        ],
                    },
                }
            ]
        }
    ]
}

# A valid body for each operation that takes one: (method, path) -> body.
EXAMPLES = {
    ("PUT", "/v1/accounts/{id}"): ACCOUNT,
    ("PUT", "/v1/leads/{id}"): LEAD,
    ("POST", "/v1/touches"): TOUCH,
    ("POST", "/v1/touches/batch"): {"touches": [TOUCH, dict(TOUCH, idempotency_key="k2")]},
    ("POST", "/v1/evaluate"): dict(TOUCH, at="2026-11-26T16:00:00Z"),
    ("POST", "/v1/dnc"): {
        "contact": LEAD_PHONE,
        "channel": "*",
        "reason": "customer_request",
        "source": "web_form",
        "added_by": "ops",
    },
    ("POST", "/v1/inbound"): {"channel": "sms", "from": LEAD_PHONE, "body": "HELP"},
    ("POST", "/v1/webhooks/calls/disposition"): {"phone": LEAD_PHONE, "disposition": "DNC"},
    ("POST", "/v1/webhooks/meta/whatsapp"): META,
    ("POST", "/v1/webhooks/twilio/sms"): {
        "From": LEAD_PHONE,
        "To": "+14155550100",
        "Body": "STOP",
        "MessageSid": "SM1",
    },
    ("POST", "/v1/webhooks/email/inbound"): MAIL,
    ("POST", "/v1/registries/{name}/imports"): "2015550123,2021-01-01\n+14155550199\n",
}


@schemathesis.hook
def map_case(context, case):
    example = EXAMPLES.get((case.method.upper(), case.operation.path))
    if example is None:
        return case
    body = getattr(case, "body", None)
    pick = zlib.crc32(repr(body).encode("utf-8", "surrogatepass"))
    if pick % 2 == 0:
        return case
    valid = copy.deepcopy(example)
    if isinstance(valid, dict) and isinstance(body, dict) and body:
        keys = sorted(body, key=str)
        for i in range(pick // 2 % 3):
            key = keys[(pick >> (4 + 4 * i)) % len(keys)]
            valid[key] = body[key]
    elif isinstance(valid, str) and isinstance(body, str):
        at = (pick >> 4) % (len(valid) + 1)
        valid = valid[:at] + body[: (pick >> 12) % 40] + valid[at:]
    case.body = valid
    if case.operation.path == "/v1/registries/{name}/imports":
        case.path_parameters = dict(case.path_parameters or {}, name="national")
        case.query = dict(case.query or {}, mode="full", as_of="2026-11-01")
    return case
