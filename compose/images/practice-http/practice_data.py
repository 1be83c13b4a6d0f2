"""What the practice API serves and expects: the login, the treasure code, the page's origin, the catalog."""
from __future__ import annotations

import hashlib
import json

USER, PASSWORD = "learner", "http-is-fun"
TREASURE_CODE = "GOLD-4217"
CORS_ORIGIN = "http://localhost:3000"
CATALOG = {"catalog": [{"sku": "MUG-01", "name": "HTTP mug", "price": 9.5},
                       {"sku": "TEE-02", "name": "404 T-shirt", "price": 19.0},
                       {"sku": "CAP-03", "name": "Cache cap", "price": 14.0}]}
CATALOG_BODY = json.dumps(CATALOG, indent=2).encode()
CATALOG_ETAG = '"' + hashlib.sha256(CATALOG_BODY).hexdigest()[:16] + '"'
TREASURE_PAGE = f"""<!doctype html>
<html><head><title>Treasure</title></head>
<body><h1>You followed the redirects!</h1>
<p>The treasure code is: <code>{TREASURE_CODE}</code></p>
<p>Send it with POST /submit and a JSON body {{"code": "..."}}.</p></body></html>
"""
