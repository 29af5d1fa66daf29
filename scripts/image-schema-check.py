#!/usr/bin/python3
"""Validate an extracted OCI image layout against the image-spec JSON schemas.

Usage: image-schema-check.py LAYOUT_DIR [SCHEMA_DIR]

Checks oci-layout, index.json, and every manifest and config it reaches, with
python3-jsonschema against the schemas of the Debian package
golang-github-opencontainers-image-spec-dev. Prints one line per document and
exits 1 on the first failure.
"""
import json
import os
import sys
import warnings

import jsonschema

warnings.simplefilter("ignore", DeprecationWarning)

layout = sys.argv[1]
schemas = sys.argv[2] if len(sys.argv) > 2 else (
    "/usr/share/gocode/src/github.com/opencontainers/image-spec/schema")

store = {}
for name in os.listdir(schemas):
    if name.endswith(".json"):
        with open(os.path.join(schemas, name)) as f:
            doc = json.load(f)
        # The schemas refer to each other by file name relative to their id.
        store["https://opencontainers.org/schema/" + name] = doc
        store[name] = doc
        if "id" in doc:
            store[doc["id"]] = doc


def validate(what, path, schema_file):
    schema = store[schema_file]
    # Every reference is resolved from the local files by name: no network.
    resolver = jsonschema.RefResolver(
        base_uri="https://opencontainers.org/schema/" + schema_file, referrer=schema,
        store=store, handlers={
            "https": lambda uri: store[uri.rsplit("/", 1)[-1].split("#")[0]],
            "http": lambda uri: store[uri.rsplit("/", 1)[-1].split("#")[0]],
        })
    with open(path) as f:
        doc = json.load(f)
    try:
        jsonschema.Draft4Validator(schema, resolver=resolver).validate(doc)
    except jsonschema.ValidationError as e:
        print(f"FAIL {what}: {e.message}")
        sys.exit(1)
    print(f"ok {what}")
    return doc


def blob(digest):
    algorithm, hexdigest = digest.split(":", 1)
    return os.path.join(layout, "blobs", algorithm, hexdigest)


validate("oci-layout", os.path.join(layout, "oci-layout"), "image-layout-schema.json")
index = validate("index.json", os.path.join(layout, "index.json"), "image-index-schema.json")
for entry in index["manifests"]:
    manifest = validate(f"manifest {entry['digest']}", blob(entry["digest"]),
                        "image-manifest-schema.json")
    validate(f"config {manifest['config']['digest']}", blob(manifest["config"]["digest"]),
             "config-schema.json")
