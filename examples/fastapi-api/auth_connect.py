"""Verify auth-connect access tokens in a FastAPI app: the Python counterpart of @auth-connect/resource-server.

Copy this file into your API. It needs FastAPI and PyJWT with cryptography (on Debian 12:
python3-fastapi, python3-jwt, python3-cryptography). Usage:

    auth = AuthConnect(issuer="https://id.example.com", audience="urn:auth-connect:api")
    app = FastAPI()
    auth.install(app)  # 401/403/503 answered as {"error": CODE, "message": ...}

    @app.get("/notes")
    def notes(subject: Subject = Depends(auth.require_permission("read"))):
        return {"user": subject.sub}

What it checks, as the TypeScript kit does: the signature against the issuer's JWKS (found by OpenID Connect
discovery, or given as jwks_uri), an algorithm allow-list (ES256, RS256, PS256, EdDSA; never none or HS*),
the header's typ at+jwt (an ID token is refused), iss, aud, exp and nbf with a small leeway (30 s, at most 60),
the claims sub and client_id. A DPoP-bound token (cnf.jkt, RFC 9449) is refused: this module takes bearer
tokens only, and a bound token sent as a bearer token may have been stolen.

The dependencies are plain functions (not async): FastAPI runs them in its thread pool, so fetching the
JWKS (PyJWT fetches with urllib, blocking) never stalls the event loop.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

import jwt
from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse
from jwt import PyJWKClient

__all__ = ["AuthConnect", "AuthError", "Subject", "TokenRefused", "VerifierUnavailable"]

DEFAULT_ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
# Only asymmetric algorithms: an API verifies with the issuer's public keys. HS* would let anyone who has
# those public key bytes forge tokens (algorithm confusion); "none" would accept any token.
_ASYMMETRIC = {"ES256": "EC", "ES384": "EC", "ES512": "EC", "RS256": "RSA", "RS384": "RSA", "RS512": "RSA",
               "PS256": "RSA", "PS384": "RSA", "PS512": "RSA", "EdDSA": "OKP"}
DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = 60
DEFAULT_REALM = "api"
_FETCH_TIMEOUT_SECONDS = 5
_MAX_DOCUMENT_BYTES = 512 * 1024
_RETRY_AFTER_SECONDS = 2
# An unknown kid makes us fetch the JWKS again (the issuer may have rotated), at most once in this many
# seconds: otherwise every request with a made-up kid would cost a fetch from the issuer.
_UNKNOWN_KID_COOLDOWN_SECONDS = 30
# RFC 6750 §2.1 b64token
_TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


@dataclass(frozen=True)
class Subject:
    """Who is calling: what an API needs from a verified access token."""

    sub: str
    """The user, or the machine client for client-credentials tokens."""
    client_id: str
    scope: tuple[str, ...]
    roles: tuple[str, ...]
    permissions: tuple[str, ...]
    email: Optional[str]
    expires_at: int
    """Every claim of the token, for anything the fields above leave out."""
    claims: dict[str, Any] = field(repr=False)


class AuthError(HTTPException):
    """A refusal, answered by the handler AuthConnect.install() adds with the kit's JSON body and headers.

    It is an HTTPException so that, without that handler, FastAPI still answers with its status and headers.
    """

    def __init__(self, status_code: int, error: str, message: str, headers: dict[str, str]):
        super().__init__(status_code=status_code, detail={"error": error, "message": message}, headers=headers)
        self.error = error
        self.message = message


class TokenRefused(Exception):
    """verify() refuses the token: answer 401 with `code` (INVALID_TOKEN or TOKEN_EXPIRED) and `message`."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class VerifierUnavailable(Exception):
    """The issuer's discovery document or keys cannot be fetched or used: 503, the caller did nothing wrong."""


