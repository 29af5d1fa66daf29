#!/usr/bin/python3
"""Drive containerd's CRI (runtime.v1) the way the kubelet does, for the tests.

Usage:
  cri-pod.py pause-image PAUSE_BINARY NAME OUT.tar
      Writes an OCI layout tarball of a Linux image holding only /pause, named
      NAME (a pod sandbox image, like registry.k8s.io/pause).
  cri-pod.py run SOCKET LOG_DIR HANDLER IMAGE [--host-network] [--stop-running]
                 [-- ARGS...]
      RunPodSandbox (runtime handler HANDLER), CreateContainer of IMAGE with ARGS,
      StartContainer, ContainerStatus until the container exits (with
      --stop-running: until it has run for a second, then StopContainer stops it
      as the kubelet does, SIGTERM then SIGKILL), then
      StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox. Prints one
      line per step (`STEP name ok` or `STEP name failed: ...`), the IDs (`POD`,
      `CONTAINER`), the container's last `STATE` and `EXIT` code, then `LOG` lines
      (the CRI log file as the kubelet reads it) and `DONE`.

There is no crictl on Debian and no generated client: the service definition
comes from containerd's own binary, where gogo/protobuf registers each .proto's
FileDescriptorProto gzipped, and messages are built from it at run time
(python3-grpcio, python3-protobuf).
"""
import hashlib
import io
import json
import os
import sys
import tarfile
import time
import uuid
import zlib

API_PACKAGE = "runtime.v1"
CONTAINERD = "/usr/bin/containerd"


def load_api(binary=CONTAINERD):
    """The FileDescriptorProto of runtime.v1's api.proto embedded in `binary`."""
    from google.protobuf import descriptor_pb2

    data = open(binary, "rb").read()
    start = 0
    while (start := data.find(b"\x1f\x8b\x08", start)) >= 0:
        try:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                data[start:start + 4_000_000])
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            if proto.package == API_PACKAGE and proto.service:
                return proto
        except Exception:
            pass
        start += 3
    raise SystemExit(f"no {API_PACKAGE} API in {binary}")


class CRI:
    """`cri("RunPodSandbox", {...})`: one unary call, dicts in and out."""

    def __init__(self, socket):
        import grpc
        from google.protobuf import descriptor_pool, json_format, message_factory

        self.json_format = json_format
        proto = load_api()
        # gogoproto options are hints for Go code generation only.
        del proto.dependency[:]
        proto.ClearField("options")

        def strip(message):
            message.ClearField("options")
            for field in message.field:
                field.ClearField("options")
            for nested in message.nested_type:
                strip(nested)

        for message in proto.message_type:
            strip(message)
        pool = descriptor_pool.DescriptorPool()
        pool.Add(proto)
        self.factory = message_factory.MessageFactory(pool)
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.methods = {}
        for service in pool.FindFileByName(proto.name).services_by_name.values():
            for method in service.methods:
                self.methods[method.name] = (service.full_name, method)

    def __call__(self, name, request=None, timeout=120):
        service, method = self.methods[name]
        request_class = self.factory.GetPrototype(method.input_type)
        response_class = self.factory.GetPrototype(method.output_type)
        call = self.channel.unary_unary(
            f"/{service}/{name}", request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=response_class.FromString)
        message = self.json_format.ParseDict(request or {}, request_class())
        return self.json_format.MessageToDict(call(message, timeout=timeout))


