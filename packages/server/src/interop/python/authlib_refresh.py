"""Keymint interop: Python Authlib as the tenant's public app (RFC 6749 §2.1, auth method none).

RFC 6749 §6 refresh at the token endpoint, then RFC 7009 revocation of the new refresh token with
client_id alone (§2.1), then the revoked token presented again. Prints one JSON object on stdout.
"""
import json
import sys

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

cfg = json.loads(sys.argv[1])
metadata = requests.get(cfg["issuer"] + "/.well-known/oauth-authorization-server", timeout=10).json()
session = OAuth2Session(cfg["app_id"], token_endpoint_auth_method="none", revocation_endpoint_auth_method="none")
out = {"auth_methods": metadata.get("revocation_endpoint_auth_methods_supported")}

refreshed = session.refresh_token(metadata["token_endpoint"], refresh_token=cfg["refresh_token"])
out["refreshed"] = {"token_type": refreshed["token_type"], "access_token": refreshed["access_token"], "refresh_token": refreshed["refresh_token"]}
out["revocation_status"] = session.revoke_token(metadata["revocation_endpoint"], token=refreshed["refresh_token"], token_type_hint="refresh_token").status_code
try:
    OAuth2Session(cfg["app_id"], token_endpoint_auth_method="none").refresh_token(metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
    out["after_revocation"] = "refreshed"
except OAuthError as error:
    out["after_revocation"] = error.error
print(json.dumps(out))
