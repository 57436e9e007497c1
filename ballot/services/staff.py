"""Staff accounts and roles. Deputies and the public never log in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import Conflict, InvalidInput, NotFound
from ballot.models import StaffUser
from ballot.services import staff_sessions

ROLES = ("presidium", "reviewer", "clerk", "credentials", "department", "trustee")
"""``credentials`` is the credential authority (e.g. a 监票员): it alone prints slips
or uploads the keys of slips made offline, so the clerk who checks deputies in never
holds a code (docs/security.md, "Separation of duties")."""
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"[a-z0-9_.-]{3,64}\Z")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$digest``: salted, slow, and self-describing."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return "$".join(["scrypt", str(_SCRYPT["n"]), str(_SCRYPT["r"]), str(_SCRYPT["p"]),
                     base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def check_password(stored: str, password: str) -> bool:
    try:
        name, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return name == "scrypt" and hmac.compare_digest(actual, expected)


# A hash to check against when the user does not exist, so both paths cost the same.
_DUMMY_HASH = hash_password("piaojue timing equaliser")


def create_staff(session: Session, username: str, password: str, roles: list[str],
                 display_name: str = "", department: str = "") -> StaffUser:
    if not _USERNAME.match(username):
        raise InvalidInput("a username has 3 to 64 lower-case letters, digits, '.', '_' or '-'")
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise InvalidInput("roles must be among %(roles)s", roles=', '.join(ROLES))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("a password has at least %(least)s characters",
                           least=MIN_PASSWORD_LENGTH)
    department = department.strip()
    if "department" in roles and not department:
        raise InvalidInput("a department account names its department (like 住建局)")
    if len(department) > 200:
        raise InvalidInput("a department name has at most 200 characters")
    if session.scalar(select(StaffUser).where(StaffUser.username == username)):
        raise Conflict("the username %(username)r is taken", username=username)
    user = StaffUser(username=username, display_name=display_name or username,
                     password_hash=hash_password(password),
                     roles=",".join(sorted(set(roles))), department=department)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The user if the password is right; ``None`` otherwise, in the same time."""
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active:
        check_password(_DUMMY_HASH, password)
        return None
    return user if check_password(user.password_hash, password) else None


def find(session: Session, username: str) -> StaffUser:
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFound("there is no staff account %(username)r", username=username)
    return user


def set_password(session: Session, username: str, password: str) -> StaffUser:
    """A new password; every session of the account ends (a stolen cookie with it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("a password has at least %(least)s characters",
                           least=MIN_PASSWORD_LENGTH)
    user = find(session, username)
    user.password_hash = hash_password(password)
    staff_sessions.end_all(session, user)
    session.flush()
    return user


def disable(session: Session, username: str) -> StaffUser:
    """The account can no longer log in, and its open sessions end now."""
    user = find(session, username)
    user.active = False
    staff_sessions.end_all(session, user)
    session.flush()
    return user


def roles_of(user: StaffUser) -> set[str]:
    return set(user.roles.split(",")) if user.roles else set()
