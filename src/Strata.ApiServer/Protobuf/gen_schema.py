#!/usr/bin/env python3
"""Generate schema.json, the field table KubeProtobuf decodes and encodes with.

Reads, at a pinned tag, the upstream generated.proto files (field numbers, wire
types, map and message types) and the Go type declarations next to them (JSON
names, pointer fields, omitempty, inline embedding), and writes one compact JSON
document to stdout. See README.md in this directory for how to run it.

Nothing upstream is copied verbatim: the output holds only field numbers, names
and flags derived from those files.
"""

import argparse
import json
import re
import subprocess
import sys

# (repository key, directory in that repository, group/version served, or None)
PACKAGES = [
    ("apimachinery", "pkg/runtime", None),
    ("apimachinery", "pkg/util/intstr", None),
    ("apimachinery", "pkg/api/resource", None),
    ("apimachinery", "pkg/apis/meta/v1", "meta.k8s.io/v1"),
    ("api", "core/v1", "v1"),
    ("api", "apps/v1", "apps/v1"),
    ("api", "authentication/v1", "authentication.k8s.io/v1"),
    ("api", "autoscaling/v1", "autoscaling/v1"),
    ("api", "batch/v1", "batch/v1"),
    ("api", "coordination/v1", "coordination.k8s.io/v1"),
    ("api", "discovery/v1", "discovery.k8s.io/v1"),
    ("api", "networking/v1", "networking.k8s.io/v1"),
    ("api", "policy/v1", "policy/v1"),
    ("api", "rbac/v1", "rbac.authorization.k8s.io/v1"),
    ("apiextensions", "pkg/apis/apiextensions/v1", "apiextensions.k8s.io/v1"),
]

SCALARS = {
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
    "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
}

