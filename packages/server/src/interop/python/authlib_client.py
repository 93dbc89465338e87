"""Keymint interop: Python Authlib against a Keymint issuer.

RFC 8414 discovery, RFC 6749 §4.4 client credentials with client_secret_basic and client_secret_post,
JWT verification with authlib.jose against the published JWKS, RFC 7662 introspection and RFC 7009
revocation (of a JWT and of an opaque access token). Prints one JSON object on stdout.
"""
import json
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, JsonWebToken

cfg = json.loads(sys.argv[1])
issuer = cfg["issuer"]
metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
out = {"issuer": metadata["issuer"]}

tokens = {}
for method in ("client_secret_basic", "client_secret_post"):
    session = OAuth2Session(cfg["client_id"], cfg["client_secret"], token_endpoint_auth_method=method, scope="contacts_read")
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    tokens[method] = token["access_token"]
    out[method] = {"token_type": token["token_type"], "scope": token.get("scope"), "expires_in": token["expires_in"], "access_token": token["access_token"]}

jwks = JsonWebKey.import_key_set(requests.get(metadata["jwks_uri"], timeout=10).json())
claims = JsonWebToken(["ES256", "EdDSA", "RS256"]).decode(
    tokens["client_secret_basic"],
    jwks,
    claims_options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": issuer + "/api"}},
)
claims.validate()
out["verified_claims"] = dict(claims)

# The resource server authenticates to introspect; the app revokes its own tokens.
resource_server = OAuth2Session(cfg["introspector_id"], cfg["introspector_secret"], token_endpoint_auth_method="client_secret_basic")
app = OAuth2Session(cfg["client_id"], cfg["client_secret"], token_endpoint_auth_method="client_secret_basic", revocation_endpoint_auth_method="client_secret_basic")
opaque_app = OAuth2Session(cfg["opaque_client_id"], cfg["opaque_client_secret"], token_endpoint_auth_method="client_secret_post", revocation_endpoint_auth_method="client_secret_post")
opaque = opaque_app.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")["access_token"]


def introspect(token):
    return resource_server.introspect_token(metadata["introspection_endpoint"], token=token).json()


out["introspection"] = {"jwt_before": introspect(tokens["client_secret_post"]), "opaque_before": introspect(opaque)}
out["revocation_status"] = {
    "jwt": app.revoke_token(metadata["revocation_endpoint"], token=tokens["client_secret_post"], token_type_hint="access_token").status_code,
    "opaque": opaque_app.revoke_token(metadata["revocation_endpoint"], token=opaque).status_code,
}
out["introspection"]["jwt_after"] = introspect(tokens["client_secret_post"])
out["introspection"]["opaque_after"] = introspect(opaque)
out["opaque_token"] = opaque
print(json.dumps(out))
