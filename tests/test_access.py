"""Who gets which role from the `[access]` rules and the ID-token claims (pulse.access), computed by hand."""

import pytest

from pulse.access import access_table, may, parse_rules, role_of
from pulse.errors import PulseError

RULES = parse_rules(
    {
        "anonymous": "none",
        "default_role": "none",
        "roles_claim": "roles",
        "users": {
            "Lead@Party.example": "admin",  # written with capitals: emails compare without case
            "desk@party.example": "editor",
            "@party.example": "viewer",
            "blocked@party.example": "none",
            "@press.example": "editor",
        },
    }
)


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"email": "lead@party.example"}, "admin"),  # the exact email
        ({"email": "LEAD@party.EXAMPLE "}, "admin"),  # case and spaces do not make another person
        ({"email": "desk@party.example"}, "editor"),
        ({"email": "intern@party.example"}, "viewer"),  # only the domain names them
        ({"email": "blocked@party.example"}, None),  # the exact rule wins over its domain's viewer
        ({"email": "someone@press.example"}, "editor"),
        ({"email": "x@sub.party.example"}, None),  # a subdomain is not the domain
        ({"email": "party.example@evil.example"}, None),  # the domain is what follows the last @
        ({"email": "stranger@other.example"}, None),  # no rule, default none
        ({}, None),  # no email at all
        ({"email": "not-an-email"}, None),
        # Roles from the ID token count when they are exactly one of the three, and the higher one wins.
        ({"email": "stranger@other.example", "roles": ["editor"]}, "editor"),
        ({"email": "stranger@other.example", "roles": "admin"}, "admin"),
        ({"email": "stranger@other.example", "roles": ["Admin", "superuser", " editor"]}, None),
        ({"email": "stranger@other.example", "roles": ["viewer", "editor"]}, "editor"),
        ({"email": "desk@party.example", "roles": ["viewer"]}, "editor"),  # the email's editor is higher
        ({"email": "intern@party.example", "roles": ["admin"]}, "admin"),  # the claim's admin is higher
        ({"email": "blocked@party.example", "roles": ["viewer"]}, "viewer"),
        ({"roles": ["editor"]}, "editor"),  # no email: the claim alone
        ({"email": "stranger@other.example", "roles": {"admin": True}}, None),  # not a string or a list
        # An email the provider marks unverified matches no rule; the claim still counts.
        ({"email": "lead@party.example", "email_verified": False}, None),
        ({"email": "lead@party.example", "email_verified": "false"}, None),
        ({"email": "lead@party.example", "email_verified": False, "roles": ["viewer"]}, "viewer"),
        ({"email": "lead@party.example", "email_verified": True}, "admin"),
        ({"email": "lead@party.example", "email_verified": "true"}, "admin"),
    ],
)
def test_role_of(claims, role):
    assert role_of(claims, RULES) == role


def test_default_role_is_for_signed_in_users_no_rule_names():
    rules = parse_rules({"default_role": "viewer", "users": {"lead@party.example": "admin", "@party.example": "none"}})
    assert role_of({"email": "stranger@other.example"}, rules) == "viewer"
    assert role_of({"email": "lead@party.example", "email_verified": False}, rules) == "viewer"  # unknown: default
    assert role_of({"email": "intern@party.example"}, rules) is None  # their domain's "none" names them
    assert role_of({"email": "lead@party.example"}, rules) == "admin"


def test_without_roles_claim_no_claim_counts():
    rules = parse_rules({"users": {"@party.example": "viewer"}})
    assert role_of({"email": "stranger@other.example", "roles": ["admin"]}, rules) is None
    assert role_of({"email": "a@party.example", "roles": ["admin"]}, rules) == "viewer"


def test_a_custom_roles_claim():
    rules = parse_rules({"roles_claim": "realm_roles"})
    assert role_of({"email": "a@b.example", "realm_roles": ["editor"], "roles": ["admin"]}, rules) == "editor"


def test_defaults_refuse_everyone():
    rules = parse_rules(None)
    assert (rules.anonymous, rules.default_role, rules.roles_claim, dict(rules.users)) == (None, None, None, {})
    assert role_of({"email": "anyone@party.example"}, rules) is None


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"anonymous": "editor"}, "[access] anonymous is 'editor': expected one of none, viewer"),
        ({"default_role": "owner"}, "[access] default_role is 'owner': expected one of none, viewer, editor, admin"),
        ({"users": {"lead@party.example": "root"}}, "[access.users] \"lead@party.example\" is 'root'"),
        ({"users": {"party.example": "viewer"}}, '[access.users] "party.example" is neither an email nor a domain'),
        ({"users": {"@localhost": "viewer"}}, '[access.users] "@localhost" is neither an email nor a domain'),
        ({"users": {"a@party.example": 1}}, "is 1: expected one of"),
        ({"users": ["a@party.example"]}, "[access.users] must map emails"),
        ({"roles_claim": ""}, "[access] roles_claim must be the name of an ID-token claim"),
        ({"anonymus": "viewer"}, "[access] has unknown setting(s) anonymus"),
    ],
)
def test_a_bad_rule_is_named(section, message):
    with pytest.raises(PulseError) as raised:
        parse_rules(section)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "editor", False),
        ("viewer", "admin", False),
        ("editor", "viewer", True),
        ("editor", "editor", True),
        ("editor", "admin", False),
        ("admin", "viewer", True),
        ("admin", "editor", True),
        ("admin", "admin", True),
        (None, "viewer", False),
        ("none", "viewer", False),
        ("Admin", "viewer", False),
    ],
)
def test_each_role_includes_the_ones_before(role, needed, allowed):
    assert may(role, needed) is allowed


def test_the_access_table_lists_emails_domains_then_defaults():
    assert access_table(RULES) == [
        ("blocked@party.example", "email", "none"),
        ("desk@party.example", "email", "editor"),
        ("lead@party.example", "email", "admin"),
        ("@party.example", "domain", "viewer"),
        ("@press.example", "domain", "editor"),
        ("anyone else signed in", "default_role", "none"),
        ("not signed in", "anonymous", "none"),
        ("ID-token claim 'roles'", "roles_claim", "as named, if higher"),
    ]
    assert RULES.admins() == ["lead@party.example"]