FIELD_RE = re.compile(r"^\s*(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
MAP_RE = re.compile(r"^\s*map\s*<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")
PACKAGE_RE = re.compile(r"^package\s+([\w.]+)\s*;")
MESSAGE_RE = re.compile(r"^message\s+(\w+)\s*\{")
GO_STRUCT_RE = re.compile(r"^type\s+(\w+)\s+struct\s*\{")
GO_FIELD_RE = re.compile(r"^\s*([\w.*]+(?:\s+[^\s`]+)?)\s+`([^`]*)`")


class Git:
    def __init__(self, git_dir, tag):
        self.git_dir = git_dir
        self.tag = tag
        self.commit = self.run("rev-parse", tag + "^{commit}").strip()

    def run(self, *args):
        return subprocess.run(["git", "--git-dir", self.git_dir, *args],
                              check=True, capture_output=True, text=True).stdout

    def show(self, path):
        return self.run("show", f"{self.commit}:{path}")

    def ls(self, directory):
        return [p for p in self.run("ls-tree", "--name-only", f"{self.commit}:{directory}").split("\n") if p]


def parse_proto(text):
    package = None
    messages = {}
    current = None
    for line in text.split("\n"):
        m = PACKAGE_RE.match(line)
        if m:
            package = m.group(1)
            continue
        m = MESSAGE_RE.match(line)
        if m:
            current = []
            messages[m.group(1)] = current
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        m = MAP_RE.match(line)
        if m:
            current.append({"proto": m.group(3), "n": int(m.group(4)), "label": "map",
                            "key": m.group(1), "type": m.group(2)})
            continue
        m = FIELD_RE.match(line)
        if m:
            current.append({"proto": m.group(3), "n": int(m.group(4)),
                            "label": "rep" if m.group(1) == "repeated" else "opt", "type": m.group(2)})
    return package, messages


def qualify(type_name, package):
    if type_name in SCALARS:
        return type_name
    if type_name.startswith("."):
        return type_name[1:]
    if "." in type_name:
        return type_name
    return f"{package}.{type_name}"


def parse_go_structs(text):
    """Returns {struct name: [go field]} for every struct field with a protobuf tag."""
    structs = {}
    current = None
    for line in text.split("\n"):
        m = GO_STRUCT_RE.match(line)
        if m:
            current = []
            structs[m.group(1)] = current
            continue
        if current is None:
            continue
        if line.startswith("}"):
            current = None
            continue
        if line.lstrip().startswith("//"):
            continue
        m = GO_FIELD_RE.match(line)
        if not m:
            continue
        tags = dict(re.findall(r'(\w+):"([^"]*)"', m.group(2)))
        if "protobuf" not in tags:
            continue
        parts = m.group(1).split()
        embedded = len(parts) == 1
        go_type = parts[-1]
        proto_tag = tags["protobuf"].split(",")
        if len(proto_tag) < 2:  # protobuf:"-"
            continue
        number = int(proto_tag[1])
        json_name, json_opts = None, []
        if "json" in tags:
            json_parts = tags["json"].split(",")
            json_name, json_opts = json_parts[0], json_parts[1:]
        current.append({"n": number, "go_type": go_type, "embedded": embedded,
                        "json": json_name, "omitempty": "omitempty" in json_opts})
    return structs


def load_package(repo, directory):
    package, messages = parse_proto(repo.show(f"{directory}/generated.proto"))
    structs = {}
    for name in repo.ls(directory):
        if not name.endswith(".go") or name.endswith("_test.go") or name.startswith("zz_generated") \
                or name in ("generated.pb.go", "types_swagger_doc_generated.go"):
            continue
        structs.update(parse_go_structs(repo.show(f"{directory}/{name}")))
    return package, messages, structs


def build(repos):
    out_messages = {}
    group_versions = {}
    warnings = []
    for key, directory, group_version in PACKAGES:
        repo = repos[key]
        package, messages, structs = load_package(repo, directory)
        if group_version:
            group_versions[group_version] = package
        for message_name, proto_fields in messages.items():
            full = f"{package}.{message_name}"
            go_fields = structs.get(message_name)
            by_number = {f["n"]: f for f in go_fields} if go_fields else {}
            order = {f["n"]: i for i, f in enumerate(go_fields)} if go_fields else {}
            fields = []
            for pf in proto_fields:
                gf = by_number.get(pf["n"])
                entry = {"n": pf["n"]}
                if gf is None:
                    if go_fields is not None:
                        warnings.append(f"{full}.{pf['proto']}: no Go field with protobuf number {pf['n']}")
                    entry["j"] = pf["proto"]
                else:
                    if gf["json"] == "-":
                        # Only the raw bytes of the custom-JSON types (RawExtension, FieldsV1, ...).
                        entry["j"] = pf["proto"]
                    elif gf["embedded"] and not gf["json"]:
                        entry["j"] = pf["proto"]
                        entry["inline"] = 1
                    else:
                        entry["j"] = gf["json"] or pf["proto"]
                    if gf["go_type"].startswith("*"):
                        entry["ptr"] = 1
                    if gf["omitempty"]:
                        entry["omit"] = 1
                if pf["label"] == "map":
                    entry["map"] = [pf["key"], qualify(pf["type"], package)]
                else:
                    entry["t"] = qualify(pf["type"], package)
                    if pf["label"] == "rep":
                        entry["rep"] = 1
                fields.append(entry)
            # Go's encoding/json writes fields in struct declaration order.
            fields.sort(key=lambda f: order.get(f["n"], 1000 + f["n"]))
            out_messages[full] = fields
            if go_fields is None:
                warnings.append(f"{full}: no Go struct (custom Go type; handled by name or as plain fields)")
    # Every referenced message type must be known.
    for full, fields in out_messages.items():
        for f in fields:
            for t in ([f["t"]] if "t" in f else f["map"][1:]):
                if t not in SCALARS and t not in out_messages:
                    warnings.append(f"{full}.{f['j']}: unknown type {t}")
    return group_versions, out_messages, warnings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api", required=True, help="git dir of github.com/kubernetes/api")
    parser.add_argument("--apimachinery", required=True, help="git dir of github.com/kubernetes/apimachinery")
    parser.add_argument("--apiextensions", required=True,
                        help="git dir of github.com/kubernetes/apiextensions-apiserver")
    parser.add_argument("--tag", default="v0.32.4", help="tag to read in all three repositories")
    args = parser.parse_args()
    repos = {
        "api": Git(args.api, args.tag),
        "apimachinery": Git(args.apimachinery, args.tag),
        "apiextensions": Git(args.apiextensions, args.tag),
    }
    group_versions, messages, warnings = build(repos)
    for w in warnings:
        print("warning: " + w, file=sys.stderr)
    sources = {
        "k8s.io/api": repos["api"].commit,
        "k8s.io/apimachinery": repos["apimachinery"].commit,
        "k8s.io/apiextensions-apiserver": repos["apiextensions"].commit,
    }
    lines = ["{",
             '"generator": "src/Strata.ApiServer/Protobuf/gen_schema.py",',
             f'"tag": {json.dumps(args.tag)},',
             f'"sources": {json.dumps(sources)},',
             f'"groupVersions": {json.dumps(group_versions, sort_keys=True)},',
             '"messages": {']
    names = sorted(messages)
    for i, name in enumerate(names):
        sep = "," if i < len(names) - 1 else ""
        lines.append(f"{json.dumps(name)}: {json.dumps(messages[name], separators=(',', ':'))}{sep}")
    lines.append("}}")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
