"""How a portal page is answered: one template rendered with what every page needs.

``page()`` adds what ``base.html`` uses on every page: the static path, who is signed in (with
the form token of the sign-out button) and which sections of the navigation the caller may open
(a member's own pages, the operator views). Pages that show anything beyond the public are sent
with ``Cache-Control: no-store``, so a shared browser or proxy keeps no copy of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from ixcenter.api.policy import Caller
from ixcenter.portal.templating import STATIC_PATH, templates


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who looks at a page, as the navigation needs it."""

    name: str | None
    member_id: int | None  # a member's organisation: its own pages
    staff: bool  # operator or supervisor: the operator views

    @classmethod
    def of(cls, caller: Caller) -> Viewer:
        return cls(caller.name, caller.organisation_id, caller.sees_everything)


def page(
    request: Request,
    caller: Caller,
    template: str,
    /,
    *,
    title: str,
    private: bool = False,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` rendered with ``context`` and the page frame; ``private`` pages are
    never stored by caches."""
    token: str | None = getattr(request.state, "csrf_token", None)
    html = templates.get_template(template).render(
        title=title,
        static=STATIC_PATH,
        viewer=Viewer.of(caller),
        signed_in=caller.name if token else None,
        csrf_token=token,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response
