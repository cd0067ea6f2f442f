"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

`POST /v1/webhooks/email/inbound` takes a raw RFC 5322 message (`message/rfc822`), a media type
schemathesis has no serializer for: the generated string is sent as its UTF-8 bytes.
"""

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, bytes):
        return value
    if value is None:
        return b""
    return str(value).encode("utf-8", "surrogatepass")
