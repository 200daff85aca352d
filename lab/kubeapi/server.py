"""``python -m lab kubeapi``: an HTTPS Kubernetes API server emulator that kubectl, the ``kubernetes``
Python client and kubernetes.core accept.

HTTP side only: routing, discovery, authentication (bearer token), tables for kubectl, watch
streaming and the TLS/kubeconfig set-up.  The object semantics live in ``api.py``.
"""
import argparse
import base64
import datetime
import functools
import hmac
import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import queue
import urllib.parse

import yaml

from . import counters, crds as crd_module, kinds, openapi, protobuf, rbac, selectors
from .api import API, APIError, status
from .certs import make_ca_and_server_cert

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-kubefabric-lab", "gitCommit": "0" * 40,
           "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.0",
           "compiler": "gc", "platform": "linux/amd64"}
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
COUNTERS_PATH = "/debug/kubefabric/counters"
WATCH_TIMEOUT = 1800


def _first(query, key):
    return (query.get(key) or [None])[0]


def _age(timestamp):
    try:
        then = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    secs = max(0, int((datetime.datetime.now(datetime.timezone.utc) - then).total_seconds()))
    if secs < 120:
        return "%ds" % secs
    if secs < 3600 * 3:
        return "%dm" % (secs // 60)
    if secs < 86400 * 2:
        return "%dh" % (secs // 3600)
    return "%dd" % (secs // 86400)


def _jsonpath(obj, path):
    cur = obj
    for part in path.strip(".").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _node_columns(obj):
    conditions = {c.get("type"): c.get("status") for c in obj.get("status", {}).get("conditions") or []}
    state = "Ready" if conditions.get("Ready") == "True" else "NotReady" if "Ready" in conditions else "Unknown"
    if obj.get("spec", {}).get("unschedulable"):
        state += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in (obj["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/"))
    version = obj.get("status", {}).get("nodeInfo", {}).get("kubeletVersion", "")
    return [("Status", state), ("Roles", ",".join(roles) or "<none>"), ("Version", version)]


def _table(rtype, objs, rv, include):
    columns = [("Name", "string", "name", "Name must be unique within a namespace.")]
    extra = []
    if rtype.kind == "Node":
        extra = [("Status", "string"), ("Roles", "string"), ("Version", "string")]
    else:
        extra = [(c[0], c[1]) for c in rtype.printer_columns]
    defs = [{"name": n, "type": t, "format": f, "description": d, "priority": 0} for n, t, f, d in columns]
    defs += [{"name": n, "type": t, "format": "", "description": "", "priority": 0} for n, t in extra]
    defs.append({"name": "Age", "type": "string", "format": "", "description": "CreationTimestamp", "priority": 0})
    rows = []
    for obj in objs:
        if rtype.kind == "Node":
            cells = [value for _name, value in _node_columns(obj)]
        else:
            cells = []
            for col in rtype.printer_columns:
                value = _jsonpath(obj, col[2])
                cells.append("" if value is None else value if isinstance(value, str) else json.dumps(value))
        row = {"cells": [obj["metadata"]["name"]] + cells + [_age(obj["metadata"].get("creationTimestamp"))]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": defs, "rows": rows}


def _discovery_resources(registry, group, version):
    out = []
    for rtype in registry.in_group_version(group, version):
        entry = {"name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
                 "kind": rtype.kind,
                 "verbs": ["create"] if rtype.kind == "SelfSubjectAccessReview" else list(kinds.ALL_VERBS)}
        if rtype.short_names:
            entry["shortNames"] = list(rtype.short_names)
        if rtype.categories:
            entry["categories"] = list(rtype.categories)
        out.append(entry)
        for sub in rtype.subresources:
            if sub == "status":
                out.append({"name": rtype.plural + "/status", "singularName": "", "namespaced": rtype.namespaced,
                            "kind": rtype.kind, "verbs": ["get", "patch", "update"]})
            elif sub == "eviction":
                out.append(dict(kinds.EVICTION))
    return out


def _group_entry(name, versions):
    gvs = [{"groupVersion": "%s/%s" % (name, v), "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubefabric-lab-kubeapi"
    sys_version = ""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.owner.verbose:
            sys.stderr.write("kubeapi: %s - %s\n" % (self.address_string(), format % args))

    # -- plumbing ---------------------------------------------------------------------------------
    def _send(self, code, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if getattr(self, "_to_record", None):     # counted before the client can see the answer
            self.server.owner.counter.record(*self._to_record, code=code)
            self._to_record = None
        self.send_response(code)
        for text in self.server.owner.api.request_warnings():
            self.send_header("Warning", '299 - %s' % json.dumps(text))
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return code

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            return self.rfile.read(length)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _json_body(self, raw):
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            try:
                return yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise APIError(400, "BadRequest", "the body of the request could not be decoded: %s" % exc) \
                    from exc

    def _authenticate(self):
        """The user of the request's bearer token, or None (401)."""
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            return None
        token = header[7:].strip().encode()
        owner = self.server.owner
        if hmac.compare_digest(token, owner.token.encode()):
            return rbac.User("kubefabric-admin", (rbac.MASTERS,))
        for known, user in list(owner.users.items()):
            if hmac.compare_digest(token, known.encode()):
                return user
        return None

    def _authorize(self, rtype, namespace, name, sub, query):
        verb = rbac.verb_of(self.command, name, _first(query, "watch") in ("1", "true", "True"))
        owner = self.server.owner
        if owner.authorizer.allowed(self.user, verb, rtype.group, rtype.plural, sub, namespace, name):
            return
        message = rbac.forbidden_message(self.user, verb, rtype.group, rtype.plural, sub, namespace, name,
                                         rtype.qualified)
        raise APIError(403, "Forbidden", message, {"name": name, "group": rtype.group, "kind": rtype.plural}
                       if name else {"group": rtype.group, "kind": rtype.plural})

    def _access_review(self, raw):
        """POST selfsubjectaccessreviews: answered from the same RBAC rules, nothing stored."""
        body = self._json_body(raw) or {}
        spec = body.get("spec") or {}
        attrs = spec.get("resourceAttributes")
        if attrs is None and spec.get("nonResourceAttributes") is None:
            raise APIError(422, "Invalid", "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
                           "[spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes "
                           "or resourceAttributes must be specified]")
        if attrs is not None:
            allowed = self.server.owner.authorizer.allowed(
                self.user, attrs.get("verb") or "", attrs.get("group") or "", attrs.get("resource") or "",
                attrs.get("subresource") or None, attrs.get("namespace") or None, attrs.get("name") or None)
        else:  # non-resource URLs: discovery and health for every authenticated user, else masters only
            allowed = self.user.is_master or (spec["nonResourceAttributes"].get("verb") == "get")
        status_obj = {"allowed": bool(allowed)}
        if allowed and not self.user.is_master:
            status_obj["reason"] = "RBAC: allowed by the user's (Cluster)RoleBindings"
        elif allowed:
            status_obj["reason"] = "system:masters"
        return self._send(201, {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                                "metadata": {"creationTimestamp": None}, "spec": spec, "status": status_obj})

    def do_GET(self):
        self._handle()

    def do_HEAD(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_PATCH(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def _handle(self):
        self._to_record = None
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        path = url.path.rstrip("/") or "/"
        raw = self._body() if self.command in MUTATING else b""
        if path in ("/healthz", "/livez", "/readyz"):
            self._send(200, b"ok", "text/plain; charset=utf-8")
            return
        self.user = self._authenticate()
        if self.user is None:
            self._send(401, status(401, "Unauthorized", "Unauthorized"))
            return
        dry_run = "All" in query.get("dryRun", [])
        if self.command == "DELETE" and raw:
            try:
                dry_run = dry_run or "All" in (json.loads(raw).get("dryRun") or [])
            except (ValueError, AttributeError):
                pass
        if path == COUNTERS_PATH:
            self._counters()
            return
        self.server.owner.api.begin_request((query.get("fieldValidation") or [None])[0])
        try:
            if raw and "protobuf" in (self.headers.get("Content-Type") or ""):
                try:
                    raw = json.dumps(protobuf.decode(raw)).encode()
                except protobuf.ProtobufError as exc:
                    raise APIError(415, "UnsupportedMediaType", str(exc)) from exc
            self._route(path, query, raw, dry_run)
        except APIError as exc:
            self._send(exc.code, exc.body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            raise
        except Exception as exc:  # pylint: disable=broad-except
            import traceback
            traceback.print_exc()
            self._send(500, status(500, "InternalError", "Internal error occurred: %s" % exc))

    def _counters(self):
        """``/debug/kubefabric/counters``: GET reads the counters, DELETE reads and resets them."""
        owner = self.server.owner
        if self.command not in ("GET", "DELETE"):
            self._send(405, status(405, "MethodNotAllowed", "GET or DELETE only"))
            return
        with owner.api.lock:
            body = owner.counter.snapshot(owner.api.store.stats())
            if self.command == "DELETE":
                owner.counter.reset()
        self._send(200, body)

    # -- routing ----------------------------------------------------------------------------------
    def _route(self, path, query, raw, dry_run):
        owner = self.server.owner
        if path == "/version":
            return self._send(200, VERSION)
        if path == "/api":
            return self._send(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "%s:%d" % (owner.host, owner.port)}]})
        if path == "/apis":
            return self._send(200, {"kind": "APIGroupList", "apiVersion": "v1",
                                    "groups": [_group_entry(g, v) for g, v in owner.api.kinds.groups().items()]})
        if path.startswith("/openapi/"):
            doc = openapi.document(path, owner.api.kinds)
            if doc is None:
                raise APIError(404, "NotFound", "the server could not find the requested resource")
            if "json" in (self.headers.get("Accept") or "") and path.rstrip("/") == "/openapi/v2" \
                    and "protobuf" not in (self.headers.get("Accept") or ""):
                doc = ("application/json", json.dumps({"swagger": "2.0", "info": {
                    "title": "Kubernetes", "version": "v1.32.0"}, "paths": {}, "definitions": {}}).encode())
            return self._send(200, doc[1], doc[0])
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[0] == "api" and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
            if version != "v1":
                raise APIError(404, "NotFound", "the server could not find the requested resource")
        elif parts[0] == "apis" and len(parts) >= 2:
            groups = owner.api.kinds.groups()
            if parts[1] not in groups:
                raise APIError(404, "NotFound", "the server could not find the requested resource")
            if len(parts) == 2:
                return self._send(200, dict(_group_entry(parts[1], groups[parts[1]]), kind="APIGroup",
                                            apiVersion="v1"))
            group, version, rest = parts[1], parts[2], parts[3:]
            if version not in groups[group]:
                raise APIError(404, "NotFound", "the server could not find the requested resource")
        else:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            if self.command != "GET":
                raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return self._send(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                    "groupVersion": "%s/%s" % (group, version) if group else version,
                                    "resources": _discovery_resources(owner.api.kinds, group, version)})
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        rtype = owner.api.kinds.by_path(group, version, rest[0])
        if rtype is None or len(rest) > 3:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if rtype.kind == "SelfSubjectAccessReview":
            if self.command != "POST" or name is not None:
                raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return self._access_review(raw)
        if sub and sub not in rtype.subresources:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        if namespace is not None and not rtype.namespaced:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        if rtype.namespaced and name is not None and namespace is None:
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        # a SelfSubjectAccessReview is a question, not a write: counted as a request only
        verb = counters.verb_of(self.command, name, _first(query, "watch") in ("1", "true", "True"))
        if rtype.kind == "SelfSubjectAccessReview":
            verb = "review"
        self._to_record = (verb, rtype.qualified + ("/" + sub if sub else ""), self.path, dry_run)
        self._authorize(rtype, namespace, name, sub, query)
        return self._resource(owner.api, rtype, namespace, name, sub, query, raw, dry_run)

    def _manager(self, query):
        manager = (query.get("fieldManager") or [""])[0]
        if not manager:
            agent = self.headers.get("User-Agent") or "unknown"
            manager = agent.split("/", 1)[0]
        return manager[:128]

    def _resource(self, api, rtype, namespace, name, sub, query, raw, dry_run):
        method = self.command
        first = functools.partial(_first, query)
        if method in ("GET", "HEAD"):
            if name is None:
                if first("watch") in ("1", "true", "True"):
                    return self._watch(api, rtype, namespace, query)
                result = api.list(rtype, namespace, first("labelSelector"), first("fieldSelector"), shared=True)
                if "as=Table" in (self.headers.get("Accept") or ""):
                    result = _table(rtype, result["items"], result["metadata"]["resourceVersion"],
                                    first("includeObject"))
                return self._send(200, result)
            obj = api.get(rtype, namespace, name)
            if "as=Table" in (self.headers.get("Accept") or ""):
                obj = _table(rtype, [obj], obj["metadata"]["resourceVersion"], first("includeObject"))
            return self._send(200, obj)
        if method == "POST":
            body = self._json_body(raw)
            if sub == "eviction":
                return self._send(201, api.evict(namespace, name, body, dry_run))
            if name is not None:
                raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            return self._send(201, api.create(rtype, namespace, body, dry_run, self._manager(query)))
        if method == "PUT" and name is not None:
            body = self._json_body(raw)
            return self._send(200, api.update(rtype, namespace, name, body, dry_run, self._manager(query), sub))
        if method == "PATCH" and name is not None:
            force = first("force") in ("true", "1", "True")
            existed = True
            if (self.headers.get("Content-Type") or "").startswith("application/apply-patch"):
                try:
                    api.get(rtype, namespace, name)
                except APIError:
                    existed = False
            obj = api.patch(rtype, namespace, name, self.headers.get("Content-Type"), raw, dry_run,
                            self._manager(query) if not (self.headers.get("Content-Type") or "").startswith(
                                "application/apply-patch") else first("fieldManager"), force, sub)
            return self._send(200 if existed else 201, obj)
        if method == "DELETE":
            options = self._json_body(raw) or {}
            if isinstance(options, dict) and "All" in (options.get("dryRun") or []):
                dry_run = True
            if name is None:
                return self._send(200, api.delete_collection(rtype, namespace, first("labelSelector"),
                                                             first("fieldSelector"), dry_run))
            obj = api.delete(rtype, namespace, name, dry_run, options.get("preconditions")
                             if isinstance(options, dict) else None)
            if rtype.group == "" and rtype.kind != "Pod":
                return self._send(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                                        "details": {"name": name, "kind": rtype.plural,
                                                    "uid": obj["metadata"].get("uid")}})
            return self._send(200, obj)
        raise APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    # -- watch ------------------------------------------------------------------------------------
    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _watch(self, api, rtype, namespace, query):
        first = functools.partial(_first, query)
        try:
            lreqs = selectors.parse_labels(first("labelSelector"))
            freqs = selectors.parse_fields(first("fieldSelector"))
            selectors.check_fields(rtype.kind, freqs)
        except selectors.SelectorError as exc:
            raise APIError(400, "BadRequest", str(exc)) from exc
        since = first("resourceVersion")
        expired = None
        try:
            watcher, initial = api.store.watch(rtype.storage, namespace if rtype.namespaced else None, since)
        except LookupError as exc:
            # like kube-apiserver: 200, then one ERROR event carrying a 410 Status
            watcher, initial, expired = None, [], status(410, "Expired", str(exc))
        except ValueError as exc:
            raise APIError(400, "BadRequest", "invalid resourceVersion: %s" % exc) from exc
        timeout = WATCH_TIMEOUT
        if first("timeoutSeconds"):
            try:
                timeout = min(int(first("timeoutSeconds")), WATCH_TIMEOUT)
            except ValueError:
                pass
        owner = self.server.owner
        owner.watch_count += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)

        def matches(obj):
            return obj is not None and selectors.match_labels(lreqs, obj["metadata"].get("labels")) \
                and selectors.match_fields(freqs, obj)

        as_table = "as=Table" in (self.headers.get("Accept") or "")
        sent_columns = []

        def send(event):
            etype, obj, previous = event[2:5]
            now_in, was_in = matches(obj), matches(previous)
            if etype == "MODIFIED":
                if now_in and not was_in:
                    etype = "ADDED"
                elif was_in and not now_in:
                    etype = "DELETED"
                elif not now_in:
                    return
            elif not now_in:
                return
            # the stored object is shared by every watcher: presented shallowly, never changed
            shown = dict(obj, apiVersion=rtype.api_version, kind=rtype.kind)
            if as_table:
                shown = _table(rtype, [shown], shown["metadata"]["resourceVersion"], first("includeObject"))
                if sent_columns:
                    shown["columnDefinitions"] = None
                sent_columns.append(True)
            body = {"type": etype, "object": shown}
            self._chunk(json.dumps(body).encode() + b"\n")

        try:
            if expired is not None:
                self._chunk(json.dumps({"type": "ERROR", "object": expired}).encode() + b"\n")
                deadline = datetime.datetime.now()
            for event in initial:
                send(event)
            while watcher is not None and not owner.stopping.is_set() and datetime.datetime.now() < deadline:
                try:
                    event = watcher.queue.get(timeout=0.5)
                except queue.Empty:
                    continue
                send(event)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
        finally:
            if watcher is not None:
                watcher.close()
            owner.watch_count -= 1
        return 200


class _HTTPSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, context, owner):
        self.owner = owner
        self.context = context
        self.connections = set()
        self.conn_lock = threading.Lock()
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        with self.conn_lock:
            self.connections.add(request)
        try:
            request.settimeout(30)
            request.do_handshake()
            request.settimeout(None)
            super().finish_request(request, client_address)
        except (ssl.SSLError, OSError):
            pass
        finally:
            with self.conn_lock:
                self.connections.discard(request)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, OSError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self):
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class KubeAPIServer:
    """The emulator for tests and the lab::

        with KubeAPIServer() as kube:          # 127.0.0.1, a free port, a generated token
            subprocess.run(["kubectl", "--kubeconfig", kube.kubeconfig_path, "get", "nodes"])
            kube.write_count                    # mutating requests that were not dry runs
            kube.counters()                     # what GET /debug/kubefabric/counters answers

    ``api`` is the ``API`` object (``api.load(obj)`` preloads an object as it is, status included).
    """

    def __init__(self, host="127.0.0.1", port=0, token=None, workdir=None, kubeconfig_path=None,
                 preload=(), validate=True, verbose=False, calico_groups=kinds.CALICO_API_VERSIONS,
                 calico_api_server=True, token_auth_file=None, crds="auto"):
        self.host = host
        self.port = port
        self.token = token or secrets.token_urlsafe(24)
        self.users = rbac.read_token_file(token_auth_file) if token_auth_file else {}
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="kubeapi-")
        os.makedirs(self.workdir, exist_ok=True)
        self.kubeconfig_path = kubeconfig_path or os.path.join(self.workdir, "kubeconfig")
        self.ca_path = os.path.join(self.workdir, "ca.crt")
        self.crd_dir = crd_module.find_dir() if crds == "auto" else crds
        loaded = crd_module.load(self.crd_dir) if self.crd_dir else {}
        self.api = API(validate=validate, registry=kinds.Registry(tuple(calico_groups), calico_api_server, loaded))
        served = [r for r in self.api.kinds.types if r.is_calico]
        checked = [r for r in served if self.api.kinds.crd(r) is not None]
        if not validate:
            self.schema_note = "Calico kinds served without schema checks (--no-validate)"
        elif not checked:
            self.schema_note = ("no Calico CRD manifests found (KUBEFABRIC_CRDS, --crds or ../shared/reference/"
                                "calico/crds): Calico kinds served without schema checks, as with permissive CRDs")
        else:
            unchecked = sorted(r.api_version + " " + r.kind for r in served if r not in checked)
            self.schema_note = "Calico kinds validated by the CRD manifests in %s%s" % (
                self.crd_dir, "; without schema: " + ", ".join(unchecked) if unchecked else "")
        self.counter = counters.Counters()
        self.authorizer = rbac.Authorizer(self.api)
        self.verbose = verbose
        self.stopping = threading.Event()
        self.watch_count = 0
        self._server = None
        self._thread = None
        for item in preload:
            self.preload(item)

    # -- preloading -------------------------------------------------------------------------------
    def preload(self, source):
        """Load objects: a dict, a list of dicts, or a path to a YAML/JSON file (multi-document)."""
        if isinstance(source, dict):
            return self.api.load_documents([source])
        if isinstance(source, (list, tuple)):
            return self.api.load_documents(list(source))
        with open(source, encoding="utf-8") as handle:
            return self.api.load_documents(list(yaml.safe_load_all(handle)))

    # -- users ------------------------------------------------------------------------------------
    def add_user(self, name, groups=(), token=None):
        """A bearer token for user ``name`` (authorised by RBAC unless in system:masters)."""
        token = token or secrets.token_urlsafe(24)
        self.users[token] = rbac.User(name, groups)
        return token

    def add_service_account(self, namespace, name, token=None):
        """A bearer token for ServiceAccount ``namespace/name`` (the ServiceAccount object is created)."""
        rtype = self.api.kinds.by_kind("v1", "ServiceAccount")
        if self.api.store.get(rtype.storage, namespace, name) is None:
            self.api.load({"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": name, "namespace": namespace}})
        token = token or secrets.token_urlsafe(24)
        self.users[token] = rbac.service_account_user(namespace, name)
        return token

    # -- life cycle -------------------------------------------------------------------------------
    @property
    def url(self):
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = "[%s]" % host if ":" in host else host
        return "https://%s:%d" % (host, self.port)

    @property
    def write_count(self):
        return self.counter.writes

    def counters(self):
        """Requests and writes by verb and resource (the body of ``GET /debug/kubefabric/counters``)."""
        return self.counter.snapshot(self.api.store.stats())

    def start(self):
        cert, key = os.path.join(self.workdir, "server.crt"), os.path.join(self.workdir, "server.key")
        ca_pem, cert_pem, key_pem = make_ca_and_server_cert([self.host])
        for path, data, mode in ((self.ca_path, ca_pem, 0o644), (cert, cert_pem, 0o644), (key, key_pem, 0o600)):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb") as handle:
                handle.write(data)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        context.set_alpn_protocols(["http/1.1"])
        self._server = _HTTPSServer((self.host, self.port), context, self)
        self.port = self._server.server_address[1]
        self._write_kubeconfig(ca_pem)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="kubeapi-%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def _write_kubeconfig(self, ca_pem):
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "kubefabric-lab", "cluster": {
                "server": self.url, "certificate-authority-data": base64.b64encode(ca_pem).decode()}}],
            "users": [{"name": "kubefabric-admin", "user": {"token": self.token}}],
            "contexts": [{"name": "kubefabric-lab", "context": {"cluster": "kubefabric-lab",
                                                                "user": "kubefabric-admin"}}],
            "current-context": "kubefabric-lab",
        }
        with open(os.open(self.kubeconfig_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
                  encoding="utf-8") as handle:
            yaml.safe_dump(config, handle, default_flow_style=False)

    def stop(self):
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m lab kubeapi",
                                     description="HTTPS Kubernetes API server emulator (Calico kinds, core/v1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1 or 198.18.x.x)")
    parser.add_argument("--port", type=int, default=6443, help="TCP port (0: a free one)")
    parser.add_argument("--token", help="bearer token clients must send (default: generated)")
    parser.add_argument("--token-auth-file", metavar="FILE",
                        help="static tokens as kube-apiserver reads them (token,user,uid,\"group1,group2\"); "
                             "these users are authorised by RBAC (Role/ClusterRole and bindings)")
    parser.add_argument("--workdir", help="directory for the CA, the server certificate and the kubeconfig")
    parser.add_argument("--kubeconfig", help="where to write the kubeconfig (default: WORKDIR/kubeconfig)")
    parser.add_argument("--ready-file", help="write the URL to this file once the server is accepting requests")
    parser.add_argument("--preload", action="append", default=[], metavar="FILE",
                        help="YAML/JSON file of objects to load at start (repeatable)")
    parser.add_argument("--no-validate", action="store_true",
                        help="do not validate Calico kinds (serve them as permissive CRDs would)")
    parser.add_argument("--crds", metavar="DIR",
                        help="directory of Calico CRD manifests whose schemas (OpenAPI v3 and CEL rules) decide "
                             "validity (default: $KUBEFABRIC_CRDS, else ../shared/reference/calico/crds if present)")
    parser.add_argument("--calico-groups", default=",".join(kinds.CALICO_API_VERSIONS),
                        help="Calico API versions to serve, comma-separated (default: both; "
                             "'crd.projectcalico.org/v1' alone is a cluster without the Calico API server)")
    parser.add_argument("--native-v3-crds", action="store_true",
                        help="serve projectcalico.org/v3 as Calico's native v3 CRDs (CRD validation only) "
                             "instead of as the Calico API server")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    workdir = args.workdir
    if workdir:
        os.makedirs(workdir, exist_ok=True)
    server = KubeAPIServer(args.host, args.port, token=args.token, workdir=workdir or None,
                           kubeconfig_path=args.kubeconfig, validate=not args.no_validate, verbose=args.verbose,
                           calico_groups=[g.strip() for g in args.calico_groups.split(",") if g.strip()],
                           calico_api_server=not args.native_v3_crds, token_auth_file=args.token_auth_file,
                           crds=args.crds or "auto")
    print("kubeapi: %s" % server.schema_note, file=sys.stderr, flush=True)
    try:
        for path in args.preload:
            server.preload(path)
    except (OSError, ValueError, yaml.YAMLError, APIError) as exc:
        print("kubeapi: cannot preload: %s" % exc, file=sys.stderr)
        return 2
    server.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print("kubeapi: serving %s kubeconfig=%s ca=%s" % (server.url, server.kubeconfig_path, server.ca_path),
          flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write("%s %s\n" % (server.url, server.kubeconfig_path))
        os.replace(tmp, args.ready_file)
    print("READY %s" % server.url, flush=True)
    done.wait()
    server.stop()
    return 0
