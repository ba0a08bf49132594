"""Bot Framework stand-in, from Microsoft's public documentation
("Authenticate requests with the Bot Connector API", the Bot Connector REST
API reference, "Create a conversation", "Get conversation member", and
"Post to a channel when a webhook request is received" for workflows).

- GET /v1/.well-known/openidconfiguration: the OpenID metadata
  (issuer https://api.botframework.com, `jwks_uri`);
- GET /v1/.well-known/keys: the JWKS, from an RSA key made here with
  `cryptography`, endorsed for "msteams"; `rotate()` makes a new key;
- POST /{tenant}/oauth2/v2.0/token: the client credentials grant (form
  encoded), checking the tenant, client id, secret and scope; answers
  {"token_type": "Bearer", "expires_in", "access_token"} or Entra ID's
  {"error": "invalid_client", ...} with 401;
- the Bot Connector, under any service URL prefix ("/emea/"), each call
  needing a token the stand-in issued (401 otherwise):
  - POST /v3/conversations: a new thread in `channelData.channel.id`,
    answering {"id": "<channel>;messageid=<n>", "activityId": "<n>"}; or,
    with `isGroup: false` and one member, the bot's one-to-one chat with
    that person ({"id": "a:..."}, the same one each time), or 403
    BotNotInConversationRoster when the person has not added the app;
  - POST /v3/conversations/{id}/activities[/{replyTo}]: a message, {"id"};
  - GET /v3/conversations/{id}/members/{userId}: a TeamsChannelAccount
    (email, userPrincipalName, aadObjectId) or 404 MemberNotFoundInConversation;
- POST /workflows/{id}/triggers/manual/paths/invoke: a workflow webhook,
  202 for a message with an Adaptive Card attachment, 400 otherwise;
- scripted 429 with Retry-After, 5xx (`fail_next`, `rate_limit_next`).

It also issues the Bot Connector's tokens for tests (`token(...)`): valid,
expired, signed by another key, for another audience, issuer or service URL.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tests.support.tracker_standin import Recorded, Reply, StandIn

ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"
CARD = "application/vnd.microsoft.card.adaptive"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PREFIX = r"(?:/[A-Za-z0-9_-]+)?"


def new_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class BotFrameworkStandIn(StandIn):
    def __init__(self, *, app_id: str, password: str, tenant: str) -> None:
        self.app_id = app_id
        self.password = password
        self.tenant = tenant
        self.key = new_key()
        self.kid = "key-1"
        self.issued: set[str] = set()
        self.threads: dict[str, list[dict[str, Any]]] = {}
        self.members: dict[str, dict[str, Any]] = {}
        # People who added the app for themselves: the bot may open a chat with them.
        self.installed_for: set[str] = set()
        self.private_chats: dict[str, str] = {}
        self.webhook_posts: list[dict[str, Any]] = []
        # The app registration's uploaded certificate, by its SHA-1 thumbprint.
        self.certificates: dict[str, x509.Certificate] = {}
        self._ids = itertools.count(1700000000001)
        super().__init__()

    # --- addresses ---------------------------------------------------------------------

    @property
    def openid_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    @property
    def token_url(self) -> str:
        return f"{self.url}/{{tenant}}/oauth2/v2.0/token"

    @property
    def service_url(self) -> str:
        return f"{self.url}/emea/"

    @property
    def workflow_url(self) -> str:
        return (
            f"{self.url}/workflows/5f0a/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s3cr3t"
        )

    def routes(self) -> None:
        self.route("GET", "/v1/.well-known/openidconfiguration", self.metadata)
        self.route("GET", "/v1/.well-known/keys", self.jwks)
        self.route("POST", "/([^/]+)/oauth2/v2.0/token", self.token_endpoint)
        self.route("POST", f"{PREFIX}/v3/conversations", self.create_conversation)
        self.route("POST", f"{PREFIX}/v3/conversations/([^/]+)/activities", self.send)
        self.route("POST", f"{PREFIX}/v3/conversations/([^/]+)/activities/([^/]+)", self.reply)
        self.route("GET", f"{PREFIX}/v3/conversations/([^/]+)/members/([^/]+)", self.member)
        self.route("POST", "/workflows/([^/]+)/triggers/manual/paths/invoke", self.workflow)

    def authorised(self, headers: dict[str, str]) -> bool:
        return True  # each route checks what it needs (the Connector: a bearer token)

    # --- scripting ---------------------------------------------------------------------

    def rate_limit_next(self, *, retry_after: int, times: int = 1, method: str = "POST") -> None:
        self.fail_next(
            429,
            headers={"Retry-After": str(retry_after)},
            body={"error": {"code": "TooManyRequests", "message": "Too many requests"}},
            times=times,
            method=method,
        )

    def add_member(self, user_id: str, *, aad_id: str, name: str, email: str) -> None:
        self.members[user_id] = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad_id,
            "email": email,
            "userPrincipalName": email,
            "tenantId": self.tenant,
            "userRole": "user",
        }

    def rotate(self) -> None:
        """Microsoft publishes a new key; tokens are signed with it."""
        self.key = new_key()
        self.kid = f"key-{uuid.uuid4().hex[:8]}"

    def jwks_fetches(self) -> int:
        return len(self.sent("GET", "/v1/.well-known/keys"))

    def connector_posts(self, path_part: str = "") -> list[Recorded]:
        return [
            r
            for r in self.sent("POST", "")
            if "/v3/conversations" in r.path and path_part in unquote(r.path)
        ]

    # --- tokens the Bot Connector sends ------------------------------------------------

    def token(
        self,
        *,
        service_url: str | None = None,
        audience: str | None = None,
        issuer: str = ISSUER,
        lifetime: int = 3600,
        key: RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "serviceUrl": service_url or self.service_url,
            "nbf": now - 10,
            "exp": now + lifetime,
            "iss": issuer,
            "aud": audience or self.app_id,
        }
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    # --- OpenID ------------------------------------------------------------------------

    def metadata(self, request: Recorded) -> Reply:
        return Reply(
            200,
            {
                "issuer": ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            },
        )

    def jwks(self, request: Recorded) -> Reply:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "endorsements": ["msteams", "webchat"]})
        return Reply(200, {"keys": [jwk]})

    def token_endpoint(self, request: Recorded, tenant: str) -> Reply:
        form = {
            k: v[0]
            for k, v in parse_qs(request.body if isinstance(request.body, str) else "").items()
        }
        if tenant != self.tenant:
            return Reply(
                400,
                {"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."},
            )
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type"})
        if form.get("client_assertion_type") == ASSERTION_TYPE:
            valid = self._assertion_valid(form.get("client_assertion", ""), tenant)
        else:
            valid = form.get("client_secret") == self.password
        if form.get("client_id") != self.app_id or not valid:
            return Reply(
                401,
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
            )
        if form.get("scope") != SCOPE:
            return Reply(400, {"error": "invalid_scope"})
        token = uuid.uuid4().hex
        self.issued.add(token)
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

    def upload_certificate(self, certificate: x509.Certificate) -> None:
        thumbprint = base64.urlsafe_b64encode(certificate.fingerprint(hashes.SHA1()))
        self.certificates[thumbprint.rstrip(b"=").decode()] = certificate

    def _assertion_valid(self, assertion: str, tenant: str) -> bool:
        """Entra ID's checks of a certificate credential: a known
        thumbprint, its key's signature, this endpoint as the audience,
        the app as issuer and subject, not expired."""
        try:
            thumbprint = str(jwt.get_unverified_header(assertion).get("x5t") or "")
            certificate = self.certificates[thumbprint]
            claims = jwt.decode(
                assertion,
                certificate.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=f"{self.url}/{tenant}/oauth2/v2.0/token",
            )
        except (jwt.PyJWTError, KeyError):
            return False
        return claims.get("iss") == claims.get("sub") == self.app_id

    # --- the Bot Connector -------------------------------------------------------------

    def _denied(self, request: Recorded) -> Reply | None:
        scheme, _space, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self.issued:
            return Reply(401, {"message": "Authorization has been denied for this request."})
        return None

    def create_conversation(self, request: Recorded) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("isGroup") is False:
            return self._private_chat(body)
        channel = str(((body.get("channelData") or {}).get("channel") or {}).get("id") or "")
        activity = body.get("activity")
        if not body.get("isGroup") or not channel or not isinstance(activity, dict):
            return Reply(400, {"error": {"code": "BadArgument", "message": "Invalid conversation"}})
        message_id = str(next(self._ids))
        thread = f"{channel};messageid={message_id}"
        self.threads[thread] = [activity]
        return Reply(201, {"id": thread, "activityId": message_id})

    def _private_chat(self, body: dict[str, Any]) -> Reply:
        members = body.get("members")
        tenant = str(((body.get("channelData") or {}).get("tenant") or {}).get("id") or "")
        bot = str((body.get("bot") or {}).get("id") or "")
        if not isinstance(members, list) or len(members) != 1 or not bot or tenant != self.tenant:
            return Reply(400, {"error": {"code": "BadArgument", "message": "Invalid conversation"}})
        user_id = str((members[0] or {}).get("id") or "")
        if user_id not in self.installed_for:
            return Reply(
                403,
                {
                    "error": {
                        "code": "BotNotInConversationRoster",
                        "message": "The bot is not part of the conversation roster.",
                    }
                },
            )
        chat = self.private_chats.setdefault(user_id, f"a:{uuid.uuid4().hex}")
        return Reply(201, {"id": chat})

    def send(self, request: Recorded, conversation: str) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        conversation = unquote(conversation)
        if not isinstance(request.body, dict) or request.body.get("type") != "message":
            return Reply(400, {"error": {"code": "BadArgument", "message": "Invalid activity"}})
        self.threads.setdefault(conversation, []).append(request.body)
        return Reply(201, {"id": str(next(self._ids))})

    def reply(self, request: Recorded, conversation: str, activity_id: str) -> Reply:
        return self.send(request, conversation)

    def member(self, request: Recorded, conversation: str, user_id: str) -> Reply:
        if (denied := self._denied(request)) is not None:
            return denied
        found = self.members.get(unquote(user_id))
        if found is None:
            return Reply(
                404,
                {"error": {"code": "MemberNotFoundInConversation", "message": "Member not found"}},
            )
        return Reply(200, found)

    # --- workflows ---------------------------------------------------------------------

    def workflow(self, request: Recorded, workflow: str) -> Reply:
        if "sig" not in request.query:
            return Reply(401, {"error": {"code": "DirectApiAuthorizationRequired"}})
        body = request.body if isinstance(request.body, dict) else {}
        attachments = body.get("attachments")
        if (
            body.get("type") != "message"
            or not isinstance(attachments, list)
            or not attachments
            or any(
                a.get("contentType") != CARD
                or (a.get("content") or {}).get("type") != "AdaptiveCard"
                for a in attachments
            )
        ):
            return Reply(400, {"error": {"code": "InvalidRequestContent"}})
        self.webhook_posts.append(body)
        return Reply(202, None)

    def posted(self, conversation: str) -> list[dict[str, Any]]:
        """The activities in a conversation (a thread's first one included)."""
        return list(self.threads.get(conversation, []))
