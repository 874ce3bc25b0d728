"""Which codes of the distribution spec's error code table name each fault a negative case
sends, so a refusal is judged for the reason under test (``judging.refused``).

A tuple lists the codes whose table row describes the fault: when the registry answers with
a JSON error list, one of its codes must be among them. A string is the reason no row
describes the fault: the status is judged alone and the message says so.
"""
from __future__ import annotations

# a chunk that does not continue the upload: the row "blob upload invalid"
CHUNK_FAULT = ("BLOB_UPLOAD_INVALID",)
# a digest that does not parse, or names an algorithm the registry lacks
DIGEST_FAULT = ("DIGEST_INVALID", "UNSUPPORTED")
# a repository that does not exist (a manifest in it is unknown as well)
REPOSITORY_FAULT = ("NAME_UNKNOWN", "MANIFEST_UNKNOWN")
# a repository name outside the name grammar
NAME_FAULT = ("NAME_INVALID",)
# a name with dot segments: invalid as given, or (once resolved) naming nothing stored
TRAVERSAL_FAULT = ("NAME_INVALID", "NAME_UNKNOWN", "MANIFEST_UNKNOWN", "BLOB_UNKNOWN",
                   "DIGEST_INVALID")
# a malformed blob digest in a GET: 400 for the digest, or 404 for the blob
BLOB_DIGEST_FAULT = ("DIGEST_INVALID", "BLOB_UNKNOWN")

NO_ROW_RANGE = "the spec gives 416 for a range past the end and no error code"
NO_ROW_SIZE_CAP = "the spec gives 413 for a manifest over the cap and no error code"
NO_ROW_TAG = ("the code table has no row for a malformed tag (TAG_INVALID is named only as "
              "a schema 1 code)")
NO_ROW_REFERENCE = "the code table has no row for a reference that is neither tag nor digest"
