"""The connection check: each step from key to eSignature call, and the first failure's fix.

Used by the admin action, the wizard, `manage.py docusign_check` and a periodic task, all
through `connections.services.check_connection`.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError

from connections import keys
from connections.credentials import api_client_for, auth_server_for, credentials_for
from connections.docusign.auth import UserAccount, UserInfo
from connections.docusign.errors import (
    AccountChoiceNeeded,
    AccountNotAccessible,
    BaseUriMismatch,
    DocuSignError,
    KeyNotLoadable,
)
from connections.docusign.hosts import BaseUriError, normalize_base_uri
from connections.models import Connection
from connections.tokens import ConnectionTokenProvider, mint_token, store_token


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    message: str = ""


@dataclass
class CheckResult:
    steps: list[Step] = field(default_factory=list)
    error: DocuSignError | None = None
    # When the user has several accounts and none is chosen yet: the choices.
    accounts: list[UserAccount] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def passed(self, name: str, message: str = "") -> None:
        self.steps.append(Step(name, True, message))

    def failed(self, name: str, error: DocuSignError) -> "CheckResult":
        self.steps.append(Step(name, False, str(error)))
        self.error = error
        return self


def run_check(connection: Connection) -> CheckResult:
    """Run the steps in order, stopping at the first failure. Fills a blank account ID and
    base URI, and the user's profile name and email, from userinfo (it does not save; the
    caller does)."""
    result = CheckResult()
    try:
        keys.load_private_key(connection.private_key)
    except ValidationError as exc:
        return result.failed("Private key loads", KeyNotLoadable(exc.messages[0]))
    result.passed("Private key loads", connection.key_fingerprint)

    credentials = credentials_for(connection)
    signed = f"for {credentials.auth_server}, scopes '{credentials.scopes}'"
    try:
        token = mint_token(connection)
    except KeyNotLoadable as exc:
        return result.failed("Assertion signed", exc)
    except DocuSignError as exc:
        result.passed("Assertion signed", signed)
        return result.failed("Access token obtained", exc)
    result.passed("Assertion signed", signed)
    store_token(connection, token)  # the check's token serves the next calls too
    result.passed("Access token obtained", f"valid for {token.expires_in} s")

    server = auth_server_for(connection)
    try:
        userinfo = server.get_userinfo(token.access_token)
    except DocuSignError as exc:
        return result.failed("User info read", exc)
    result.passed("User info read", f"{userinfo.name} <{userinfo.email}>")
    # The in-person host DocuSign accepts is this user, spelled as their profile spells it.
    connection.user_name, connection.user_profile_email = userinfo.name, userinfo.email

    account = _choose_account(connection, userinfo, result)
    if account is None:
        return result
    if not _base_uri_matches(connection, account, result):
        return result

    client = api_client_for(connection, ConnectionTokenProvider(connection))
    try:
        # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/accounts/get/
        info = client.get_json("")
    except DocuSignError as exc:
        return result.failed("eSignature API answers", exc)
    result.passed(
        "eSignature API answers", f"account '{info.get('accountName', account.account_name)}'"
    )
    return result


def _choose_account(
    connection: Connection, userinfo: UserInfo, result: CheckResult
) -> UserAccount | None:
    name = "Account available"
    if connection.account_id:
        account = userinfo.account(connection.account_id)
        if account is None:
            known = ", ".join(f"{a.account_name} ({a.account_id})" for a in userinfo.accounts)
            result.failed(
                name,
                AccountNotAccessible(
                    f"{connection.account_id} is not among the user's accounts: {known or 'none'}"
                ),
            )
            return None
        result.passed(name, f"{account.account_name} ({account.account_id})")
        return account
    if len(userinfo.accounts) == 1:
        account = userinfo.accounts[0]
        connection.account_id = account.account_id
        result.passed(name, f"discovered {account.account_name} ({account.account_id})")
        return account
    result.accounts = list(userinfo.accounts)
    if not userinfo.accounts:
        result.failed(name, AccountNotAccessible("the user belongs to no DocuSign account"))
    else:
        listed = ", ".join(
            f"{a.account_name} ({a.account_id}{', default' if a.is_default else ''})"
            for a in userinfo.accounts
        )
        result.failed(name, AccountChoiceNeeded(f"accounts: {listed}"))
    return None


def _base_uri_matches(connection: Connection, account: UserAccount, result: CheckResult) -> bool:
    name = "Base URI matches the account"
    try:
        expected = normalize_base_uri(
            account.base_uri,
            allowed_hosts=settings.DOCUSIGN_ALLOWED_API_HOSTS,
            allow_http_loopback=settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK,
        )
    except BaseUriError as exc:
        result.failed(name, BaseUriMismatch(f"DocuSign gave {account.base_uri!r}: {exc}"))
        return False
    if not connection.base_uri:
        connection.base_uri = expected
        result.passed(name, f"discovered {expected}")
        return True
    if connection.base_uri.lower() != expected.lower():
        result.failed(
            name,
            BaseUriMismatch(
                f"the connection has {connection.base_uri}; the account is at {expected}"
            ),
        )
        return False
    result.passed(name, expected)
    return True
