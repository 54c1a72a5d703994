"""RSA keys for JWT Grant: parse what people paste, generate keypairs, fingerprint them.

Every way a pasted key can be wrong gets its own message and `code`, so forms, the wizard
and commands can show the fix next to the field.
"""

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError

MIN_KEY_BITS = 2048
_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_END = re.compile(r"-----END ([A-Z0-9 ]+)-----")

PASTE_HINT = (
    "Copy the whole private key again, from -----BEGIN RSA PRIVATE KEY----- to "
    "-----END RSA PRIVATE KEY----- inclusive."
)


@dataclass(frozen=True)
class KeyPair:
    private_pem: str
    public_pem: str
    fingerprint: str


def _clean_text(text: str) -> str:
    # People paste keys out of .env files and JSON, where newlines are written as "\n".
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r\n", "\n")
    return text.strip().strip('"').strip("'").strip()


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """Parse a pasted PEM private key; raise ValidationError(code=…) saying how to fix it."""
    text = _clean_text(text or "")
    if not text:
        raise ValidationError("Paste the RSA private key.", code="required")
    begin = _BEGIN.search(text)
    label = begin.group(1) if begin else ""
    if "PUBLIC KEY" in label or text.startswith("ssh-rsa "):
        raise ValidationError(
            "This is a public key. Countersign needs the private key: the block that starts "
            "with -----BEGIN RSA PRIVATE KEY-----, which DocuSign shows once when you add the "
            "RSA keypair. If you no longer have it, generate a new keypair here instead.",
            code="public_key",
        )
    if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in text:
        raise ValidationError(
            "This private key is protected by a passphrase. Remove the passphrase first "
            "(openssl pkey -in key.pem -out key-plain.pem) and paste the result; Countersign "
            "encrypts it at rest itself.",
            code="encrypted",
        )
    if not begin:
        raise ValidationError(
            "This is not a PEM private key. A private key starts with -----BEGIN RSA PRIVATE "
            "KEY----- (or -----BEGIN PRIVATE KEY-----) and ends with the matching END line.",
            code="not_pem",
        )
    if "PRIVATE KEY" not in label:
        raise ValidationError(
            f"This is a PEM {label.lower()}, not a private key. {PASTE_HINT}", code="not_pem"
        )
    if not _END.search(text, begin.end()):
        raise ValidationError(
            f"The key is cut off: its -----END {label}----- line is missing. {PASTE_HINT}",
            code="truncated",
        )
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except TypeError as exc:  # a password-protected PKCS#8 key that slipped past the label
        raise ValidationError(
            "This private key is protected by a passphrase. Remove it first "
            "(openssl pkey -in key.pem -out key-plain.pem).",
            code="encrypted",
        ) from exc
    except ValueError as exc:
        # cryptography's message may quote key material: never pass it on.
        raise ValidationError(
            "The key could not be read: part of it is missing or was changed while copying "
            f"(a lost line, an extra space or character). {PASTE_HINT}",
            code="malformed",
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = type(key).__name__.replace("PrivateKey", "").lstrip("_") or "non-RSA"
        raise ValidationError(
            f"This is an {kind} key. DocuSign's JWT Grant needs an RSA key; use the keypair "
            "DocuSign generates, or generate one here.",
            code="not_rsa",
        )
    if key.key_size < MIN_KEY_BITS:
        raise ValidationError(
            f"This RSA key has {key.key_size} bits; DocuSign needs at least {MIN_KEY_BITS}. "
            "Generate a new keypair.",
            code="too_short",
        )
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """Parse a PEM public key (SubjectPublicKeyInfo or PKCS#1); raise ValidationError."""
    try:
        key = serialization.load_pem_public_key(_clean_text(text).encode())
    except ValueError:
        raise ValidationError(
            "This is not a PEM public key: it should start with -----BEGIN PUBLIC KEY-----.",
            code="not_pem",
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValidationError("This public key is not an RSA key.", code="not_rsa")
    return key


def private_key_to_pem(key: rsa.RSAPrivateKey) -> str:
    """Canonical storage form: unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_key_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """SHA-256 of the public key (DER SubjectPublicKeyInfo), as `SHA256:<base64>`."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def generate_keypair(bits: int = MIN_KEY_BITS) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return KeyPair(private_key_to_pem(key), public_key_pem(key), fingerprint(key))
