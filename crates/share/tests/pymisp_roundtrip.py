"""Checks Sakimori's MISP interchange against the reference tools.

Reads from stdin {"fixture": <path of the MISP event fixture>, "exported":
<Sakimori's MISP export of it>, "stix": [<the STIX 2.1 objects Sakimori imported
from it>]}, then:

1. loads the fixture with PyMISP's event loader, proving it is a MISP event;
2. loads the export the same way and asserts that PyMISP sees the same
   attributes, objects, tags, distribution and sharing group as in the fixture;
3. validates the STIX objects, in a bundle, with the OASIS STIX 2.1 validator
   (errors fail, warnings are reported);
4. prints the export as PyMISP re-serialises it (``MISPEvent.to_json()``), for
   the Rust test to import back.

Any failure exits non-zero with the reason on stderr.
"""

import contextlib
import json
import logging
import os
import sys
import uuid

import stix2validator
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string


class Recorder(logging.Handler):
    """PyMISP reports what it tolerates (unknown object relations, ...) as log warnings."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def fail(message):
    print(f"pymisp_roundtrip: {message}", file=sys.stderr)
    sys.exit(1)


def load(text, what, recorder):
    recorder.messages.clear()
    event = MISPEvent()
    try:
        event.load(text)
    except Exception as e:  # PyMISP raises its own error types for invalid events
        fail(f"PyMISP refuses {what}: {type(e).__name__}: {e}")
    if recorder.messages:
        fail(f"PyMISP warns about {what}: {recorder.messages}")
    return event


def view(event):
    """What PyMISP sees of an event, in comparable form."""

    def attribute(a):
        return {
            "type": a.type,
            "value": str(a.value),
            "category": a.category,
            "to_ids": a.to_ids,
            "comment": a.comment,
            "object_relation": getattr(a, "object_relation", None),
            "tags": sorted(t.name for t in a.tags),
        }

    return {
        "info": event.info,
        "date": event.date.isoformat(),
        "distribution": event.distribution,
        "sharing_group": event.SharingGroup.name if hasattr(event, "SharingGroup") else None,
        "orgc": event.Orgc.name,
        "tags": sorted(t.name for t in event.tags),
        "attributes": {a.uuid: attribute(a) for a in event.attributes},
        "objects": {
            o.uuid: {
                "name": o.name,
                "comment": o.comment,
                "known_template": o._known_template,
                "attributes": {a.uuid: attribute(a) for a in o.attributes},
            }
            for o in event.objects
        },
        "clusters": sorted(c.tag_name for g in event.galaxies for c in g.clusters),
    }


def validate(objects):
    schemas = os.path.join(os.path.dirname(stix2validator.__file__), "schemas-2.1")
    if not os.path.isdir(schemas):
        fail(
            f"stix2-validator {stix2validator.__version__} has no STIX schemas ({schemas}) and would "
            "reject everything (oasis-open/cti-stix-validator#248): install the version in "
            "scripts/requirements-test.txt"
        )
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    with contextlib.redirect_stdout(sys.stderr):  # stdout is for the event
        results = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    results = results if isinstance(results, list) else [results]
    warnings = [w for r in results for w in r.warnings or []]
    for w in warnings:
        print(f"stix2-validator warning: {w}", file=sys.stderr)
    errors = [e.message for r in results for e in r.errors]
    if errors or not all(r.is_valid for r in results):
        fail("invalid STIX 2.1: " + "; ".join(errors))
    # A validator that accepts everything proves nothing: it must reject a bad hash.
    canary = dict(next(o for o in objects if o["type"] == "indicator"), pattern="[file:hashes.'SHA-256' = 'x']")
    with contextlib.redirect_stdout(sys.stderr):
        if validate_string(json.dumps(canary), ValidationOptions(version="2.1")).is_valid:
            fail("stix2-validator accepts an invalid pattern; it is not checking anything")
    return len(warnings)


def main():
    given = json.load(sys.stdin)
    recorder = Recorder()
    logging.getLogger("pymisp").addHandler(recorder)

    with open(given["fixture"], encoding="utf-8") as f:
        fixture = view(load(f.read(), "the fixture", recorder))
    if (len(fixture["attributes"]), len(fixture["objects"]), fixture["distribution"]) != (15, 2, 4):
        fail(f"the fixture is not the one the tests expect: {fixture}")

    exported_event = load(json.dumps(given["exported"]), "Sakimori's export", recorder)
    exported = view(exported_event)
    for key in fixture:
        if exported[key] != fixture[key]:
            fail(f"PyMISP sees a different {key} in the export:\n  fixture:  {fixture[key]}\n  exported: {exported[key]}")
    if not all(o["known_template"] for o in exported["objects"].values()):
        fail("an exported object does not match its MISP object template")

    warnings = validate(given["stix"])
    print(f"stix2-validator: {len(given['stix'])} objects valid, {warnings} warnings", file=sys.stderr)

    print(exported_event.to_json())


if __name__ == "__main__":
    main()
