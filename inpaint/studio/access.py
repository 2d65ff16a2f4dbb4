"""Who may spend the owner's key, and how much: the rules of a public studio.

``STUDIO_OWNER_KEY_ACCESS`` says who may use the key the owner configured
(``everyone``, ``signed-in`` Hugging Face users, or ``nobody``); a visitor's
own key is always theirs to spend and is never counted here. On the owner's
key each visitor has ``STUDIO_VISITOR_QUOTA`` jobs per day or hour, all
visitors together ``STUDIO_DAILY_BUDGET`` per UTC day, and at most
``STUDIO_VISITOR_CONCURRENCY`` of the key's queue places at once.

A run that needs N jobs reserves all N before anything is sent and is refused
whole when they do not fit, so a batch is never cut off half-way by a quota.
Only jobs actually submitted are spent; the rest of a reservation is given
back when the run ends (a refused or failed-before-submit job costs nothing,
a submitted job that later failed still counts, as ModelsLab may bill it).
The counts live in the shared state (SQLite by default, Redis for replicas),
so a restart or a second process sees the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from ..errors import APITimeoutError, ModelsLabError
from ..params import images_asked
from ..shared import Claim, Quota, QuotaExceeded, SharedState, Window, key_id
from .ownership import JobOwners
from .settings import DEFAULT_VISITOR_CONCURRENCY, Settings
from .visitors import Visitor

EVERYONE = "everyone"
SIGNED_IN = "signed-in"
NOBODY = "nobody"
POLICIES = (EVERYONE, SIGNED_IN, NOBODY)

POLICY_WORDS = {
    EVERYONE: "Anyone visiting may use this Space's key",
    SIGNED_IN: "Visitors signed in with Hugging Face may use this Space's key",
    NOBODY: "This Space's key is not offered to visitors: paste your own key to generate",
}


class AccessRefused(ModelsLabError):
    """Nothing was sent: the owner's rules do not allow this run (one plain sentence)."""


@dataclass(frozen=True)
class Rules:
    """The owner's rules, read once from the environment (``Settings``)."""

    policy: str = EVERYONE
    visitor_quota: Quota | None = None
    daily_budget: int | None = None
    visitor_concurrency: int = DEFAULT_VISITOR_CONCURRENCY
    login_offered: bool = False  # a Sign-in button is on the page (a real Space)

    @classmethod
    def from_settings(cls, settings: Settings, *, login_offered: bool = False) -> Rules:
        return cls(
            policy=settings.owner_key_access,
            visitor_quota=settings.visitor_quota,
            daily_budget=settings.daily_budget,
            visitor_concurrency=settings.visitor_concurrency,
            login_offered=login_offered,
        )


