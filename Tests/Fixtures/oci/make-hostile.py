#!/usr/bin/env python3
"""Make one hostile or broken OCI layout tarball from a valid hermit image.

Usage: make-hostile.py VALID.tar CASE OUT.tar
       make-hostile.py --list

Each CASE breaks one thing that `hermit-image load` must refuse (ImageToolTests
runs every case and checks for one error line, exit 125 and an unchanged store).
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def sha(data):
    return hashlib.sha256(data).hexdigest()


def read_layout(path):
    files = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if member.isfile():
                files[member.name] = tar.extractfile(member).read()
    return files


class Layout:
    """A valid layout in memory, with helpers that keep digests consistent."""

    def __init__(self, files):
        self.files = dict(files)
        self.index = json.loads(files["index.json"])
        self.manifest_digest = self.index["manifests"][0]["digest"]
        self.manifest = json.loads(self.blob(self.manifest_digest))
        self.config = json.loads(self.blob(self.manifest["config"]["digest"]))

    def blob(self, digest):
        return self.files["blobs/sha256/" + digest.split(":")[1]]

    def put_blob(self, data):
        self.files["blobs/sha256/" + sha(data)] = data
        return {"digest": "sha256:" + sha(data), "size": len(data)}

    def drop_blob(self, digest):
        del self.files["blobs/sha256/" + digest.split(":")[1]]

    def replace_app_blob(self, blob, diff_id=None):
        """Puts `blob` in place of the app layer; `diff_id` replaces the config's."""
        self.manifest["layers"][1].update(self.put_blob(blob))
        if diff_id:
            self.config["rootfs"]["diff_ids"][1] = "sha256:" + sha(diff_id)
        self.commit(config=diff_id is not None)

    def app_blob(self):
        return self.blob(self.manifest["layers"][1]["digest"])

    def commit(self, config=True):
        """Rewrites config → manifest → index after edits, fixing digests/sizes."""
        if config:
            data = json.dumps(self.config, sort_keys=True).encode()
            self.manifest["config"].update(self.put_blob(data))
        data = json.dumps(self.manifest, sort_keys=True).encode()
        self.index["manifests"][0].update(self.put_blob(data))
        self.files["index.json"] = json.dumps(self.index, sort_keys=True).encode()

    def layer_with(self, entries, compress=True, format=tarfile.USTAR_FORMAT):
        """Builds a layer from (TarInfo, data) pairs; returns its blob bytes."""
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=format) as tar:
            for info, data in entries:
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
        raw = raw.getvalue()
        return (gzip.compress(raw, mtime=0) if compress else raw), raw

    def replace_app_layer(self, entries, fix_diff_id=True, media_type=None, format=tarfile.USTAR_FORMAT):
        blob, raw = self.layer_with(entries, format=format)
        self.manifest["layers"][1].update(self.put_blob(blob))
        if media_type:
            self.manifest["layers"][1]["mediaType"] = media_type
        if fix_diff_id:
            self.config["rootfs"]["diff_ids"][1] = "sha256:" + sha(raw)
        self.commit()


def info(name, size=0, type=tarfile.REGTYPE, linkname=""):
    i = tarfile.TarInfo(name)
    i.size = size
    i.type = type
    i.linkname = linkname
    i.mode = 0o755 if type == tarfile.DIRTYPE else 0o644
    return i


def write_tar(out, entries, compress=False):
    """entries: list of (TarInfo, bytes or None)."""
    mode = "w:gz" if compress else "w"
    with tarfile.open(out, mode, format=tarfile.GNU_FORMAT) as tar:
        for i, data in entries:
            tar.addfile(i, io.BytesIO(data) if data is not None else None)


def layout_entries(files, extra=(), skip=()):
    entries = []
    for name in sorted(files):
        if name in skip:
            continue
        data = files[name]
        entries.append((info(name, len(data)), data))
    return entries + list(extra)


def good_app_entries(layout, app=b"\x7fELF" + b"\0" * 60):
    meta = layout_meta(layout)
    return [
        (info("hermit", type=tarfile.DIRTYPE), None),
        (info("hermit/app", len(app)), app),
        (info("hermit/image.json", len(meta)), meta),
    ]


def layout_meta(layout):
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layout.blob(layout.manifest["layers"][1]["digest"])))) as t:
        return t.extractfile("hermit/image.json").read()


