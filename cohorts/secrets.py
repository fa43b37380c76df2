"""Secrets at rest: a copy of the database opens nothing.

What Homeroom must show or use again in clear (an invitation or join link, a calendar feed
link, a Slack webhook URL) is stored *sealed*: encrypted with Fernet (AES-128-CBC and
HMAC-SHA256, from `cryptography`) under a key derived from SECRET_KEY. What a URL is looked up
by is stored only as its SHA-256 digest (the secrets are 256 random bits, so a plain digest
cannot be reversed by guessing). Rotating SECRET_KEY keeps old values readable while the old
key is listed in SECRET_KEY_FALLBACKS.

A model declares a `<name>_sealed` text field, a `DigestField(of="<name>_sealed")` when the
secret is looked up, and `<name> = sealed("<name>_sealed")`, the clear value as a property
(read on use only, so loading many rows costs nothing).
"""

import base64
import hashlib
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from django.utils.crypto import salted_hmac

SALT = "homeroom.secrets.sealed"


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(SALT, "fernet", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def _keys() -> tuple[str, ...]:
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


def seal(text: str) -> str:
    """The value encrypted for storage ("" stays "")."""
    if not text:
        return ""
    return _fernet(_keys()).encrypt(text.encode()).decode("ascii")


class UnreadableSecret(ValueError):
    """Sealed under a key that is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS."""


def unseal(sealed_text: str) -> str:
    if not sealed_text:
        return ""
    try:
        return _fernet(_keys()).decrypt(sealed_text.encode("ascii")).decode()
    except InvalidToken as exc:
        raise UnreadableSecret(
            "A stored secret cannot be read: was SECRET_KEY changed without keeping the old "
            "one in SECRET_KEY_FALLBACKS?"
        ) from exc


def digest(secret: str) -> str:
    """What a secret is looked up by: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def new_sealed_token() -> str:
    """A default for a `*_sealed` field: a fresh token, sealed."""
    return seal(new_token())


def sealed(field_name: str) -> property:
    """The clear value of the secret kept sealed in `field_name`."""

    def get(instance: models.Model) -> str:
        return unseal(getattr(instance, field_name))

    def put(instance: models.Model, value: str) -> None:
        setattr(instance, field_name, seal(value or ""))

    return property(get, put, doc=f"The secret kept sealed in {field_name}.")


class DigestField(models.CharField):
    """The SHA-256 of the secret sealed in another field of the row, kept up to date on every
    save (and bulk_create); list it in `update_fields` beside that field."""

    def __init__(self, *args, of: str = "", **kwargs):
        self.of = of
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["of"] = self.of
        for key, value in (("max_length", 64), ("editable", False), ("blank", True)):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        clear = unseal(getattr(model_instance, self.of))
        value = digest(clear) if clear else ""
        setattr(model_instance, self.attname, value)
        return value
