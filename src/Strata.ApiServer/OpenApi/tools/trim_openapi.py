#!/usr/bin/env python3
"""Trim Kubernetes' published OpenAPI documents to the API groups Strata serves.

Usage: trim_openapi.py UPSTREAM_DIR OUT_DIR

UPSTREAM_DIR has the layout of kubernetes/kubernetes' api/openapi-spec folder:
  swagger.json                       (OpenAPI v2)
  v3/api__v1_openapi.json            (OpenAPI v3, one file per group-version)
  v3/apis__apps__v1_openapi.json ...
OUT_DIR receives swagger.json.gz and v3/<name>_openapi.json.gz, gzip-compressed
with a zero timestamp so that the output is byte-for-byte reproducible.

What is kept (see README.md): the paths of the served resources (collection,
item, watch, /status, /scale and namespaces' /finalize), the discovery paths
(/api/, /apis/, /apis/<group>/, /apis/<group>/<version>/, /version/), every
meta/v1 definition, and every definition these reference, transitively.
"""
import gzip
import json
import os
import sys

# group-version -> (path prefix, served resources)
SERVED = {
    "v1": ("/api/v1", {"namespaces", "nodes", "pods", "services", "endpoints", "secrets",
                        "configmaps", "serviceaccounts", "events"}),
    "apps/v1": ("/apis/apps/v1", {"deployments", "replicasets", "daemonsets"}),
    "discovery.k8s.io/v1": ("/apis/discovery.k8s.io/v1", {"endpointslices"}),
    "networking.k8s.io/v1": ("/apis/networking.k8s.io/v1", {"ingresses", "ingressclasses", "networkpolicies"}),
    "coordination.k8s.io/v1": ("/apis/coordination.k8s.io/v1", {"leases"}),
    "apiextensions.k8s.io/v1": ("/apis/apiextensions.k8s.io/v1", {"customresourcedefinitions"}),
}
SUBRESOURCES = {"status", "scale", "finalize"}
META_PREFIX = "io.k8s.apimachinery.pkg.apis.meta.v1."


def v3_file_name(gv):
    prefix, _ = SERVED[gv]
    return prefix.strip("/").replace("/", "__") + "_openapi.json"


def keep_resource_path(path):
    """True if path is a served resource path (or its group-version discovery path)."""
    for prefix, resources in SERVED.values():
        if path == prefix + "/":
            return True
        if not path.startswith(prefix + "/"):
            continue
        segs = path[len(prefix) + 1:].split("/")
        if segs and segs[0] == "watch":
            segs = segs[1:]
        if len(segs) >= 3 and segs[0] == "namespaces" and segs[1] == "{namespace}":
            segs = segs[2:]
        if not segs or segs[0] not in resources:
            return False
        rest = segs[1:]
        return len(rest) <= 1 or (len(rest) == 2 and rest[1] in SUBRESOURCES)
    return False


def keep_v2_path(path):
    if path in ("/api/", "/apis/", "/version/"):
        return True
    groups = {gv.split("/")[0] for gv in SERVED if "/" in gv}
    if any(path == "/apis/%s/" % g for g in groups):
        return True
    return keep_resource_path(path)


def refs(node, prefix, out):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            out.add(ref[len(prefix):])
        for v in node.values():
            refs(v, prefix, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, prefix, out)


def closure(definitions, roots, prefix):
    seen = set()
    todo = [r for r in roots if r in definitions]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = set()
        refs(definitions[name], prefix, found)
        todo.extend(n for n in found if n in definitions and n not in seen)
    return {k: definitions[k] for k in sorted(seen)}


def write_gz(path, doc):
    data = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(data)


def trim_v2(spec):
    paths = {p: v for p, v in spec["paths"].items() if keep_v2_path(p)}
    roots = set()
    refs(paths, "#/definitions/", roots)
    roots.update(k for k in spec["definitions"] if k.startswith(META_PREFIX))
    out = dict(spec)
    out["paths"] = dict(sorted(paths.items()))
    out["definitions"] = closure(spec["definitions"], roots, "#/definitions/")
    used_params = set()
    refs(paths, "#/parameters/", used_params)
    out["parameters"] = {k: v for k, v in spec.get("parameters", {}).items() if k in used_params}
    return out


def trim_v3(doc):
    paths = {p: v for p, v in doc["paths"].items() if keep_resource_path(p)}
    schemas = doc["components"]["schemas"]
    roots = set()
    refs(paths, "#/components/schemas/", roots)
    roots.update(k for k in schemas if k.startswith(META_PREFIX))
    out = dict(doc)
    out["paths"] = dict(sorted(paths.items()))
    components = dict(doc["components"])
    components["schemas"] = closure(schemas, roots, "#/components/schemas/")
    out["components"] = components
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    upstream, out_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(upstream, "swagger.json"), encoding="utf-8") as f:
        write_gz(os.path.join(out_dir, "swagger.json.gz"), trim_v2(json.load(f)))
    for gv in SERVED:
        name = v3_file_name(gv)
        with open(os.path.join(upstream, "v3", name), encoding="utf-8") as f:
            write_gz(os.path.join(out_dir, "v3", name + ".gz"), trim_v3(json.load(f)))


if __name__ == "__main__":
    main()
