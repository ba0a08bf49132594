"""Secrets Hotwash keeps in its database, encrypted: webhook signing secrets.

Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`). Its key is
derived with HKDF-SHA256 and a fixed info string from HOTWASH_ENCRYPTION_KEY
when that is set, otherwise from the secret key (HOTWASH_SECRET_KEY). So:

- with HOTWASH_ENCRYPTION_KEY set, the secret key can be rotated freely;
- changing the key the secrets were encrypted with (HOTWASH_ENCRYPTION_KEY,
  or HOTWASH_SECRET_KEY when the former is unset) makes them unreadable:
  Hotwash refuses to decrypt with a clear error (SecretUndecryptable), each
  webhook's deliveries fail visibly, and `hotwash check --database default`
  lists them; an admin enters each secret again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext as _

# Changing this string changes every key: never, or with a migration.
HKDF_INFO = b"hotwash stored secrets v1"


class SecretUndecryptable(Exception):
    """A stored secret the current key cannot decrypt."""


def _key_source() -> tuple[bytes, str]:
    dedicated = str(getattr(settings, "ENCRYPTION_KEY", "") or "")
    if dedicated:
        return dedicated.encode(), "HOTWASH_ENCRYPTION_KEY"
    return str(settings.SECRET_KEY).encode(), "HOTWASH_SECRET_KEY"


def _fernet() -> Fernet:
    material, _source = _key_source()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        _material, source = _key_source()
        raise SecretUndecryptable(
            _(
                "The stored secret cannot be decrypted with the current key (derived from "
                "%(source)s; HOTWASH_ENCRYPTION_KEY takes precedence when set). The key "
                "changed since the secret was saved: restore the old key, or enter the "
                "secret again."
            )
            % {"source": source}
        ) from None