class ZeroReader(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = b"\0" * n
        self.left -= n
        return n


def make(case, valid, out):
    files = read_layout(valid)
    L = Layout(files)
    F = L.files
    some_blob = sorted(k for k in F if k.startswith("blobs/"))[0]
    if case == "dotdot-path":
        write_tar(out, layout_entries(F, [(info("../evil", 4), b"evil")]))
    elif case == "nested-dotdot-path":
        write_tar(out, layout_entries(F, [(info("blobs/../../evil", 4), b"evil")]))
    elif case == "absolute-path":
        write_tar(out, layout_entries(F, [(info("/tmp/hermit-evil", 4), b"evil")]))
    elif case == "symlink-entry":
        write_tar(out, layout_entries(F, [(info("evil", type=tarfile.SYMTYPE, linkname="/etc/passwd"), None)]))
    elif case == "blob-is-symlink":
        write_tar(out, layout_entries(F, [(info(some_blob, type=tarfile.SYMTYPE, linkname="/etc/passwd"), None)], skip=[some_blob]))
    elif case == "hardlink-entry":
        write_tar(out, layout_entries(F, [(info("evil", type=tarfile.LNKTYPE, linkname="index.json"), None)]))
    elif case == "char-device":
        i = info("dev-null", type=tarfile.CHRTYPE)
        i.devmajor, i.devminor = 1, 3
        write_tar(out, layout_entries(F, [(i, None)]))
    elif case == "block-device":
        i = info("dev-sda", type=tarfile.BLKTYPE)
        i.devmajor, i.devminor = 8, 0
        write_tar(out, layout_entries(F, [(i, None)]))
    elif case == "fifo":
        write_tar(out, layout_entries(F, [(info("pipe", type=tarfile.FIFOTYPE), None)]))
    elif case == "duplicate-index":
        other = b'{"schemaVersion":2,"manifests":[]}'
        write_tar(out, layout_entries(F, [(info("index.json", len(other)), other)]))
    elif case == "duplicate-blob":
        data = F[some_blob]
        write_tar(out, layout_entries(F, [(info(some_blob, len(data)), data)]))
    elif case == "file-under-file":
        write_tar(out, layout_entries(F, [(info("index.json/x", 1), b"x")]))
    elif case == "blob-digest-mismatch":
        data = bytearray(F[some_blob])
        data[len(data) // 2] ^= 0xFF
        F[some_blob] = bytes(data)
        write_tar(out, layout_entries(F))
    elif case == "manifest-size-mismatch":
        L.index["manifests"][0]["size"] += 1
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "layer-size-mismatch":
        L.manifest["layers"][0]["size"] -= 1
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "missing-config-blob":
        L.drop_blob(L.manifest["config"]["digest"])
        write_tar(out, layout_entries(F))
    elif case == "missing-manifest-blob":
        L.drop_blob(L.manifest_digest)
        write_tar(out, layout_entries(F))
    elif case == "missing-layer-blob":
        L.drop_blob(L.manifest["layers"][0]["digest"])
        write_tar(out, layout_entries(F))
    elif case == "bad-index-json":
        F["index.json"] = b'{"schemaVersion": 2, "manifests": [ {'
        write_tar(out, layout_entries(F))
    elif case == "bad-manifest-json":
        L.drop_blob(L.manifest_digest)
        L.index["manifests"][0].update(L.put_blob(b"{not json"))
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "oversize-index-json":
        F["index.json"] = b" " * (5 << 20) + F["index.json"]
        write_tar(out, layout_entries(F))
    elif case == "bad-digest-string":
        L.index["manifests"][0]["digest"] = "sha256:xyz"
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "sha512-blob-dir":
        write_tar(out, layout_entries(F, [(info("blobs/sha512/" + "0" * 128, 1), b"x")]))
    elif case == "wrong-os":
        L.config["os"] = "linux"
        L.commit()
        write_tar(out, layout_entries(F))
    elif case == "unknown-layer-media-type":
        L.manifest["layers"][1]["mediaType"] = "application/vnd.example.evil"
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "custom-config-media-type":
        L.manifest["config"]["mediaType"] = "application/vnd.hermit.config.v1+json"
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "layer-gzip-bad-crc":
        blob = bytearray(L.app_blob())
        blob[-8] ^= 0xFF  # the member's CRC-32
        L.replace_app_blob(bytes(blob))
        write_tar(out, layout_entries(F))
    elif case == "layer-gzip-bad-isize":
        blob = bytearray(L.app_blob())
        blob[-4] ^= 0x01  # the member's ISIZE
        L.replace_app_blob(bytes(blob))
        write_tar(out, layout_entries(F))
    elif case == "layer-gzip-trailing-garbage":
        L.replace_app_blob(L.app_blob() + b"garbage after the member")
        write_tar(out, layout_entries(F))
    elif case == "layer-double-gzip-inner-diff-id":
        # gzip(gzip(tar)) with the inner tar's diff_id, which a lax reader matches.
        L.replace_app_blob(gzip.compress(L.app_blob(), mtime=0))
        write_tar(out, layout_entries(F))
    elif case == "layer-double-gzip-oci-diff-id":
        # The diff_id the spec asks for: the digest of gzip(tar), decompressed once.
        inner = L.app_blob()
        L.replace_app_blob(gzip.compress(inner, mtime=0), diff_id=inner)
        write_tar(out, layout_entries(F))
    elif case == "duplicate-key-config":
        # "os" twice: Go and Python read the last, linux.
        data = (json.dumps(L.config, sort_keys=True)[:-1] + ', "os": "linux"}').encode()
        L.manifest["config"].update(L.put_blob(data))
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "duplicate-key-index":
        F["index.json"] = (json.dumps(L.index)[:-1] + ', "manifests": []}').encode()
        write_tar(out, layout_entries(F))
    elif case == "only-other-platforms":
        entry = L.index["manifests"][0]
        L.index["manifests"] = [
            dict(entry, platform={"architecture": arch, "os": "linux"}) for arch in ("amd64", "arm64")]
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "huge-media-type":
        L.manifest["layers"][1]["mediaType"] = "application/" + "x" * (1 << 20)
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "huge-ref-name":
        L.index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "a" * (1 << 20) + ":1"}
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "huge-layer-path":
        link = info("hermit/" + "a" * 200000, type=tarfile.SYMTYPE, linkname="/etc/passwd")
        L.replace_app_layer(good_app_entries(L) + [(link, None)], format=tarfile.PAX_FORMAT)
        write_tar(out, layout_entries(F))
    elif case == "fan-out-index":
        # 2,500 unnamed descriptors of one manifest whose config has 10,000 history
        # entries: each verified once, or the load is quadratic.
        L.config["history"] = [{"created_by": "step %d" % i} for i in range(10000)]
        L.commit()
        entry = {k: v for k, v in L.index["manifests"][0].items() if k != "annotations"}
        L.index["manifests"] = [entry] * 2500
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "buildx-attestation":
        # What `docker buildx build --output type=oci` writes: index.json names an
        # image index holding the image's manifest, an attestation manifest beside
        # it (unknown/unknown), and here also an arm64 manifest whose blobs are absent.
        statement = json.dumps({"_type": "https://in-toto.io/Statement/v0.1",
                                "predicateType": "https://spdx.dev/Document",
                                "subject": [{"name": "image", "digest": {"sha256": L.manifest_digest.split(":")[1]}}],
                                "predicate": {"spdxVersion": "SPDX-2.3"}}).encode()
        layer = L.put_blob(statement)
        config = L.put_blob(json.dumps({"architecture": "unknown", "os": "unknown", "config": {},
                                        "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
        attestation = L.put_blob(json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": dict(config, mediaType="application/vnd.oci.image.config.v1+json"),
            "layers": [dict(layer, mediaType="application/vnd.in-toto+json",
                            annotations={"in-toto.io/predicate-type": "https://spdx.dev/Document"})]}).encode())
        image = dict(L.index["manifests"][0])
        image.pop("annotations", None)
        image_index = L.put_blob(json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                dict(image, platform={"architecture": "amd64", "os": "hermit"}),
                {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                 "digest": "sha256:" + "a" * 64, "size": 1234,
                 "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
                dict(attestation, mediaType="application/vnd.oci.image.manifest.v1+json",
                     annotations={"vnd.docker.reference.digest": L.manifest_digest,
                                  "vnd.docker.reference.type": "attestation-manifest"},
                     platform={"architecture": "unknown", "os": "unknown"}),
            ]}).encode())
        names = L.index["manifests"][0]["annotations"]
        L.index["manifests"] = [dict(image_index, mediaType="application/vnd.oci.image.index.v1+json",
                                     annotations={"io.containerd.image.name": names["io.containerd.image.name"],
                                                  "org.opencontainers.image.ref.name":
                                                      names["org.opencontainers.image.ref.name"].split(":")[-1]})]
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "nested-index":
        L.index["manifests"][0]["mediaType"] = "application/vnd.oci.image.index.v1+json"
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "docker-archive":
        manifest = json.dumps([{"Config": "c.json", "RepoTags": ["x:latest"], "Layers": ["l/layer.tar"]}]).encode()
        write_tar(out, [(info("manifest.json", len(manifest)), manifest),
                        (info("c.json", 2), b"{}"), (info("l/layer.tar", 0), b"")])
    elif case == "no-oci-layout":
        write_tar(out, layout_entries(F, skip=["oci-layout"]))
    elif case == "no-index":
        write_tar(out, layout_entries(F, skip=["index.json"]))
    elif case == "truncated-tar":
        with open(valid, "rb") as f:
            data = f.read()
        with open(out, "wb") as f:
            f.write(data[: len(data) // 2 + 100])
    elif case == "not-a-tar":
        with open(out, "wb") as f:
            f.write(os.urandom(4096))
    elif case == "empty-file":
        open(out, "wb").close()
    elif case == "too-many-entries":
        write_tar(out, layout_entries(F, [(info(f"junk/{i}", type=tarfile.DIRTYPE), None) for i in range(5000)]))
    elif case == "outer-gzip-bomb":
        # A gzip-compressed layout whose tar holds 256 MiB of zeros (about 250 KiB
        # packed, far beyond the 200:1 / 64 MiB bound).
        with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT, compresslevel=6) as tar:
            for i, data in layout_entries(F):
                tar.addfile(i, io.BytesIO(data))
            tar.addfile(info("padding", 256 << 20), ZeroReader(256 << 20))
    elif case == "layer-gzip-bomb":
        raw = io.BytesIO()
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar:
                tar.addfile(info("hermit/app", 300 << 20), ZeroReader(300 << 20))
        L.manifest["layers"][1].update(L.put_blob(raw.getvalue()))
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "layer-dotdot":
        L.replace_app_layer(good_app_entries(L) + [(info("../../etc/evil", 4), b"evil")])
        write_tar(out, layout_entries(F))
    elif case == "layer-absolute":
        L.replace_app_layer(good_app_entries(L) + [(info("/etc/evil", 4), b"evil")])
        write_tar(out, layout_entries(F))
    elif case == "layer-symlink":
        L.replace_app_layer(good_app_entries(L) + [(info("hermit/link", type=tarfile.SYMTYPE, linkname="/etc/passwd"), None)])
        write_tar(out, layout_entries(F))
    elif case == "layer-device":
        i = info("hermit/dev", type=tarfile.CHRTYPE)
        i.devmajor, i.devminor = 1, 3
        L.replace_app_layer(good_app_entries(L) + [(i, None)])
        write_tar(out, layout_entries(F))
    elif case == "layer-diff-id-mismatch":
        L.replace_app_layer(good_app_entries(L, app=b"\x7fELF other app"), fix_diff_id=False)
        write_tar(out, layout_entries(F))
    elif case == "layer-not-gzip":
        blob, raw = L.layer_with(good_app_entries(L))
        L.manifest["layers"][1].update(L.put_blob(raw))
        L.commit(config=False)
        write_tar(out, layout_entries(F))
    elif case == "nested-indexes":
        # index.json → index → index → manifest, no platform anywhere.
        name = L.index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
        image = {k: v for k, v in L.index["manifests"][0].items() if k not in ("annotations", "platform")}
        for _ in range(2):
            image = dict(L.put_blob(json.dumps({
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [image]}).encode()), mediaType="application/vnd.oci.image.index.v1+json")
        L.index["manifests"] = [dict(image, annotations={"org.opencontainers.image.ref.name": name})]
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "escape-created":
        # Loads: `ls` must print it escaped (an OSC retitles the terminal).
        L.config["created"] = "\x1b]0;pwned\x07\nfake row"
        L.commit()
        write_tar(out, layout_entries(F))
    elif case == "missing-image-json":
        L.replace_app_layer(good_app_entries(L)[:2])
        write_tar(out, layout_entries(F))
    elif case == "no-name":
        del L.index["manifests"][0]["annotations"]
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "bad-name":
        L.index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "UPPER/Case:tag"}
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    elif case == "escape-name":
        # Terminal escapes and a line break in a name: never echoed raw.
        L.index["manifests"][0]["annotations"] = {
            "org.opencontainers.image.ref.name": "\x1b[31mred\x1b[0m/x:1\r\nfake line"}
        F["index.json"] = json.dumps(L.index).encode()
        write_tar(out, layout_entries(F))
    else:
        sys.exit(f"unknown case {case}")


if __name__ == "__main__":
    make(sys.argv[2], sys.argv[1], sys.argv[3])
