"""The example notes API of examples/api, in FastAPI, protected by auth-connect access tokens.

    GET /notes          permission read
    POST /notes         permission write    body {"text": "..."}
    DELETE /notes/{id}  permission delete
    GET /admin/stats    role admin

Run it from this folder with Debian's Python (python3-fastapi, python3-uvicorn, python3-jwt):

    ISSUER=http://localhost:3000 /usr/bin/python3 -m uvicorn app:app --port 4001

ISSUER (default http://localhost:3000) must equal the tokens' iss; AUDIENCE defaults to urn:auth-connect:api;
JWKS_URI skips discovery.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from auth_connect import AuthConnect, AuthError, Subject

MAX_BODY_BYTES = 16 * 1024


def create_app(issuer: str, audience: str = "urn:auth-connect:api", jwks_uri: str | None = None) -> FastAPI:
    auth = AuthConnect(issuer=issuer, audience=audience, jwks_uri=jwks_uri)
    app = FastAPI(title="auth-connect example API (FastAPI)", docs_url=None, redoc_url=None, openapi_url=None)
    auth.install(app)
    _json_errors(app)

    notes: list[dict] = [{"id": 1, "text": "Welcome! This note comes from the example API.", "author": "system",
                          "createdAt": _now()}]
    next_id = [2]
    started_at = time.monotonic()

    @app.get("/notes")
    def list_notes(subject: Subject = Depends(auth.require_permission("read"))):
        return {"notes": notes, "user": {"sub": subject.sub, "roles": list(subject.roles),
                                         "permissions": list(subject.permissions)}}

    @app.post("/notes", status_code=201)
    async def add_note(request: Request, response: Response, subject: Subject = Depends(auth.require_permission("write"))):
        # the body is read here, after the token check, so an unauthenticated caller learns nothing from it
        body = await _read_json(request)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > 1000:
            return _error(400, "INVALID_REQUEST", 'send {"text": "..."} with 1 to 1000 characters')
        note = {"id": next_id[0], "text": text.strip(), "author": subject.sub, "createdAt": _now()}
        next_id[0] += 1
        notes.append(note)
        response.headers["Location"] = f"/notes/{note['id']}"
        return note

    @app.delete("/notes/{note_id}", status_code=204)
    def delete_note(note_id: str, _subject: Subject = Depends(auth.require_permission("delete"))):
        for index, note in enumerate(notes):
            if str(note["id"]) == note_id:
                del notes[index]
                return Response(status_code=204)
        return _error(404, "NOT_FOUND", f"no note {note_id}")

    @app.get("/admin/stats")
    def stats(_subject: Subject = Depends(auth.require_role("admin"))):
        return {"notes": len(notes), "authors": len({note["author"] for note in notes}),
                "uptimeSeconds": round(time.monotonic() - started_at)}

    return app


class _BadBody(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


async def _read_json(request: Request):
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise _BadBody(415, "send application/json")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BadBody(413, "the body is too large")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        raise _BadBody(400, "the body is not valid JSON") from None


def _json_errors(app: FastAPI) -> None:
    """Every answer is JSON {"error", "message"}, as in the Koa example; never a stack trace."""

    @app.exception_handler(_BadBody)
    async def bad_body(_request: Request, error: _BadBody):
        return _error(error.status, "INVALID_REQUEST", error.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, _error: RequestValidationError):
        return _error(400, "INVALID_REQUEST", "the request is not valid")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException):
        if isinstance(error, AuthError):  # raised as a FastAPI HTTPException; keep the kit's answer
            return JSONResponse(status_code=error.status_code, content=error.detail, headers=error.headers)
        codes = {404: ("NOT_FOUND", "no such route"), 405: ("METHOD_NOT_ALLOWED", "this route does not take that method")}
        code, message = codes.get(error.status_code, ("INVALID_REQUEST", "the request is not valid"))
        return _error(error.status_code, code, message, error.headers)

    @app.exception_handler(Exception)
    async def crashed(_request: Request, _error: Exception):
        return _error(500, "INTERNAL_ERROR", "something went wrong")


def _error(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message}, headers=headers)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


app = create_app(
    issuer=os.environ.get("ISSUER", "http://localhost:3000"),
    audience=os.environ.get("AUDIENCE") or "urn:auth-connect:api",
    jwks_uri=os.environ.get("JWKS_URI") or None,
)
