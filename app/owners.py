"""Who may change a job: the person who created it (its owner token) or the teacher (the admin token).

Creating a job answers with an owner token, shown once; the server keeps only its SHA-256. A request
that changes a job (pause, resume, step, stop, reset, PATCH, delete) carries ``Authorization: Bearer
<token>``; on a job's socket the viewer sends ``{"type": "auth", "token": ...}`` once, and its control
messages (pause, resume, step, set_trainer, set_view) are then allowed. `NETPLAY_ADMIN_TOKEN`, when set,
may change every job. Watching, listing, predicting and downloading a model need no token, so a link
still shares a live job read-only. A job stored before owners existed has no owner: anyone may change
it, as before.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class Forbidden(Exception):
    """The request may not change this job; the message says why and what would allow it."""


def new_owner_token() -> tuple[str, str]:
    """A fresh owner token and the hash the server keeps of it."""
    token = secrets.token_urlsafe(24)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """What the server stores of a token: its SHA-256, hex."""
    return hashlib.sha256(_bytes(token)).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def is_teacher(token: str | None, admin_token: str) -> bool:
    """Whether `token` is the teacher's (never when no admin token is set)."""
    if not admin_token or token is None:
        return False
    return hmac.compare_digest(_bytes(token), _bytes(admin_token))


def may_change(owner_hash: str | None, token: str | None, admin_token: str) -> bool:
    """Whether `token` may change a job whose owner token hashes to `owner_hash`."""
    if owner_hash is None:
        return True  # stored before owners existed
    if token is None:
        return False
    return is_teacher(token, admin_token) or hmac.compare_digest(token_hash(token), owner_hash)


def check_owner(job_id: str, owner_hash: str | None, token: str | None, admin_token: str) -> None:
    """Forbidden unless `token` may change the job."""
    if may_change(owner_hash, token, admin_token):
        return
    given = "this token is not its owner's" if token is not None else "no token was given"
    raise Forbidden(
        f"job '{job_id}' can only be changed by whoever created it, or the teacher: {given} "
        "(send Authorization: Bearer <owner token>)"
    )


def _bytes(text: str) -> bytes:
    """Any text as bytes (a JSON string may hold a lone surrogate; compare_digest takes ASCII text only)."""
    return text.encode("utf-8", "surrogatepass")
