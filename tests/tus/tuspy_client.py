"""Drives tuspy (the tus Python client, not written here) for crates/sluice/tests/tus_clients.rs.

Usage: tuspy_client.py CREATION_URL FILE FILETYPE

Uploads FILE through the presigned tus creation URL in 4 MiB PATCHes, printing `OFFSET N`
after each. When a PATCH fails (the test SIGKILLs the server mid-upload) it prints `FAILED URL`,
reads `GO BASE` from stdin (the restarted server's http://host:port) and resumes the same
upload there: a new tuspy Uploader given the upload URL asks the server for the offset (HEAD)
and sends the rest. Prints `DONE URL` at the end.
"""

import os
import sys
from urllib.parse import urlsplit

from tusclient import client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed

CHUNK = 4 * 1024 * 1024


def say(*words):
    print(*words, flush=True)


def main():
    creation_url, path, filetype = sys.argv[1], sys.argv[2], sys.argv[3]
    metadata = {"filename": os.path.basename(path), "filetype": filetype}
    tus = client.TusClient(creation_url)
    uploader = tus.uploader(path, chunk_size=CHUNK, metadata=metadata, retries=0)
    size = os.path.getsize(path)
    try:
        while uploader.offset < size:
            uploader.upload_chunk()
            say("OFFSET", uploader.offset)
    except (TusCommunicationError, TusUploadFailed, OSError) as e:
        say("FAILED", uploader.url, type(e).__name__)
        base = sys.stdin.readline().split()[1]
        url = base + urlsplit(uploader.url).path
        resumed = client.TusClient(base).uploader(path, url=url, chunk_size=CHUNK, retries=0)
        say("RESUMED", resumed.offset)
        resumed.upload()
        uploader = resumed
    say("DONE", uploader.url)


if __name__ == "__main__":
    main()
