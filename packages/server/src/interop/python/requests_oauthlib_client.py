"""Keymint interop: requests-oauthlib (BackendApplicationClient) against a Keymint issuer.

RFC 6749 §4.4 client credentials with the secret in HTTP Basic and in the body, then the Contacts API
called through the library's own session (RFC 6750 §2.1 Bearer header). Prints one JSON object.
"""
import json
import os
import sys

import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

# The test server speaks plain HTTP on 127.0.0.1; oauthlib refuses that unless told.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

cfg = json.loads(sys.argv[1])
issuer = cfg["issuer"]
token_url = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=10).json()["token_endpoint"]
out = {}

basic = OAuth2Session(client=BackendApplicationClient(client_id=cfg["client_id"]))
token = basic.fetch_token(token_url=token_url, auth=HTTPBasicAuth(cfg["client_id"], cfg["client_secret"]), scope=["contacts_read"])
out["client_secret_basic"] = {"token_type": token["token_type"], "scope": token.get("scope"), "api_status": basic.get(issuer + "/api/v1/contacts").status_code, "access_token": token["access_token"]}

post = OAuth2Session(client=BackendApplicationClient(client_id=cfg["client_id"]))
token = post.fetch_token(token_url=token_url, client_id=cfg["client_id"], client_secret=cfg["client_secret"], include_client_id=True)
out["client_secret_post"] = {"token_type": token["token_type"], "scope": token.get("scope"), "api_status": post.get(issuer + "/api/v1/contacts").status_code, "access_token": token["access_token"]}

try:
    OAuth2Session(client=BackendApplicationClient(client_id=cfg["client_id"])).fetch_token(token_url=token_url, auth=HTTPBasicAuth(cfg["client_id"], "kms_wrong"))
    out["wrong_secret"] = "accepted"
except Exception as error:  # oauthlib raises InvalidClientError carrying the RFC 6749 §5.2 code
    out["wrong_secret"] = getattr(error, "error", type(error).__name__)
print(json.dumps(out))
