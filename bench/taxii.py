#!/usr/bin/env python3
"""TAXII 2.1 ingest and paged retrieval, Sakimori against medallion, one client.

Run through bench/taxii.sh, which builds both servers and passes their
addresses. The same taxii2-client code talks to each server in turn: it adds N
STIX 2.1 objects in batches (`Collection.add_objects`), then pages through the
collection (`as_pages(Collection.get_objects, per_request=PAGE)`), and the
script prints the rates and the ratios Sakimori / medallion.

The objects are generated deterministically (a seeded RNG): 85% indicators
(IPv4 addresses, domain names, URLs and SHA-256 file hashes in STIX patterns)
and 15% malware objects, every one marked TLP:GREEN.
"""

import argparse
import json
import random
import sys
import time
import uuid

from taxii2client.v21 import Collection, as_pages

TLP_GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
MALWARE_TYPES = ["ransomware", "backdoor", "remote-access-trojan", "downloader", "bot", "wiper"]
INDICATOR_TYPES = ["malicious-activity", "anomalous-activity", "compromised", "attribution"]
TLDS = ["jp", "com", "net", "org", "info", "xyz"]


def objects(n, seed=20261122):
    """N STIX 2.1 objects: indicators with IPv4, domain, URL and hash patterns, some malware."""
    rng = random.Random(seed)

    def ident(ty):
        return "{}--{}".format(ty, uuid.UUID(int=rng.getrandbits(128), version=4))

    def stamp():
        return "2026-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z".format(
            rng.randint(1, 10), rng.randint(1, 28), rng.randint(0, 23),
            rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))

    def word(k):
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(k))

    out = []
    for i in range(n):
        created = stamp()
        r = rng.random()
        if r < 0.15:
            out.append({
                "type": "malware", "spec_version": "2.1", "id": ident("malware"),
                "created": created, "modified": created,
                "name": "{}-{}".format(word(6).capitalize(), i),
                "description": "Malware family seen in campaign {} against {} operators.".format(
                    word(5), rng.choice(["electricity", "gas", "finance", "telecom", "logistics"])),
                "is_family": True,
                "malware_types": [rng.choice(MALWARE_TYPES)],
                "object_marking_refs": [TLP_GREEN],
            })
            continue
        if r < 0.50:
            value = "{}.{}.{}.{}".format(rng.randint(1, 223), rng.randint(0, 255),
                                         rng.randint(0, 255), rng.randint(1, 254))
            pattern, name = "[ipv4-addr:value = '{}']".format(value), "C2 address " + value
        elif r < 0.75:
            value = "{}.{}.{}".format(word(rng.randint(4, 10)), word(6), rng.choice(TLDS))
            pattern, name = "[domain-name:value = '{}']".format(value), "Phishing domain " + value
        elif r < 0.85:
            value = "https://{}.{}/{}/{}.php".format(word(7), rng.choice(TLDS), word(4), word(6))
            pattern, name = "[url:value = '{}']".format(value), "Malicious URL"
        else:
            value = "{:064x}".format(rng.getrandbits(256))
            pattern, name = "[file:hashes.'SHA-256' = '{}']".format(value), "Dropper sample"
        out.append({
            "type": "indicator", "spec_version": "2.1", "id": ident("indicator"),
            "created": created, "modified": created,
            "name": name,
            "description": "Observed by sensor {} during incident handling.".format(word(4)),
            "indicator_types": [rng.choice(INDICATOR_TYPES)],
            "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
            "valid_from": created,
            "labels": [rng.choice(["apt", "crimeware", "phishing", "scanning"])],
            "confidence": rng.randint(30, 100),
            "object_marking_refs": [TLP_GREEN],
        })
    return out


def run_one(name, url, user, password, objs, batch, page, progress):
    """Ingest then page through one server's collection; the same code for both."""
    coll = Collection(url, user=user, password=password)
    if not (coll.can_read and coll.can_write):
        raise SystemExit("{}: the collection {} is not readable and writable for {}".format(name, url, user))

    start = time.perf_counter()
    batch_s = []
    for i in range(0, len(objs), batch):
        chunk = objs[i:i + batch]
        t = time.perf_counter()
        status = coll.add_objects({"objects": chunk})
        batch_s.append(time.perf_counter() - t)
        if status.status != "complete" or status.success_count != len(chunk):
            raise SystemExit("{}: batch at {}: status {} with {} of {} successes: {}".format(
                name, i, status.status, status.success_count, len(chunk), status.failures[:3]))
        if progress:
            print("\r  {} ingest {:>9}/{}".format(name, i + len(chunk), len(objs)),
                  end="", file=sys.stderr, flush=True)
    ingest_s = time.perf_counter() - start

    seen = set()
    count = 0
    page_s = []
    first_page_objects = None
    start = time.perf_counter()
    t = start
    for envelope in as_pages(coll.get_objects, per_request=page):
        now = time.perf_counter()
        page_s.append(now - t)
        got = envelope.get("objects", [])
        count += len(got)
        if first_page_objects is None:
            first_page_objects = len(got)
        seen.update(o["id"] for o in got)
        if progress:
            print("\r  {} pages  {:>9}/{}".format(name, count, len(objs)),
                  end="", file=sys.stderr, flush=True)
        t = time.perf_counter()
    retrieve_s = time.perf_counter() - start
    if progress:
        print(file=sys.stderr)
    return {
        "server": name,
        "objects": len(objs),
        "ingest_s": ingest_s,
        "ingest_per_s": len(objs) / ingest_s,
        "ingest_batch_first_s": batch_s[0],
        "ingest_batch_last_s": batch_s[-1],
        "retrieved": count,
        "distinct_ids": len(seen),
        "pages": len(page_s),
        "retrieve_s": retrieve_s,
        "retrieve_per_s": count / retrieve_s if retrieve_s else 0.0,
        "page_first_s": page_s[0],
        # After the first page: what a server does per `next` (medallion does
        # all its filtering on the first request and keeps the rest in memory).
        "retrieve_after_first_per_s": (count - first_page_objects) / (retrieve_s - page_s[0])
        if len(page_s) > 1 else None,
        "page_last_s": page_s[-1],
    }


