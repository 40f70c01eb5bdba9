"""Why single sign-on refused someone: one stable code per rule, with words for the person and
what to ask for. The refusal page, the audit trail (`sso.refused`, detail `reason`) and the console
all use these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SsoRefusal:
    reason: str
    """Stable code, e.g. `domain_outside`."""
    message: str
    """What happened, as a sentence for the person refused."""
    fix: str = ""
    """What to ask for, and whom."""
    detail: str = ""
    """A technical line for the organization's admin (e.g. the SAML library's reason)."""


class SsoRefused(Exception):
    def __init__(self, refusal: SsoRefusal) -> None:
        super().__init__(refusal.reason)
        self.refusal = refusal


@dataclass(frozen=True)
class Facts:
    """What the words may name."""

    organization: str = "your organization"
    connection: str = "your identity provider"
    email: str = ""
    domains: str = ""


MESSAGES: dict[str, tuple[str, str]] = {
    "connection_unknown": (
        "This sign-in came from an identity provider Spark Portal does not know (any more).",
        "Start again from Spark Portal's sign-in page.",
    ),
    "connection_disabled": (
        "{organization}'s single sign-on through {connection} is turned off.",
        "Ask your {organization} admin to turn it on again under Single sign-on in Spark Portal.",
    ),
    "not_a_sign_in": (
        "Single sign-on signs you in; it cannot be attached to an account you are already using.",
        "Sign out, then choose Continue with SSO on the sign-in page.",
    ),
    "no_email": (
        "{connection} did not tell Spark Portal your email address, so Spark Portal cannot tell which "
        "organization you belong to.",
        "Ask your {organization} admin to have the identity provider send the email claim (OIDC) or attribute (SAML).",
    ),
    "email_unverified": (
        "{connection} says your email address {email} is not verified, so Spark Portal cannot rely on it.",
        "Verify the address at your identity provider, or ask your {organization} admin to.",
    ),
    "identity_mismatch": (
        "Another identity at {connection} already signs in to Spark Portal as {email}; Spark Portal does not let a "
        "second one take that account over.",
        "Sign in to your identity provider with the identity you used before, or ask your {organization} "
        "admin to sort out the duplicate at the identity provider.",
    ),
    "domain_outside": (
        "Your email address {email} is not at one of {organization}'s email domains ({domains}), "
        "so {organization}'s identity provider cannot sign you in to Spark Portal.",
        "Sign in to your identity provider with your {organization} work address, or ask your {organization} "
        "admin to add and enable your email domain under Email domains in Spark Portal.",
    ),
    "not_member": (
        "Spark Portal already has an account for {email}, and it is not a member of {organization}. "
        "{organization}'s identity provider signs in only {organization}'s members.",
        "Ask your {organization} admin to invite {email} to {organization} in Spark Portal; "
        "once the invitation is accepted, single sign-on works.",
    ),
    "staff_account": (
        "{email} is a Spark Portal staff account, and staff accounts never sign in through an organization's "
        "identity provider.",
        "Sign in with your password instead.",
    ),
    "user_inactive": (
        "The Spark Portal account for {email} is deactivated.",
        "Ask your {organization} admin to reactivate it.",
    ),
    "email_in_use": (
        "{connection} now gives your address as {email}, and another Spark Portal account already uses that address.",
        "Ask your {organization} admin to sort out the two accounts.",
    ),
    "domain_unverified": (
        "{organization} has not verified the email domain of {email} yet, so {connection} cannot create a "
        "Spark Portal account at it or move one to it.",
        "Ask your {organization} admin to verify the domain under Email domains in Spark Portal (a DNS TXT "
        "record), or to invite {email}.",
    ),
    "held_elsewhere": (
        "{connection} now gives your address as {email}, but your Spark Portal account also belongs to other "
        "organizations, so {organization}'s identity provider cannot change its address.",
        "Ask your {organization} admin: the address can change once only {organization} holds the account, "
        "or sign in to {connection} with the address you had.",
    ),
    "idp_rejected_client": (
        "{organization}'s identity provider did not accept Spark Portal's client credentials (client ID or "
        "secret), so the sign-in could not finish.",
        "Ask your {organization} admin to check the client ID and secret of the {connection} connection "
        "under Single sign-on in Spark Portal.",
    ),
    "secret_unreadable": (
        "Spark Portal cannot read the client secret it keeps for {connection} (its server key changed), so the "
        "sign-in could not start.",
        "Ask your {organization} admin to enter the {connection} connection's client secret again under "
        "Single sign-on in Spark Portal.",
    ),
    "invalid_id_token": (
        "The identity token from {connection} failed Spark Portal's checks (issuer, audience, expiry or "
        "signature), so Spark Portal did not sign you in.",
        "Try again; if it keeps happening, ask your {organization} admin to check the {connection} connection.",
    ),
    "idp_unreachable": (
        "Spark Portal could not reach {connection}, {organization}'s identity provider.",
        "Try again in a minute; if it keeps happening, ask your {organization} admin.",
    ),
    "saml_invalid": (
        "The SAML response from {connection} failed Spark Portal's checks (signature, audience, destination or "
        "validity period), so Spark Portal did not sign you in.",
        "Try again; if it keeps happening, ask your {organization} admin to compare the {connection} "
        "connection's settings with the identity provider's.",
    ),
    "cancelled": (
        "The sign-in at {connection} was cancelled or refused by the identity provider.",
        "Start again from Spark Portal's sign-in page; if your identity provider refused you, ask your "
        "{organization} admin to assign you the Spark Portal application there.",
    ),
    "idp_error": (
        "The sign-in through {connection} did not complete.",
        "Start again from Spark Portal's sign-in page; if it keeps happening, ask your {organization} admin.",
    ),
}


def refusal(reason: str, facts: Facts, detail: str = "") -> SsoRefusal:
    message, fix = MESSAGES[reason]
    words = {
        "organization": facts.organization,
        "connection": facts.connection,
        "email": facts.email,
        "domains": facts.domains,
    }
    return SsoRefusal(reason, message.format(**words), fix.format(**words), detail)


def explain(reason: str, organization: str, connection: str, email: str = "") -> SsoRefusal | None:
    """A recorded refusal in words (for the console and the connection doctor); None if unknown."""
    if reason not in MESSAGES:
        return None
    return refusal(reason, Facts(organization, connection, email, domains="its enabled domains"))