class AuthConnect:
    """Verifies auth-connect access tokens for one issuer and one audience; hands out FastAPI dependencies."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        jwks_uri: Optional[str] = None,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        leeway: float = DEFAULT_LEEWAY_SECONDS,
        realm: str = DEFAULT_REALM,
        jwks_cache_seconds: int = 300,
    ):
        if not _is_http_url(issuer):
            raise ValueError("issuer must be an http(s) URL")
        if not isinstance(audience, str) or not audience:
            raise ValueError("audience must be a non-empty string")
        if jwks_uri is not None and not _is_http_url(jwks_uri):
            raise ValueError("jwks_uri must be an http(s) URL")
        algorithms = list(dict.fromkeys(algorithms))
        if not algorithms:
            raise ValueError("algorithms must be a non-empty list")
        for alg in algorithms:
            if alg not in _ASYMMETRIC:
                raise ValueError(f"algorithm {alg} is refused: use some of {', '.join(_ASYMMETRIC)}")
        if not 0 <= leeway <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY_SECONDS} seconds")
        self.issuer = issuer
        self.audience = audience
        self.algorithms = tuple(algorithms)
        self.leeway = leeway
        self.realm = realm
        self._jwks_uri = jwks_uri
        self._jwks_cache_seconds = jwks_cache_seconds
        self._keys: Optional[_KeySet] = None
        self._lock = threading.Lock()
        self._discovery_failed_at = 0.0

    # ---- FastAPI glue -------------------------------------------------------------------------------------

    def install(self, app: FastAPI) -> None:
        """Answers AuthError as the kit does: {"error": CODE, "message": "..."} with its headers."""

        async def handler(_request: Request, error: AuthError) -> JSONResponse:
            return JSONResponse(status_code=error.status_code, content=error.detail, headers=error.headers)

        app.add_exception_handler(AuthError, handler)

    def current_subject(self, request: Request) -> Subject:
        """Dependency: the verified caller, or 401 (no, bad, expired or DPoP-bound token) or 503 (no keys)."""
        cached = getattr(request.state, "auth_connect_subject", None)
        if isinstance(cached, Subject):
            return cached
        scheme, token = _credentials(request.headers.get("authorization"))
        if scheme is None:
            raise self._challenge(401, "INVALID_TOKEN", "an access token is required", error=None)
        if scheme == "DPoP":
            raise self._challenge(401, "INVALID_TOKEN", "this API accepts access tokens with the Bearer scheme only")
        if token is None:
            raise self._challenge(401, "INVALID_TOKEN", "the bearer token is malformed")
        try:
            subject = self.verify(token)
        except TokenRefused as refused:
            raise self._challenge(401, refused.code, refused.message) from None
        except VerifierUnavailable:
            raise AuthError(503, "SERVICE_UNAVAILABLE", "cannot check access tokens right now; try again shortly",
                            {"Retry-After": str(_RETRY_AFTER_SECONDS)}) from None
        request.state.auth_connect_subject = subject
        return subject

    # The original system's name for the same dependency.
    get_current_user = current_subject

    def require_permission(self, *permissions: str) -> Callable[..., Subject]:
        """Dependency: the caller must hold ALL these permissions; otherwise 403 INSUFFICIENT_PERMISSIONS."""
        wanted = _names(permissions, "require_permission")
        message = (f"this request needs the {wanted[0]} permission" if len(wanted) == 1
                   else f"this request needs all of the permissions {', '.join(wanted)}")
        return self._guard(lambda subject: all(p in subject.permissions for p in wanted), message)

    def require_role(self, *roles: str) -> Callable[..., Subject]:
        """Dependency: the caller must have ANY of these roles; otherwise 403. Prefer permissions for new code."""
        wanted = _names(roles, "require_role")
        message = (f"this request needs the {wanted[0]} role" if len(wanted) == 1
                   else f"this request needs one of the roles {', '.join(wanted)}")
        return self._guard(lambda subject: any(r in subject.roles for r in wanted), message)

    def _guard(self, allows: Callable[[Subject], bool], message: str) -> Callable[..., Subject]:
        def dependency(request: Request) -> Subject:
            subject = self.current_subject(request)
            if not allows(subject):
                raise self._challenge(403, "INSUFFICIENT_PERMISSIONS", message, error="insufficient_scope")
            return subject

        return dependency

    def _challenge(self, status: int, code: str, message: str, error: Optional[str] = "invalid_token") -> AuthError:
        # RFC 6750 §3: without credentials the challenge carries no error code
        value = f'Bearer realm="{_quotable(self.realm)}"'
        if error is not None:
            value += f', error="{error}", error_description="{_quotable(message)}"'
        return AuthError(status, code, message, {"WWW-Authenticate": value})

    # ---- verification --------------------------------------------------------------------------------------

    def verify(self, token: str) -> Subject:
        """The claims of an access token presented as a bearer token (a DPoP-bound one is refused).

        Raises TokenRefused (answer 401) or VerifierUnavailable (the issuer's keys cannot be fetched: 503).
        Blocks while it fetches the JWKS: from async code, call it through a thread (anyio.to_thread).
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenRefused("INVALID_TOKEN", "the token is malformed") from None
        except jwt.PyJWTError:  # e.g. a crit extension PyJWT does not understand
            raise TokenRefused("INVALID_TOKEN", "the token is invalid") from None
        if "crit" in header:
            # RFC 7515 §4.1.11: extensions we do not understand must fail (PyJWT checks it only from 2.6.0-1+deb12u1);
            # auth-connect sets none
            raise TokenRefused("INVALID_TOKEN", "the token is invalid")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise TokenRefused("INVALID_TOKEN", "the token is signed with an algorithm this API does not accept")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            # auth-connect names the key of every token it signs
            raise TokenRefused("INVALID_TOKEN", "the token lacks the kid header")
        key = self._key_set().key_for(kid, alg)
        # RFC 9068 §4: typ keeps an ID token (typ JWT) from passing as an access token; compared like jose does
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "at+jwt":
            raise TokenRefused("INVALID_TOKEN", "the token is not an access token")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                # iat is not compared with the clock (as in the kit): an issuer a little ahead stays usable
                options={"require": ["exp", "iss", "aud", "sub", "client_id"], "verify_iat": False},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("TOKEN_EXPIRED", "the access token has expired") from None
        except jwt.PyJWTError as error:
            raise TokenRefused("INVALID_TOKEN", _invalid_token_message(error)) from None
        subject = _subject(payload)
        # RFC 9449 §7.2: a DPoP-bound token sent as a bearer token is refused, or a stolen token would work without its key
        if "cnf" in payload:
            cnf = payload["cnf"]
            if not isinstance(cnf, dict) or "jkt" in cnf:
                raise TokenRefused("INVALID_TOKEN", "this access token is bound to a DPoP key and this API accepts bearer tokens only")
        return subject

    def _key_set(self) -> _KeySet:
        if self._keys is not None:
            return self._keys
        with self._lock:
            if self._keys is None:
                uri = self._jwks_uri or self._discover()
                self._keys = _KeySet(uri, self._jwks_cache_seconds)
            return self._keys

    def _discover(self) -> str:
        """The jwks_uri of the issuer's discovery document; a failure is retried after a short pause."""
        if time.monotonic() - self._discovery_failed_at < _RETRY_AFTER_SECONDS:
            raise VerifierUnavailable("discovery failed a moment ago")
        try:
            document = _fetch_json(self.issuer.rstrip("/") + "/.well-known/openid-configuration")
            if not isinstance(document, dict):
                raise VerifierUnavailable("the discovery document is not a JSON object")
            # OpenID Connect Discovery §4.3: the document must name exactly the issuer we asked
            if document.get("issuer") != self.issuer:
                raise VerifierUnavailable("the discovery document names another issuer than the one configured")
            jwks_uri = document.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not _is_http_url(jwks_uri):
                raise VerifierUnavailable("the discovery document has no usable jwks_uri")
            return jwks_uri
        except VerifierUnavailable:
            self._discovery_failed_at = time.monotonic()
            raise


class _KeySet(PyJWKClient):
    """PyJWT's JWKS client with a fetch timeout and size limit, and a cooldown on refetching for unknown kids."""

    def __init__(self, uri: str, cache_seconds: int):
        super().__init__(uri, cache_jwk_set=True, lifespan=cache_seconds)
        self._refetched_at = 0.0
        self._lock = threading.Lock()

    def fetch_data(self) -> Any:
        # PyJWT 2.6 fetches without a timeout and caches a failed fetch as "no keys"; this does neither
        data = _fetch_json(self.uri)
        if self.jwk_set_cache is not None:
            self.jwk_set_cache.put(data)
        return data

    def key_for(self, kid: str, alg: str) -> Any:
        """The public key for kid, fit for alg; raises TokenRefused for a key the issuer does not publish."""
        key = self._find(kid, refresh=False)
        if key is None:
            with self._lock:
                if time.monotonic() - self._refetched_at >= _UNKNOWN_KID_COOLDOWN_SECONDS:
                    self._refetched_at = time.monotonic()
                    key = self._find(kid, refresh=True)
                else:
                    key = self._find(kid, refresh=False)
        if key is None:
            raise TokenRefused("INVALID_TOKEN", "the token is signed with a key the issuer does not publish")
        # the key must be of the token's algorithm: an EC key never checks an RS256 signature, and a JWK that
        # names its alg is used with that one only
        jwk_alg = key._jwk_data.get("alg")
        if key._jwk_data.get("kty") != _ASYMMETRIC[alg] or (jwk_alg is not None and jwk_alg != alg):
            raise TokenRefused("INVALID_TOKEN", "the token is signed with an algorithm this API does not accept")
        return key.key

    def _find(self, kid: str, refresh: bool) -> Any:
        try:
            keys = self.get_signing_keys(refresh=refresh)
        except jwt.PyJWTError as error:  # no usable keys in the set
            raise VerifierUnavailable(str(error)) from None
        return self.match_kid(keys, kid)


def _fetch_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_SECONDS) as response:
            if response.status != 200:
                raise VerifierUnavailable(f"{url} answered HTTP {response.status}")
            body = response.read(_MAX_DOCUMENT_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise VerifierUnavailable(f"cannot fetch {url}: {error}") from None
    if len(body) > _MAX_DOCUMENT_BYTES:
        raise VerifierUnavailable(f"{url} answered a document that is too large")
    try:
        return json.loads(body)
    except ValueError:
        raise VerifierUnavailable(f"{url} did not answer JSON") from None


def _credentials(authorization: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(scheme, token) from an Authorization header: (None, None) without Bearer or DPoP, token None if malformed."""
    parts = (authorization or "").strip().split()
    if not parts:
        return None, None
    name = parts[0].lower()
    scheme = "Bearer" if name == "bearer" else "DPoP" if name == "dpop" else None
    if scheme is None:
        return None, None  # another scheme, e.g. Basic: no credentials for us (RFC 6750 §3.1)
    if len(parts) != 2 or not _TOKEN68.match(parts[1]):
        return scheme, None
    return scheme, parts[1]


def _subject(payload: dict[str, Any]) -> Subject:
    """Claims of the wrong shape make the token invalid rather than being ignored or guessed at."""
    sub, client_id, scope, email = payload.get("sub"), payload.get("client_id"), payload.get("scope"), payload.get("email")
    if not isinstance(sub, str) or not sub:
        raise _malformed("sub")
    if not isinstance(client_id, str) or not client_id:
        raise _malformed("client_id")
    if scope is not None and not isinstance(scope, str):
        raise _malformed("scope")
    if email is not None and not isinstance(email, str):
        raise _malformed("email")
    iat = payload.get("iat")
    if iat is not None and (not isinstance(iat, (int, float)) or isinstance(iat, bool)):
        raise TokenRefused("INVALID_TOKEN", "the token's iat claim is malformed")
    exp = payload.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise _malformed("exp")
    return Subject(
        sub=sub,
        client_id=client_id,
        scope=tuple(word for word in (scope or "").split(" ") if word),
        roles=_string_list(payload, "roles"),
        permissions=_string_list(payload, "permissions"),
        email=email,
        expires_at=int(exp),
        claims=payload,
    )


def _string_list(payload: dict[str, Any], claim: str) -> tuple[str, ...]:
    value = payload.get(claim)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _malformed(claim)
    return tuple(value)


def _malformed(claim: str) -> TokenRefused:
    return TokenRefused("INVALID_TOKEN", f"the token's {claim} claim is missing or malformed")


def _invalid_token_message(error: Exception) -> str:
    """The kit's fixed sentences: never PyJWT's text, so nothing read from the token reaches a response."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the token lacks the {error.claim} claim"
    if isinstance(error, jwt.InvalidIssuerError):
        return "the token was issued by another issuer"
    if isinstance(error, jwt.InvalidAudienceError):
        return "the token is not meant for this API"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "the token is not valid yet"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "the token is signed with an algorithm this API does not accept"
    if isinstance(error, jwt.InvalidSignatureError):
        return "the token signature is invalid"
    if isinstance(error, jwt.DecodeError):
        return "the token is malformed"
    return "the token is invalid"


def _names(names: tuple, what: str) -> tuple[str, ...]:
    # one list is taken as the names, as the kit takes them: require_permission(["read", "write"])
    if len(names) == 1 and isinstance(names[0], (list, tuple)):
        names = tuple(names[0])
    # an empty list would make "any of" refuse everyone and "all of" allow everyone: a programming mistake
    if not names or any(not isinstance(name, str) or not name for name in names):
        raise TypeError(f"{what} needs at least one non-empty name")
    return names


def _quotable(text: str) -> str:
    # RFC 6750 §3: error_description may hold only %x20-21 / %x23-5B / %x5D-7E
    return re.sub(r"[^\x20\x21\x23-\x5b\x5d-\x7e]", "", text)


def _is_http_url(value: Union[str, None]) -> bool:
    return isinstance(value, str) and re.match(r"^https?://[^/\s]+", value) is not None