def client_floor(objs, batch, page):
    """What the client's own JSON work costs (no server): the envelope encoding
    taxii2-client does per batch, the decoding `requests` does per page."""
    start = time.perf_counter()
    for i in range(0, len(objs), batch):
        json.dumps({"objects": objs[i:i + batch]}, ensure_ascii=False).encode("utf-8")
    encode_s = time.perf_counter() - start
    pages = [json.dumps({"more": True, "next": "x", "objects": objs[i:i + page]}).encode("utf-8")
             for i in range(0, len(objs), page)]
    start = time.perf_counter()
    for p in pages:
        json.loads(p.decode("utf-8"))
    decode_s = time.perf_counter() - start
    return {"encode_per_s": len(objs) / encode_s, "decode_per_s": len(objs) / decode_s}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--objects", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--page", type=int, default=1000)
    p.add_argument("--sakimori", required=True, help="collection URL")
    p.add_argument("--sakimori-user", required=True)
    p.add_argument("--sakimori-token", required=True)
    p.add_argument("--medallion", help="collection URL (omit to measure Sakimori alone)")
    p.add_argument("--medallion-user", default="bench")
    p.add_argument("--medallion-password", default="bench")
    p.add_argument("--json", action="store_true", help="print the results as one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    a = p.parse_args()

    objs = objects(a.objects)
    kinds = {}
    for o in objs:
        k = o["type"] if o["type"] != "indicator" else "indicator/" + o["pattern"][1:o["pattern"].index(":")]
        kinds[k] = kinds.get(k, 0) + 1
    size = len(json.dumps(objs))
    progress = not a.quiet and sys.stderr.isatty()
    results = []
    results.append(run_one("sakimori", a.sakimori, a.sakimori_user, a.sakimori_token,
                           objs, a.batch, a.page, progress))
    if a.medallion:
        results.append(run_one("medallion", a.medallion, a.medallion_user, a.medallion_password,
                               objs, a.batch, a.page, progress))
    for r in results:
        if r["retrieved"] != a.objects or r["distinct_ids"] != a.objects:
            raise SystemExit("{} returned {} objects ({} distinct ids), expected {}".format(
                r["server"], r["retrieved"], r["distinct_ids"], a.objects))
    floor = client_floor(objs, a.batch, a.page)
    out = {"objects": a.objects, "batch": a.batch, "page": a.page, "mix": kinds,
           "mean_object_bytes": size // max(1, a.objects), "results": results, "client_floor": floor}
    if len(results) == 2:
        s, m = results
        out["ratio_ingest"] = s["ingest_per_s"] / m["ingest_per_s"]
        out["ratio_retrieve"] = s["retrieve_per_s"] / m["retrieve_per_s"]
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print("TAXII 2.1, one client (taxii2-client), {} objects (~{} bytes each), batches of {}, pages of {}".format(
        a.objects, out["mean_object_bytes"], a.batch, a.page))
    print("  mix: " + ", ".join("{} {}".format(v, k) for k, v in sorted(kinds.items())))
    print()
    print("{:<10} {:>14} {:>10} {:>16} {:>10} {:>7} {:>13} {:>13}".format(
        "server", "ingest obj/s", "ingest s", "retrieve obj/s", "retr. s", "pages", "1st page s", "last page s"))
    for r in results:
        print("{:<10} {:>14,.0f} {:>10.2f} {:>16,.0f} {:>10.2f} {:>7} {:>13.3f} {:>13.3f}".format(
            r["server"], r["ingest_per_s"], r["ingest_s"], r["retrieve_per_s"], r["retrieve_s"],
            r["pages"], r["page_first_s"], r["page_last_s"]))
    if len(results) == 2:
        print()
        print("Sakimori / medallion: ingest {:.1f}x (goal >= 10x), paged retrieval {:.1f}x (goal >= 50x)".format(
            out["ratio_ingest"], out["ratio_retrieve"]))
        print("both servers returned {} objects, every id once".format(a.objects))
    print("client alone (its JSON work, no server): encode {:,.0f} obj/s, decode {:,.0f} obj/s".format(
        floor["encode_per_s"], floor["decode_per_s"]))


if __name__ == "__main__":
    main()
