"""Keymint interop: PyJWT's PyJWKClient against a Keymint issuer.

The JWKS is found through RFC 8414 metadata (jwks_uri); PyJWKClient picks the key by kid and PyJWT
verifies the ES256 signature, iss, aud and exp (RFC 9068 §4). A tampered token and another issuer's
token must be refused. Prints one JSON object on stdout.
"""
import json
import sys

import jwt
import requests
from jwt import PyJWKClient

cfg = json.loads(sys.argv[1])
issuer = cfg["issuer"]
jwks_uri = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=10).json()["jwks_uri"]
client = PyJWKClient(jwks_uri)
out = {}


def verify(token):
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["ES256", "EdDSA", "RS256"], audience=issuer + "/api", issuer=issuer)


out["claims"] = verify(cfg["token"])
header, payload, signature = cfg["token"].split(".")
tampered = ".".join([header, payload, ("A" if signature[5] != "A" else "B").join([signature[:5], signature[6:]])])
for name, token in (("tampered", tampered), ("foreign", cfg["foreign_token"])):
    try:
        verify(token)
        out[name] = "accepted"
    except jwt.PyJWTError as error:
        out[name] = type(error).__name__
print(json.dumps(out))
