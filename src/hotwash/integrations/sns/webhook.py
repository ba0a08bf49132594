"""Amazon SNS's webhook checks: message signatures and the subscription
handshake.

Anyone can post a JSON document that looks like an SNS message, so the
signature is the real authentication: every message is verified against
the certificate it names, and that certificate is only ever fetched from
an SNS host (https://sns.<region>.amazonaws.com/...pem), never from
wherever the message points. Certificates are kept in memory once fetched.
SignatureVersion 1 signs with SHA1, 2 with SHA256.

Which hosts count as SNS is the ALERTS_SNS_URL_PATTERN setting; tests
point it at a loopback stand-in. It has no environment variable on purpose,
so a deployment cannot be told to trust another host by accident.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.utils.translation import gettext as _

from hotwash.core.errors import DomainError, PermissionDenied
from hotwash.integrations.sns.parser import SnsMessage

FETCH_TIMEOUT = 10.0
CERT_MAX_BYTES = 64 * 1024
CERT_CACHE_MAX = 64

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}


class SnsUnavailable(DomainError):
    """SNS could not be reached (certificate, confirmation): SNS retries a
    5xx, so the message is not lost."""

    status_code = 502


def _pattern() -> re.Pattern[str]:
    """The scheme and host part an SNS certificate or confirmation URL must
    start with (read each time: tests change it)."""
    return re.compile(settings.ALERTS_SNS_URL_PATTERN)


def trusted_url(url: str, *, suffix: str = "") -> bool:
    """Whether `url` is on an SNS host (no credentials, no tricks)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.username or parts.password or not parts.hostname or "\\" in url:
        return False
    prefix = f"{parts.scheme}://{parts.netloc}/"
    return bool(_pattern().fullmatch(prefix)) and parts.path.endswith(suffix)


def fetch(url: str) -> bytes:
    """GET on an SNS URL that has already been checked. No redirects: a
    redirect could leave the SNS hosts."""
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as error:
        raise SnsUnavailable(
            _("Amazon SNS could not be reached (%(error)s); it will retry.") % {"error": error}
        ) from None
    if response.status_code != 200:
        raise SnsUnavailable(
            _("Amazon SNS answered %(status)d; it will retry.") % {"status": response.status_code}
        )
    return response.content[: CERT_MAX_BYTES + 1]


_certificates: dict[str, x509.Certificate] = {}
_certificates_lock = threading.Lock()


def forget_certificates() -> None:
    with _certificates_lock:
        _certificates.clear()


def _certificate(url: str) -> x509.Certificate:
    if not trusted_url(url, suffix=".pem"):
        raise PermissionDenied(
            _("The SNS message names a signing certificate outside Amazon SNS; refused."),
            field="SigningCertURL",
        )
    with _certificates_lock:
        cached = _certificates.get(url)
    if cached is not None:
        return cached
    pem = fetch(url)
    try:
        if len(pem) > CERT_MAX_BYTES:
            raise ValueError("too large")
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise SnsUnavailable(
            _("The SNS signing certificate could not be read; SNS will retry.")
        ) from None
    with _certificates_lock:
        if len(_certificates) >= CERT_CACHE_MAX:
            _certificates.clear()
        _certificates[url] = certificate
    return certificate


def string_to_sign(message: SnsMessage) -> bytes:
    keys = NOTIFICATION_KEYS if message.Type == "Notification" else CONFIRMATION_KEYS
    text = ""
    for key in keys:
        value = getattr(message, key)
        if value is None:  # Subject is optional, and then not signed
            continue
        text += f"{key}\n{value}\n"
    return text.encode()


def verify(message: SnsMessage) -> None:
    """Raise PermissionDenied unless SNS signed this message."""
    algorithm = HASHES.get(message.SignatureVersion)
    if algorithm is None:
        raise PermissionDenied(
            _("Unsupported SNS SignatureVersion %(version)s: use 1 or 2.")
            % {"version": message.SignatureVersion},
            field="SignatureVersion",
        )
    certificate = _certificate(message.SigningCertURL)
    refused = PermissionDenied(
        _("The SNS message signature is not valid; nothing was stored."), field="Signature"
    )
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise refused
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise refused
    try:
        signature = base64.b64decode(message.Signature, validate=True)
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except (InvalidSignature, binascii.Error, ValueError):
        raise refused from None


def confirm_subscription(message: SnsMessage) -> None:
    """Visit the SubscribeURL of a (verified) confirmation message."""
    url = message.SubscribeURL or ""
    if not trusted_url(url):
        raise PermissionDenied(
            _("The SNS confirmation address is outside Amazon SNS; refused."),
            field="SubscribeURL",
        )
    fetch(url)
