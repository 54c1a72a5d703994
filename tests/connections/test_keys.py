import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ValidationError

from connections import keys
from tests.keys import private_pem, public_pem, rsa_key


def _code(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        keys.load_private_key(text)
    return info.value.code  # type: ignore[return-value]


def _message(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        keys.load_private_key(text)
    return info.value.messages[0]


@pytest.mark.parametrize("fmt", ["pkcs1", "pkcs8"])
def test_pkcs1_and_pkcs8_keys_load(fmt):
    key = keys.load_private_key(private_pem(fmt=fmt))
    assert key.key_size == 2048


def test_literal_backslash_n_from_env_files_is_accepted():
    pasted = private_pem(fmt="pkcs1").strip().replace("\n", "\\n")
    assert "\n" not in pasted
    assert keys.fingerprint(keys.load_private_key(pasted)) == keys.fingerprint(rsa_key(0))


def test_windows_line_endings_and_surrounding_quotes_are_accepted():
    pasted = '"' + private_pem().replace("\n", "\r\n") + '"'
    assert keys.load_private_key(pasted).key_size == 2048


def test_empty_key_is_required():
    assert _code("   ") == "required"


def test_public_key_pasted_instead_of_private():
    assert _code(public_pem()) == "public_key"
    assert "This is a public key" in _message(public_pem())
    assert _code("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ user@host") == "public_key"


def test_passphrase_protected_pkcs8_key():
    encrypted = rsa_key(0).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    assert _code(encrypted.decode()) == "encrypted"
    assert "openssl pkey" in _message(encrypted.decode())


def test_passphrase_protected_pkcs1_key():
    encrypted = rsa_key(0).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"secret"),
    )
    assert "Proc-Type: 4,ENCRYPTED" in encrypted.decode()
    assert _code(encrypted.decode()) == "encrypted"


def test_truncated_pem_says_the_end_line_is_missing():
    pem = private_pem(fmt="pkcs1")
    truncated = pem[: len(pem) // 2]
    assert _code(truncated) == "truncated"
    assert "-----END RSA PRIVATE KEY-----" in _message(truncated)


def test_mangled_pem_body_is_malformed_and_message_quotes_no_key_material():
    lines = private_pem().splitlines()
    lines[5] = lines[5][:10] + lines[5][20:]  # a copy that lost characters
    mangled = "\n".join(lines)
    assert _code(mangled) == "malformed"
    message = _message(mangled)
    for line in lines[1:-1]:
        assert line not in message


def test_random_text_is_not_pem():
    assert _code("my integration key is 1234") == "not_pem"
    assert "BEGIN RSA PRIVATE KEY" in _message("hello")


def test_a_certificate_is_not_a_private_key():
    assert _code("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----") == "not_pem"


def test_ec_key_is_not_rsa():
    ec_pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert _code(ec_pem) == "not_rsa"
    assert "needs an RSA key" in _message(ec_pem)


def test_rsa_key_shorter_than_2048_bits_is_refused():
    short = (
        rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (on purpose)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert _code(short) == "too_short"
    assert "1024 bits" in _message(short)


def test_generated_keypair_matches_and_is_2048_bits():
    pair = keys.generate_keypair()
    private = keys.load_private_key(pair.private_pem)
    assert private.key_size == 2048
    assert keys.public_key_pem(private) == pair.public_pem
    assert pair.public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert pair.fingerprint == keys.fingerprint(private)


def test_fingerprint_is_the_same_for_pkcs1_and_pkcs8_and_differs_between_keys():
    one = keys.fingerprint(keys.load_private_key(private_pem(fmt="pkcs1")))
    assert one == keys.fingerprint(keys.load_private_key(private_pem(fmt="pkcs8")))
    assert one.startswith("SHA256:")
    assert one != keys.fingerprint(rsa_key(1))
