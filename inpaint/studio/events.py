"""``Studio``: everything the page's events call, bound to one backend and one output folder.

Each feature's handler (``generate.handler``, ``extend.handler``,
``compare.handler``, ``result.handler``, ``reproduce.handler``, ``history.handler``,
``mask.handler``) does the work; ``Studio`` builds them once and is what gradio
calls where an event needs the page's session or the public API's argument
names.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import gradio as gr

from .access import Access
from .backend import Backend
from .common import PROGRESS, browser_token, own_key, session_of
from .compare.handler import Compare
from .endpoint import takes
from .extend.handler import Extend
from .form import FORM_FIELDS, KEY_INPUTS
from .generate.handler import Generation
from .history import handler as history
from .jobs import JobRunner
from .mask import handler as preview
from .reproduce.handler import Reproduce
from .result.handler import Results, run_info_text
from .settings import Settings
from .store import OutputStore
from .visitors import Visitor, visitor_of

log = logging.getLogger("inpaint.studio")


class Studio:
    """Everything the page's events call, bound to one backend and one output folder."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        backend: Backend | None = None,
        store: OutputStore | None = None,
        runner: JobRunner | None = None,
        login_offered: bool = False,
    ) -> None:
        settings = settings or Settings.from_env()
        self.backend = backend or Backend(settings)
        self.store = store or OutputStore.for_settings(settings)
        self.generation = Generation(
            settings,
            self.backend,
            self.store,
            runner,
            Access.for_backend(self.backend, login_offered=login_offered),
        )
        self.access = self.generation.access
        self.results: Results = self.generation.results
        self.extend = Extend(self.generation, self.visitor)
        self.reproduce = Reproduce(self.backend)
        self.compare = Compare(self.backend, self.store, self.access, self.visitor)

    @property
    def settings(self) -> Settings:
        return self.generation.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.generation.settings = value

    # -- session key --------------------------------------------------------------
    def set_session_key(self, key: str | None) -> tuple[str, str]:
        """Keep the visitor's key in their session state and update the banner."""
        key = (key or "").strip()
        return key, self.backend.banner(key)

    def banner(self, session_key: str | None = None) -> str:
        return self.backend.banner(session_key)

    # -- the events that need the page's session ----------------------------------
    def capture(
        self,
        image_editor: dict[str, Any] | None,
        mask_file: Any,
        invert_mask: bool = False,
        prompt: str | None = "x",
        request: gr.Request | None = None,
    ) -> Iterator[tuple[Any, Any, str, Any]]:
        """``Generation.capture`` for the session of ``request``."""
        # A generator function itself: gradio streams only what is declared as one.
        yield from self.generation.capture(
            image_editor, mask_file, invert_mask, prompt, session=session_of(request)
        )

    @takes(fields=FORM_FIELDS, keys=KEY_INPUTS)
    def generate(
        self,
        image: str | None,
        mask: str | None,
        fields: Mapping[str, Any],
        keys: Mapping[str, str | None],
        progress: gr.Progress = PROGRESS,
        request: gr.Request | None = None,
        profile: gr.OAuthProfile | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """The public ``/inpaint`` endpoint: inpaint the white area of ``mask`` in ``image``.

        Its arguments after the images are the form's fields by the API's argument
        names (``gradio_client`` callers pass ``image=, mask=, prompt=, seed=…``),
        generated from the parameter declaration (``endpoint.takes``), then the keys;
        the work is ``Generation.generate`` on the form by name.
        """
        session = session_of(request)
        yield from self.generation.generate(
            image,
            mask,
            fields,
            session_key=own_key(keys),
            progress=progress,
            session=session,
            visitor=self.visitor(request, profile, keys, session),
        )

    @takes(keys=KEY_INPUTS)
    def fetch(
        self,
        job_id: str | float | None,
        keys: Mapping[str, str | None],
        progress: gr.Progress = PROGRESS,
        request: gr.Request | None = None,
        profile: gr.OAuthProfile | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Collect a job that was still running (timed out, cancelled or from history)."""
        # The public /fetch_result endpoint: the docstring above is its API description.
        session = session_of(request)
        yield from self.generation.fetch(
            job_id,
            session_key=own_key(keys),
            progress=progress,
            session=session,
            visitor=self.visitor(request, profile, keys, session),
        )

    # -- who is asking ------------------------------------------------------------
    def visitor(
        self,
        request: gr.Request | None,
        profile: Any = None,
        keys: Mapping[str, str | None] | str | None = None,
        session: str = "",
    ) -> Visitor:
        """The visitor behind an event: the signed-in user, else the address (for quotas).

        ``keys`` is the event's key inputs (``KEY_INPUTS``) or the browser's token alone."""
        return visitor_of(
            request,
            profile,
            trusted=self.settings.trusted_proxies,
            browser_token=browser_token(keys),
            session=session or session_of(request),
        )

    @takes(keys=KEY_INPUTS[1:])
    def allowance(
        self,
        keys: Mapping[str, str | None],
        request: gr.Request | None = None,
        profile: gr.OAuthProfile | None = None,
    ) -> str:
        """The line near Generate: what this visitor may still send on the owner's key."""
        visitor = self.visitor(request, profile, keys)
        return self.access.allowance(visitor, own_key(keys))

    def end_session(self, request: gr.Request | None = None) -> None:
        """A tab was closed (gradio's ``unload``): its result files are unreachable."""
        session = getattr(request, "session_hash", None)
        if session:
            # Leaving stops paying: no further job of an outpaint or a comparison
            # is sent (jobs already sent keep their ids, fetchable by /fetch_result).
            if self.generation.board.cancel(session):
                # Said here too: gradio does not always close the event's generator
                # (whose own line names the ids), but it does end the session.
                log.warning(
                    "visitor left while a request of theirs ran or waited: it sends no "
                    "further job; jobs sent are kept for /fetch_result"
                )
            self.compare.leave(session)
            self.store.end_session(session)

    def cancel(self, request: gr.Request | None = None) -> str:
        """Stop waiting for this session's job (the job id is kept)."""
        return self.generation.cancel(session_of(request))


__all__ = [
    "Compare",
    "Extend",
    "Generation",
    "Reproduce",
    "Results",
    "Studio",
    "history",
    "preview",
    "run_info_text",
]
