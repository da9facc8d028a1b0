"""One redaction function for everything we log, print, store or record: `redact(text)`.

It cuts URL user-info (`http://user:pass@host` -> `http://<redacted>@host`), the value of credential
headers and parameters written as text (`Authorization: Bearer x`, `token=x`), and every known secret
value, wherever it appears (a server may echo a token back in an error body): the values of the
environment variables in `SECRET_ENV` and any secret registered with `add_secret`.
"""

from __future__ import annotations

import os
import re
import threading

REDACTED = "<redacted>"
SECRET_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "OPENAI_API_KEY",
              "PEATMOSS_LLM_API_KEY", "LLM_API_KEY", "ANTHROPIC_API_KEY")
SECRET_HEADERS = ("authorization", "proxy-authorization", "x-api-key", "api-key", "cookie")
SECRET_PARAMS = ("token", "access_token", "api_key", "apikey", "key", "secret", "password", "client_secret", "sig",
                 "signature")
MIN_SECRET = 4  # shorter values are not treated as secrets (they would blank ordinary text)

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,20}://)[^\s/@:]{0,256}(?::[^\s/@]{0,256})?@")
_HEADER = re.compile(r"(?i)\b(" + "|".join(SECRET_HEADERS) + r")(['\"]?\s{0,4}[:=]\s{0,4}['\"]?)"
                     r"(?:(?:bearer|token|basic)\s{1,4})?[^\s'\",}]{1,4096}")
_PARAM = re.compile(r"(?i)([?&;](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s'\"]{1,4096}")

_extra: set[str] = set()
_lock = threading.Lock()


def add_secret(value: str | None) -> None:
    """Treat `value` (an API key given on the command line, say) as a secret from now on."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _extra.add(value)


def known_secrets(extra=()) -> list[str]:
    """Secret values in play: environment tokens, registered ones and `extra`; longest first."""
    found = {os.environ.get(name) or "" for name in SECRET_ENV} | set(_extra) | set(extra or ())
    return sorted((s for s in found if s and len(s) >= MIN_SECRET), key=len, reverse=True)


def redact(text, extra=()) -> str:
    """`text` (any object, made a string) with credentials and known secret values replaced by `<redacted>`."""
    text = text if isinstance(text, str) else str(text)
    for secret in known_secrets(extra):
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "@" in text:
        text = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
    text = _HEADER.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    return _PARAM.sub(lambda m: m.group(1) + REDACTED, text)


def redact_bytes(data: bytes, extra=()) -> bytes:
    """`data` with every known secret value replaced (the bytes stay bytes; nothing else changes)."""
    for secret in known_secrets(extra):
        data = data.replace(secret.encode(), REDACTED.encode())
    return data


def redact_data(value, extra=()):
    """A JSON-like value (dict, list, str ...) with every string redacted."""
    if isinstance(value, str):
        return redact(value, extra)
    if isinstance(value, dict):
        return {k: redact_data(v, extra) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v, extra) for v in value]
    return value


class RedactingFilter:
    """A logging filter (for handlers) that redacts each record's message."""

    def filter(self, record) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: leave the record alone
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_filter() -> None:
    """Redact every record that reaches the root logger's handlers (installed once per handler)."""
    import logging

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


__all__ = ["REDACTED", "RedactingFilter", "add_secret", "install_log_filter", "known_secrets", "redact",
           "redact_bytes", "redact_data"]
