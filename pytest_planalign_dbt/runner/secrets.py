"""What may be secret (profile values, vars and env vars with secret names) and its redaction."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_NAME = re.compile(r"pass(word)?|secret|token|private_key|keyfile|credential|api_key", re.I)


# ``env_var('NAME')`` (or with double quotes) in a profile value: the value dbt renders there.
ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"]([^'"]+)['"]""")


def secret_values(node: Any, environ: Mapping[str, str] | None = None) -> Iterable[str]:
    """The values under secret-looking keys (password, token, ...): as written, or, for a value
    rendered from ``env_var('NAME')``, what ``environ`` (the process's environment) holds."""
    environ = os.environ if environ is None else environ
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and SECRET_NAME.search(str(key)):
                if "{{" not in value:
                    yield value
                yield from (environ[name] for name in ENV_VAR_CALL.findall(value) if environ.get(name))
            else:
                yield from secret_values(value, environ)
    elif isinstance(node, list):
        for value in node:
            yield from secret_values(value, environ)


def var_secrets(variables: Any) -> list[str]:
    """String values of dbt vars whose names look secret (api_token, db_password...)."""
    return [v for v in secret_values(variables) if len(v) >= 4]


def env_secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of env vars that look secret (DBT_ENV_SECRET_*, *PASSWORD*, *TOKEN*...)."""
    environ = os.environ if environ is None else environ
    return [
        v for k, v in environ.items()
        if (k.startswith("DBT_ENV_SECRET") or SECRET_NAME.search(k)) and len(v) >= 4
    ]


class Redactor:
    """Replaces known secret values with ``****`` in any text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def extended(self, secrets: Iterable[str]) -> Redactor:
        return Redactor([*self.secrets, *secrets])

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, "****")
        return text
