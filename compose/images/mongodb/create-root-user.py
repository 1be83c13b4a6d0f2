"""Make the root user from MONGO_INITDB_ROOT_USERNAME / _PASSWORD on a server started without
authentication on 127.0.0.1 (the entrypoint's private first start), as the official image does."""
import os
import sys
import time

from pymongo import MongoClient
from pymongo.errors import PyMongoError

port = int(sys.argv[1])
client = MongoClient("127.0.0.1", port, directConnection=True, serverSelectionTimeoutMS=1000)
deadline = time.monotonic() + 60
while True:
    try:
        client.admin.command("ping")
        break
    except PyMongoError as exc:
        if time.monotonic() > deadline:
            sys.exit(f"docker-entrypoint: the private server did not answer in 60 s: {exc}")
        time.sleep(0.2)
client.admin.command("createUser", os.environ["MONGO_INITDB_ROOT_USERNAME"],
                     pwd=os.environ["MONGO_INITDB_ROOT_PASSWORD"], roles=[{"role": "root", "db": "admin"}])
client.close()