def pause_image(binary, name, out):
    """A one-layer Linux image (uncompressed layer) whose entrypoint is /pause."""
    def blob(data):
        return "sha256:" + hashlib.sha256(data).hexdigest(), data

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("pause")
        content = open(binary, "rb").read()
        info.size, info.mode, info.mtime = len(content), 0o755, 0
        tar.addfile(info, io.BytesIO(content))
    layer_digest, layer_data = blob(layer.getvalue())
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["/pause"]},
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }
    config_digest, config_data = blob(json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config_data)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer_data)}],
    }
    manifest_digest, manifest_data = blob(json.dumps(manifest, sort_keys=True).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": manifest_digest, "size": len(manifest_data),
        "annotations": {"io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name}}]}
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
             ("index.json", json.dumps(index, sort_keys=True).encode())]
    files += [("blobs/sha256/" + d[7:], data) for d, data in [
        (layer_digest, layer_data), (config_digest, config_data),
        (manifest_digest, manifest_data)]]
    with tarfile.open(out, "w") as tar:
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size, info.mtime = len(data), 0
            tar.addfile(info, io.BytesIO(data))


def run_pod(socket, log_dir, handler, image, host_network, stop_running, args):
    cri = CRI(socket)
    suffix = uuid.uuid4().hex[:8]
    sandbox_config = {
        "metadata": {"name": "hermit-" + suffix, "uid": suffix, "namespace": "default",
                     "attempt": 0},
        "logDirectory": log_dir,
        "linux": {"securityContext": {"namespaceOptions": {
            "network": "NODE" if host_network else "POD"}}},
    }
    # The kubelet names only a pod with its own UTS namespace (not host network).
    if not host_network:
        sandbox_config["hostname"] = "hermit-" + suffix
    failed = False

    def step(name, call):
        nonlocal failed
        try:
            result = call()
            print(f"STEP {name} ok", flush=True)
            return result
        except Exception as error:  # grpc.RpcError and friends: one line each
            failed = True
            detail = getattr(error, "details", lambda: str(error))()
            print(f"STEP {name} failed: {detail}".replace("\n", " "), flush=True)
            return None

    pod = step("RunPodSandbox", lambda: cri("RunPodSandbox", {
        "config": sandbox_config, "runtimeHandler": handler}))
    if pod is None:
        print("DONE", flush=True)
        return 1
    pod_id = pod["podSandboxId"]
    print("POD", pod_id, flush=True)
    container = step("CreateContainer", lambda: cri("CreateContainer", {
        "podSandboxId": pod_id, "sandboxConfig": sandbox_config,
        "config": {"metadata": {"name": "app", "attempt": 0}, "image": {"image": image},
                   "args": args, "logPath": "app.log", "linux": {}}}))
    if container is not None:
        container_id = container["containerId"]
        print("CONTAINER", container_id, flush=True)
        step("StartContainer", lambda: cri("StartContainer", {"containerId": container_id}))
        def wait_exited(seconds):
            status = {}
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                status = cri("ContainerStatus", {"containerId": container_id})["status"]
                if status.get("state") == "CONTAINER_EXITED":
                    break
                time.sleep(0.2)
            return status

        def stop():
            return step("StopContainer", lambda: cri("StopContainer", {
                "containerId": container_id, "timeout": 10}))

        if stop_running:
            running = wait_exited(1)
            print("RUNNING", running.get("state"), flush=True)
            stop()
            status = wait_exited(30)
        else:
            status = wait_exited(60)
        print("STATE", status.get("state"), flush=True)
        print("EXIT", status.get("exitCode", 0), flush=True)
        if not stop_running:
            stop()
        step("RemoveContainer", lambda: cri("RemoveContainer", {"containerId": container_id}))
    step("StopPodSandbox", lambda: cri("StopPodSandbox", {"podSandboxId": pod_id}))
    step("RemovePodSandbox", lambda: cri("RemovePodSandbox", {"podSandboxId": pod_id}))
    try:
        for line in open(os.path.join(log_dir, "app.log")):
            print("LOG", line.rstrip("\n"), flush=True)
    except OSError as error:
        print("LOG missing:", error, flush=True)
    print("DONE", flush=True)
    return 1 if failed else 0


def main(argv):
    if argv[1:2] == ["pause-image"]:
        pause_image(*argv[2:5])
        return 0
    if argv[1:2] == ["run"]:
        rest = argv[2:]
        args = rest[rest.index("--") + 1:] if "--" in rest else []
        rest = rest[:rest.index("--")] if "--" in rest else rest
        flags = {"--host-network", "--stop-running"}
        socket, log_dir, handler, image = [a for a in rest if a not in flags]
        return run_pod(socket, log_dir, handler, image, "--host-network" in rest,
                       "--stop-running" in rest, args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
