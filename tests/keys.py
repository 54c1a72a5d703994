"""RSA keys for tests, generated once per run (never committed)."""

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@cache
def rsa_key(index: int = 0, bits: int = 2048) -> rsa.RSAPrivateKey:
    """A deterministic-per-run RSA key; `index` gives distinct keys."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_pem(index: int = 0, *, fmt: str = "pkcs8") -> str:
    private_format = {
        "pkcs8": serialization.PrivateFormat.PKCS8,
        "pkcs1": serialization.PrivateFormat.TraditionalOpenSSL,
    }[fmt]
    return (
        rsa_key(index)
        .private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption())
        .decode()
    )


def public_pem(index: int = 0) -> str:
    return (
        rsa_key(index)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
