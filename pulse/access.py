"""Who may do what: the roles, the `[access]` rules of .streamlit/secrets.toml, and the role a signed-in user's
ID-token claims give them. Pure Python: the pages ask pulse.ui.access, which reads the secrets and st.user.

Three roles, each including the one before: a viewer reads, an editor also changes the data, an admin also
reads the audit and the access table. A rule is an exact email or a whole domain ("@party.example"); the most
specific rule wins (an email over its domain). A role from the ID token's `roles_claim` counts only when it is
exactly one of the three; when both the rules and the claim give a role, the higher wins. An email the provider
marks `email_verified: false` matches no rule: anyone can type any address into some providers' sign-up form.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from pulse.errors import PulseError

VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"
ROLES = (VIEWER, EDITOR, ADMIN)  # lowest first: each includes the ones before it
NONE = "none"  # in the rules: no role (refused)


@dataclass(frozen=True)
class AccessRules:
    """The `[access]` section, checked: who is let in, and as what."""

    anonymous: str | None = None  # VIEWER: visitors who are not signed in may read; None: they see the sign-in page
    default_role: str | None = None  # the role of a signed-in user no rule names; None refuses them
    roles_claim: str | None = None  # an ID-token claim listing roles (Entra app roles, Keycloak realm roles)
    users: Mapping[str, str | None] = field(default_factory=dict)  # lower-case email or "@domain" -> role or None
    contact: str | None = None  # whom a user without a role should ask; else the admins the rules name

    def admins(self) -> list[str]:
        """The exact emails the rules make admins (whom a user without access is told to ask)."""
        return sorted(who for who, role in self.users.items() if role == ADMIN and not who.startswith("@"))


def parse_rules(section: Mapping | None) -> AccessRules:
    """The `[access]` section as AccessRules; a PulseError naming the setting for a value that is not a role."""
    section = dict(section or {})
    unknown = sorted(set(section) - {"anonymous", "default_role", "roles_claim", "users", "contact"})
    if unknown:
        raise PulseError(f"[access] has unknown setting(s) {', '.join(unknown)}: see docs/deploy.md")
    anonymous = _role(section.get("anonymous", NONE), "[access] anonymous", (NONE, VIEWER))
    default_role = _role(section.get("default_role", NONE), "[access] default_role", (NONE, *ROLES))
    claim = section.get("roles_claim")
    if claim is not None and (not isinstance(claim, str) or not claim.strip()):
        raise PulseError("[access] roles_claim must be the name of an ID-token claim, such as roles")
    users = section.get("users") or {}
    if not isinstance(users, Mapping):
        raise PulseError('[access.users] must map emails or "@domain" to a role')
    checked: dict[str, str | None] = {}
    for who, role in users.items():
        key = str(who).strip().lower()
        local, at, domain = key.rpartition("@")
        if not at or not domain or "." not in domain or " " in key:
            raise PulseError(f'[access.users] "{who}" is neither an email nor a domain written as "@domain"')
        checked[key] = _role(role, f'[access.users] "{who}"', (NONE, *ROLES))
    contact = section.get("contact")
    return AccessRules(
        anonymous=anonymous,
        default_role=default_role,
        roles_claim=claim.strip() if claim else None,
        users=checked,
        contact=str(contact).strip() or None if contact is not None else None,
    )


def _role(value: object, setting: str, allowed: tuple[str, ...]) -> str | None:
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text not in allowed:
        raise PulseError(f"{setting} is {value!r}: expected one of {', '.join(allowed)}")
    return None if text == NONE else text


def email_of(claims: Mapping) -> str | None:
    """The user's email, lower case, if the provider sent one and did not mark it unverified."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email.strip():
        return None
    # Only an explicit false counts against the email: Entra sends no email_verified claim at all.
    if claims.get("email_verified") in (False, "false", "False"):
        return None
    return email.strip().lower()


def rule_role(email: str | None, rules: AccessRules) -> str | None:
    """The role the rules give `email`: its own rule, else its domain's, else the default role."""
    if email is not None:
        if email in rules.users:
            return rules.users[email]
        domain = "@" + email.rpartition("@")[2]
        if domain in rules.users:
            return rules.users[domain]
    return rules.default_role


def claim_role(claims: Mapping, rules: AccessRules) -> str | None:
    """The highest role the `roles_claim` claim names exactly (a string or a list of strings); None otherwise."""
    if rules.roles_claim is None:
        return None
    value = claims.get(rules.roles_claim)
    named = [value] if isinstance(value, str) else value if isinstance(value, list | tuple) else []
    return highest(v for v in named if isinstance(v, str) and v in ROLES)


def role_of(claims: Mapping, rules: AccessRules) -> str | None:
    """The role of a signed-in user with these ID-token claims: the higher of the rules' and the claim's."""
    return highest((rule_role(email_of(claims), rules), claim_role(claims, rules)))


def highest(roles) -> str | None:
    found = [r for r in roles if r in ROLES]
    return max(found, key=ROLES.index) if found else None


def may(role: str | None, needed: str) -> bool:
    """Whether `role` includes `needed` (no role includes nothing)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def access_table(rules: AccessRules) -> list[tuple[str, str, str]]:
    """Every rule as (who, kind, role), for the admins' access table: emails first, then domains, then defaults."""
    rows = [(who, "email", role or NONE) for who, role in sorted(rules.users.items()) if not who.startswith("@")]
    rows += [(who, "domain", role or NONE) for who, role in sorted(rules.users.items()) if who.startswith("@")]
    rows.append(("anyone else signed in", "default_role", rules.default_role or NONE))
    rows.append(("not signed in", "anonymous", rules.anonymous or NONE))
    if rules.roles_claim:
        rows.append((f"ID-token claim {rules.roles_claim!r}", "roles_claim", "as named, if higher"))
    return rows
