"""Drive Sakimori's TAXII 2.1 server with the OASIS reference client
(taxii2-client) and check every envelope with the OASIS validator
(stix2-validator). Prints one JSON summary for the Rust test to assert.

usage: taxii_client.py URL USER TOKEN COLLECTION_TITLE_PREFIX
"""

import json
import sys
import uuid

from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

url, user, token, wanted = sys.argv[1:5]
options = ValidationOptions(version="2.1", strict=False)
summary = {"invalid": [], "warnings": 0}


def validate(objects):
    """Every envelope's objects, as the bundle a client would build of them."""
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    result = validate_instance(bundle, options)
    if not result.is_valid:
        summary["invalid"].extend(str(e) for e in result.errors)
    summary["warnings"] += len(result.warnings or [])


server = Server(url + "/taxii2/", user=user, password=token)
summary["title"] = server.title
summary["api_roots"] = [r.url for r in server.api_roots]
root = server.default
summary["versions"] = root.versions
summary["max_content_length"] = root.max_content_length
collections = {c.title: c for c in root.collections}
summary["collections"] = sorted(collections)
collection = next(c for t, c in collections.items() if t.startswith(wanted))
summary["can_write"] = collection.can_write

# Page through the whole collection, 1,000 at a time.
ids, pages = set(), 0
for envelope in as_pages(collection.get_objects, per_request=1000):
    pages += 1
    objects = envelope.get("objects", [])
    validate(objects)
    ids.update(o["id"] for o in objects)
summary["paged_objects"] = len(ids)
summary["pages"] = pages

# Manifest and filters.
manifest = collection.get_manifest(limit=5)
summary["manifest_first"] = manifest["objects"][0]
summary["manifest_more"] = manifest["more"]
summary["filtered_types"] = sorted(
    {o["type"] for o in collection.get_objects(type="malware").get("objects", [])}
)

if not collection.can_write:
    print(json.dumps(summary))
    sys.exit(0)

# Add objects: one new indicator, two versions of a malware, one invalid object.
indicator_id = f"indicator--{uuid.uuid4()}"
malware_id = f"malware--{uuid.uuid4()}"
envelope = {
    "objects": [
        {
            "type": "indicator", "spec_version": "2.1", "id": indicator_id,
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
            "name": "Added through taxii2-client",
            "pattern": "[domain-name:value = 'added.example.net']",
            "pattern_type": "stix", "valid_from": "2026-11-01T00:00:00Z",
        },
        {
            "type": "malware", "spec_version": "2.1", "id": malware_id,
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
            "name": "Kiri", "is_family": True,
        },
        {
            "type": "malware", "spec_version": "2.1", "id": malware_id,
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
            "name": "Kiri", "is_family": True, "description": "second version",
        },
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--not-a-uuid"},
    ]
}
status = collection.add_objects(envelope)
summary["status"] = {
    "status": status.status,
    "success_count": status.success_count,
    "failure_count": status.failure_count,
    "failures": status.failures,
}
got = collection.get_object(indicator_id)
validate(got["objects"])
summary["got_added"] = got["objects"][0]["name"]
summary["versions_of_malware"] = collection.object_versions(malware_id)["versions"]
summary["latest_malware"] = collection.get_object(malware_id)["objects"][0].get("description")
first = collection.get_object(malware_id, version="first")["objects"][0]
summary["first_malware_modified"] = first["modified"]

# added_after: only what came after the last page's date.
added = sorted(
    m["date_added"]
    for page in as_pages(collection.get_manifest, per_request=5000)
    for m in page.get("objects", [])
)
summary["added_after_last"] = len(collection.get_objects(added_after=added[-1]).get("objects", []))
summary["added_after_10th_last"] = len(collection.get_objects(added_after=added[-10]).get("objects", []))

# Delete the indicator again.
collection.delete_object(indicator_id)
try:
    collection.get_object(indicator_id)
    summary["deleted"] = False
except Exception as e:  # the client raises on 404
    summary["deleted"] = "404" in str(e)

print(json.dumps(summary))