class Access:
    """The owner's rules applied to one visitor's run, on one shared state."""

    def __init__(
        self,
        rules: Rules,
        state: SharedState,
        owner_key: str,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.rules = rules
        self.state = state
        self.clock = clock
        # Counters are named for the key without containing it.
        self._prefix = f"owner:{key_id(owner_key)}" if owner_key else "offline"
        self.owner_key_set = bool(owner_key)

    @classmethod
    def for_backend(cls, backend: Any, *, login_offered: bool = False) -> Access:
        """The rules of ``backend``'s settings, counted in its shared state."""
        settings = backend.settings
        rules = Rules.from_settings(settings, login_offered=login_offered)
        return cls(rules, backend.state, settings.api_key)

    # -- who pays ----------------------------------------------------------------
    def check(self, visitor: Visitor, own_key: str | None) -> None:
        """Refuse, before anything is sent, a visitor who may not use the owner's key."""
        if (own_key or "").strip() or not self.owner_key_set:
            return
        policy = self.rules.policy
        if policy == NOBODY:
            raise AccessRefused(
                "This Space's key is not offered to visitors: paste your own ModelsLab key in "
                "the key field (or pass api_key= from a script) to generate. Nothing was sent."
            )
        if policy == SIGNED_IN and not visitor.signed_in:
            how = (
                "sign in with Hugging Face (the button at the top)"
                if self.rules.login_offered
                else "sign in with Hugging Face"
            )
            raise AccessRefused(
                f"This Space's key is for signed-in visitors: {how}, or paste your own "
                "ModelsLab key in the key field. Nothing was sent."
            )

    def counted(self, own_key: str | None) -> bool:
        """Whether runs on this key count against the owner's quotas and budget."""
        return self.owner_key_set and not (own_key or "").strip()

    # -- how much ----------------------------------------------------------------
    def _claims(self, visitor: Visitor) -> list[tuple[str, Claim]]:
        claims: list[tuple[str, Claim]] = []
        quota = self.rules.visitor_quota
        if quota is not None:
            claims.append(("you", quota.claim(f"{self._prefix}:visitor:{visitor.id}")))
        if self.rules.daily_budget is not None:
            budget = Quota(self.rules.daily_budget, Window.DAY)
            claims.append(("this Space's daily budget", budget.claim(f"{self._prefix}:budget")))
        return claims

    @contextmanager
    def reserve(self, visitor: Visitor, own_key: str | None, jobs: int) -> Iterator[Spender]:
        """Hold ``jobs`` jobs of every allowance for one run; give back what was not sent."""
        self.check(visitor, own_key)
        claims = self._claims(visitor) if self.counted(own_key) else []
        if not claims:
            yield Spender(None)
            return
        try:
            reservation = self.state.ledger.reserve([c for _, c in claims], jobs)
        except QuotaExceeded as exc:
            label = next((name for name, c in claims if c.counter == exc.counter), "you")
            raise AccessRefused(f"{exc.sentence(label)} Nothing was sent.") from None
        try:
            yield Spender(reservation)
        finally:
            reservation.close()

    def allowance(self, visitor: Visitor, own_key: str | None) -> str:
        """One line for the page: how many jobs this visitor may still send, and when it resets."""
        if (own_key or "").strip():
            return "Using your own key: not counted against this Space's allowance."
        if not self.owner_key_set:
            return ""
        try:
            self.check(visitor, own_key)
        except AccessRefused as exc:  # a standing line: nothing was asked yet
            return str(exc).replace(" Nothing was sent.", "")
        claims = self._claims(visitor)
        if not claims:
            return ""
        left = self.state.ledger.remaining([c for _, c in claims])
        parts = []
        for (name, claim), count in zip(claims, left, strict=True):
            who = "You have" if name == "you" else "This Space has"
            parts.append(f"{who} {count} of {claim.limit} jobs left {claim.window.this}")
        return "; ".join(parts) + "."


class Spender:
    """Counts the jobs of one run as they are submitted (nothing when not counted)."""

    def __init__(self, reservation: Any) -> None:
        self.reservation = reservation

    def check(self, jobs: int) -> None:
        """Refuse, before it is sent, a job the run did not reserve (nothing is sent)."""
        r = self.reservation
        if r is not None and (r.closed or r.unspent < jobs):
            raise AccessRefused(
                "This run has used every job it reserved from your allowance; "
                "nothing more was sent."
            )

    def spend(self, jobs: int = 1) -> None:
        """Count submitted jobs; never raises (the job exists whatever the count says)."""
        r = self.reservation
        if r is not None and not r.closed:
            r.spend(min(jobs, r.unspent))


def spending_client(
    held: ExitStack,
    access: Access,
    backend: Any,
    visitor: Visitor,
    session_key: str | None,
    jobs: int,
) -> Any:
    """A client for one run of ``jobs`` jobs, under the owner's rules.

    The jobs are reserved whole (``AccessRefused`` before anything is sent when
    they do not fit; what was not sent is given back when ``held`` closes),
    counted as they are submitted, and each accepted job is recorded as the
    visitor's (``JobOwners``), the one rule for Generate, Extend and Compare.
    """
    spender = held.enter_context(access.reserve(visitor, session_key, jobs))
    owners = JobOwners(backend.state, backend.scope(session_key))
    return count_submissions(
        backend.client(session_key, visitor), spender, owners.recorder(visitor.owner)
    )


def count_submissions(
    client: Any, spender: Spender, on_job: Callable[[Any], None] | None = None
) -> Any:
    """Make every job the client submits count against ``spender`` (samples as jobs).

    Wrapping the transport's one ``submit`` counts every path alike (a plain
    inpaint, each tile of an extension, each cell of a comparison). A job the
    API accepted counts, and so does one whose answer was lost in transit
    (it may exist and be billed); one the API refused does not. ``on_job``
    hears each accepted job's id right there, in the worker, so a job sent
    after its visitor left is still recorded as theirs.
    """
    transport = client.submitter.transport
    submit = transport.submit

    def counted(payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        jobs = images_asked(payload)
        spender.check(jobs)
        try:
            answer = submit(payload, **kwargs)
        except APITimeoutError:
            spender.spend(jobs)
            raise
        spender.spend(jobs)
        job_id = answer.get("id") if isinstance(answer, dict) else None
        if on_job is not None and job_id is not None:
            on_job(job_id)
        return answer

    transport.submit = counted
    return client
