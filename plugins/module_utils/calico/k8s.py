# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes connection layer of the Calico modules.

* Options: kubernetes.core's names and aliases (``kubeconfig``, ``context``, ``host``, ``api_key``,
  ``validate_certs``/``verify_ssl``, ``ca_cert``/``ssl_ca_cert``, ...). The ``K8S_AUTH_*``
  environment variables are read in ONE place, :func:`auth_from_params`, so AWX's "OpenShift or
  Kubernetes API Bearer Token" credential (``K8S_AUTH_HOST``, ``K8S_AUTH_API_KEY``,
  ``K8S_AUTH_VERIFY_SSL``, ``K8S_AUTH_SSL_CA_CERT``) works unchanged.
* Transport: the official ``kubernetes`` client (``DynamicClient.request``), wrapped so that every
  failure (unreachable server, TLS, 401/403, 422) becomes one :class:`FabricError`.
* :class:`KubeClient`: API group discovery for the Calico kinds (``projectcalico.org/v3`` when it
  is served, else ``crd.projectcalico.org/v1``), get/list/create/replace/patch/delete. In check
  mode every write is sent as a server-side dry run (``dryRun=All``): the server validates it and
  persists nothing. Every write is recorded in ``KubeClient.writes``.
* :func:`for_diff`: an object as shown in a diff (server bookkeeping dropped, Secret data hidden).
"""

from __future__ import annotations

import copy
import json
import os

from ..common.errors import FabricError
from . import resources

try:
    import kubernetes
    from kubernetes.dynamic import DynamicClient
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - exercised by the sanity import test
    kubernetes = None
    DynamicClient = object
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = _exc

try:
    import urllib3
    HAS_URLLIB3 = True
except ImportError:  # pragma: no cover
    urllib3 = None
    HAS_URLLIB3 = False

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "kubefabric"

V3 = resources.GROUP_V3
V1 = resources.GROUP_V1
CALICO_GROUPS = (V3, V1)
API_GROUP_CHOICES = ["auto", V3, V1]

# kubernetes.core's AUTH_ARG_SPEC, option for option (names, aliases, types, no_log).
PROXY_HEADERS_SPEC = dict(
    proxy_basic_auth=dict(type="str", no_log=True),
    basic_auth=dict(type="str", no_log=True),
    user_agent=dict(type="str"),
)

AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="raw", no_log=True),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    client_cert=dict(type="path", aliases=["cert_file"]),
    client_key=dict(type="path", aliases=["key_file"], no_log=True),
    proxy=dict(type="str"),
    no_proxy=dict(type="str"),
    proxy_headers=dict(type="dict", options=PROXY_HEADERS_SPEC),
    persist_config=dict(type="bool"),
    impersonate_user=dict(type="str"),
    impersonate_groups=dict(type="list", elements="str"),
)

CALICO_ARG_SPEC = dict(
    api_group=dict(type="str", default="auto", choices=API_GROUP_CHOICES),
    request_timeout=dict(type="int", default=30),
)

# option name -> the kubernetes client's Configuration name (also accepted as K8S_AUTH_<NAME>).
CLIENT_NAMES = dict(
    validate_certs="verify_ssl",
    ca_cert="ssl_ca_cert",
    client_cert="cert_file",
    client_key="key_file",
)

# Kinds this layer knows: (group/version or None for "the Calico group", plural, namespaced).
CORE_KINDS = {
    "Node": ("v1", "nodes", False),
    "Secret": ("v1", "secrets", True),
    "Namespace": ("v1", "namespaces", False),
}
# Other built-in kinds: (group/version, plural, namespaced).
OTHER_KINDS = {
    "Lease": ("coordination.k8s.io/v1", "leases", True),
}
ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"

# Metadata the server owns; never part of a diff or a comparison.
SERVER_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields",
                   "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")
HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"


def argument_spec():
    """The options every Calico module takes: kubernetes.core's connection options + the API group."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(copy.deepcopy(CALICO_ARG_SPEC))
    return spec


def _env_bool(value):
    return value.strip().lower() not in ("0", "false", "no", "")


def auth_from_params(params, environ=None):
    """Connection settings from module params, falling back to ``K8S_AUTH_*`` (the only env reader).

    For every option the environment is consulted only when the option is unset:
    ``K8S_AUTH_<OPTION>`` first, then ``K8S_AUTH_<CLIENT NAME>`` (``K8S_AUTH_VERIFY_SSL``,
    ``K8S_AUTH_SSL_CA_CERT``, ``K8S_AUTH_CERT_FILE``, ``K8S_AUTH_KEY_FILE``), like kubernetes.core.
    Boolean values "0", "false" and "no" mean False. ``K8S_AUTH_IMPERSONATE_GROUPS`` is comma separated.
    """
    environ = os.environ if environ is None else environ
    auth = {}
    for option, spec in AUTH_ARG_SPEC.items():
        value = params.get(option)
        if value is None and option == "proxy_headers":
            headers = {}
            for key in PROXY_HEADERS_SPEC:
                env = environ.get("K8S_AUTH_PROXY_HEADERS_%s" % key.upper())
                if env is not None:
                    headers[key] = env
            value = headers or None
        elif value is None:
            names = ["K8S_AUTH_%s" % option.upper()]
            if option in CLIENT_NAMES:
                names.append("K8S_AUTH_%s" % CLIENT_NAMES[option].upper())
            for name in names:
                if environ.get(name) is not None:
                    value = environ[name]
                    break
            if value is not None:
                if spec.get("type") == "bool":
                    value = _env_bool(value)
                elif spec.get("type") == "list":
                    value = [item for item in value.split(",") if item]
        if value is not None:
            auth[option] = value
    return auth


def _describe_connection_error(exc):
    text = str(exc)
    reason = getattr(exc, "reason", None)
    if reason:
        text = str(reason)
    text = text.strip() or repr(exc)
    lowered = text.lower()
    if "certificate" in lowered or "ssl" in lowered:
        return ("TLS verification of the API server failed (%s)" % text,
                "give the cluster CA with ca_cert (K8S_AUTH_SSL_CA_CERT) or, for a lab only, set validate_certs: false")
    if "refused" in lowered:
        return ("connection refused", "check host/kubeconfig/context: is the API server running and reachable?")
    if "timed out" in lowered or "timeout" in lowered:
        return ("connection timed out (%s)" % text, "check host/kubeconfig/context and the network path to the API server")
    return (text, "check host/kubeconfig/context and the network path to the API server")


def api_error(status, body, host, what):
    """A FabricError for an HTTP error status, with the server's own message (Calico's wording)."""
    message = None
    reason = None
    try:
        status_obj = json.loads(body) if isinstance(body, (str, bytes)) and body else {}
        if isinstance(status_obj, dict):
            message = status_obj.get("message")
            reason = status_obj.get("reason")
    except ValueError:
        status_obj = {}
    message = message or (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or ""))
    if status == 401:
        return FabricError("the API server refused the credentials (401 Unauthorized) for %s" % what, host=host,
                           field="api_key", fix="check api_key/kubeconfig (K8S_AUTH_API_KEY, K8S_AUTH_KUBECONFIG): "
                           "the token or client certificate is not valid for this cluster")
    if status == 403:
        return FabricError("forbidden (403) for %s: %s" % (what, message), host=host, field="api_key",
                           fix="grant the service account RBAC rights on this resource (get/list/create/update/"
                           "patch/delete) or use another identity")
    return FabricError("%s failed: %s (HTTP %s%s)" % (what, message, status, ", %s" % reason if reason else ""),
                       host=host, details={"status": status, "reason": reason})


class _NoDiscovery:
    """A discoverer that discovers nothing: this layer discovers the Calico group itself."""

    def __init__(self, client, cache_file):
        self.client = client

    @property
    def version(self):  # pragma: no cover - unused
        return {}


class Transport:
    """One HTTP exchange with the API server through the official client; errors become FabricError."""

    def __init__(self, auth, timeout=30):
        if not HAS_KUBERNETES:
            raise FabricError("the Python library kubernetes is not installed on the controller",
                              fix="pip install kubernetes (it is in the collection's requirements.txt)")
        self.timeout = timeout
        configuration = self._configuration(dict(auth))
        self.host = configuration.host
        api_client = kubernetes.client.ApiClient(configuration)
        if auth.get("impersonate_user"):
            api_client.set_default_header("Impersonate-User", auth["impersonate_user"])
        for group in auth.get("impersonate_groups") or []:
            api_client.set_default_header("Impersonate-Group", group)
        self.dynamic = DynamicClient(api_client, discoverer=_NoDiscovery)

    @staticmethod
    def _load_kubeconfig(auth, configuration):
        kubeconfig = auth.get("kubeconfig")
        kwargs = dict(context=auth.get("context"), client_configuration=configuration,
                      persist_config=bool(auth.get("persist_config")))
        try:
            if isinstance(kubeconfig, dict):
                kubernetes.config.load_kube_config_from_dict(config_dict=kubeconfig, **kwargs)
            else:
                if kubeconfig is not None and not os.path.exists(str(kubeconfig)):
                    raise FabricError("kubeconfig file %s does not exist" % kubeconfig, field="kubeconfig",
                                      fix="give the path of a kubeconfig file (or set K8S_AUTH_KUBECONFIG)")
                kubernetes.config.load_kube_config(config_file=kubeconfig, **kwargs)
        except FabricError:
            raise
        except Exception as exc:  # the client raises ConfigException, ValueError, IOError, ...
            raise FabricError("cannot load the kubeconfig: %s" % exc, field="kubeconfig" if kubeconfig else "context",
                              fix="check kubeconfig and context (K8S_AUTH_KUBECONFIG, K8S_AUTH_CONTEXT)")

    def _configuration(self, auth):
        configuration = kubernetes.client.Configuration()
        if auth.get("host"):
            auth["host"] = auth["host"].rstrip("/")

        def have(*names):
            return all(auth.get(name) for name in names)

        if have("host", "api_key") or have("host", "username", "password") or have("host", "client_cert", "client_key"):
            pass
        elif have("kubeconfig") or have("context"):
            self._load_kubeconfig(auth, configuration)
        else:
            try:
                kubernetes.config.load_incluster_config(client_configuration=configuration)
            except kubernetes.config.ConfigException:
                if not auth.get("host"):
                    self._load_kubeconfig(auth, configuration)
        if auth.get("host"):
            configuration.host = auth["host"]
        if auth.get("api_key"):
            # "BearerToken" is the key of kubernetes >= 33, "authorization" the one of older clients.
            token = "Bearer %s" % auth["api_key"]
            configuration.api_key = {"BearerToken": token, "authorization": token}
            configuration.api_key_prefix = {}
            configuration.refresh_api_key_hook = None  # the kubeconfig's token loader would win otherwise
        if auth.get("username"):
            configuration.username = auth["username"]
        if auth.get("password"):
            configuration.password = auth["password"]
        if auth.get("validate_certs") is not None:
            configuration.verify_ssl = auth["validate_certs"]
        for option, name in (("ca_cert", "ssl_ca_cert"), ("client_cert", "cert_file"), ("client_key", "key_file"),
                             ("proxy", "proxy"), ("no_proxy", "no_proxy")):
            if auth.get(option):
                setattr(configuration, name, auth[option])
        if auth.get("proxy_headers") and HAS_URLLIB3:
            headers = dict((k, v) for k, v in auth["proxy_headers"].items() if v is not None)
            configuration.proxy_headers = urllib3.util.make_headers(**headers)
        configuration.retries = False
        return configuration

    def request(self, method, path, body=None, query=None, content_type=None, what=None):
        """Send one request; returns the decoded JSON body (or None); raises FabricError."""
        params = dict(serialize=False, _request_timeout=self.timeout)
        for key, value in (query or {}).items():
            if value is not None:
                params[key] = value
        if content_type:
            params["content_type"] = content_type
        what = what or "%s %s" % (method.upper(), path)
        try:
            response = self.dynamic.request(method, path, body=body, **params)
        except FabricError:
            raise
        except Exception as exc:  # pylint: disable=broad-exception-caught
            status = getattr(exc, "status", None)
            if status:  # an HTTP error status (DynamicApiError or ApiException)
                raise api_error(status, getattr(exc, "body", None), self.host, what)
            # urllib3/ssl/socket errors (the client reports some as ApiException with status 0)
            message, fix = _describe_connection_error(exc)
            raise FabricError("cannot reach the Kubernetes API server at %s: %s" % (self.host, message),
                              host=self.host, field="host", fix=fix)
        data = getattr(response, "data", response)
        if not data:
            return None
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        if isinstance(data, str):
            try:
                return json.loads(data)
            except ValueError:
                raise FabricError("the API server sent a reply that is not JSON for %s" % what, host=self.host,
                                  fix="check that host points at a Kubernetes API server")
        return data


class NotFound(Exception):
    """Internal: a 404 from the server."""


class KubeClient:
    """What the Calico modules do with the API: discovery, reads, and writes gated on check mode."""

    def __init__(self, transport, check_mode=False, api_group="auto"):
        self.transport = transport
        self.check_mode = check_mode
        self.requested_group = api_group or "auto"
        self._group = None
        self.writes = []

    @property
    def host(self):
        return getattr(self.transport, "host", None)

    # -- discovery ---------------------------------------------------------------------------------
    def _served(self, group_version, plural):
        try:
            listing = self.transport.request("get", "/apis/%s" % group_version, what="discovery of %s" % group_version)
        except FabricError as exc:
            if exc.details.get("status") == 404:
                return False
            raise
        names = [r.get("name") for r in (listing or {}).get("resources", [])]
        return plural in names

    @property
    def calico_group(self):
        """``projectcalico.org/v3`` if the server serves it, else ``crd.projectcalico.org/v1``."""
        if self._group is None:
            candidates = CALICO_GROUPS if self.requested_group == "auto" else (self.requested_group,)
            for group in candidates:
                if self._served(group, "bgppeers"):
                    self._group = group
                    break
            else:
                raise FabricError("Calico's API is not served: %s does not serve bgppeers"
                                  % " nor ".join(candidates), host=self.host, field="api_group",
                                  fix="install Calico (its CRDs), or pick the group it serves with api_group")
        return self._group

    @property
    def is_v1(self):
        return self.calico_group == V1

    def api_version(self, kind):
        if kind in CORE_KINDS:
            return CORE_KINDS[kind][0]
        if kind in OTHER_KINDS:
            return OTHER_KINDS[kind][0]
        return self.calico_group

    def path(self, kind, name=None, namespace=None):
        if kind in CORE_KINDS:
            version, plural, namespaced = CORE_KINDS[kind]
            base = "/api/%s" % version
        elif kind in OTHER_KINDS:
            version, plural, namespaced = OTHER_KINDS[kind]
            base = "/apis/%s" % version
        elif kind in resources.KINDS:
            plural, namespaced = resources.KINDS[kind].plural, False
            base = "/apis/%s" % self.calico_group
        else:
            raise FabricError("unknown kind %s" % kind, field="kind")
        if namespaced:
            if not namespace:
                raise FabricError("%s %s needs a namespace" % (kind, name), field="namespace")
            base += "/namespaces/%s" % namespace
        path = "%s/%s" % (base, plural)
        if name:
            path += "/%s" % name
        return path

    @staticmethod
    def ref(kind, name, namespace=None):
        return "%s/%s/%s" % (kind, namespace, name) if namespace else "%s/%s" % (kind, name)

    # -- reads -------------------------------------------------------------------------------------
    def get(self, kind, name, namespace=None):
        """The object, or None when it does not exist."""
        try:
            return self.transport.request("get", self.path(kind, name, namespace),
                                          what="reading %s" % self.ref(kind, name, namespace))
        except FabricError as exc:
            if exc.details.get("status") == 404:
                return None
            raise

    def list(self, kind, namespace=None, label_selector=None):
        query = {"label_selector": label_selector} if label_selector else None
        data = self.transport.request("get", self.path(kind, namespace=namespace), query=query,
                                      what="listing %s" % kind) or {}
        items = data.get("items") or []
        for item in items:
            item.setdefault("apiVersion", self.api_version(kind))
            item.setdefault("kind", kind)
        return items

    # -- writes (the one check-mode gate) ----------------------------------------------------------
    def _write(self, verb, method, kind, name, namespace, body=None, content_type=None, path=None):
        query = {"dry_run": "All"} if self.check_mode else None
        ref = self.ref(kind, name, namespace)
        self.writes.append({"verb": verb, "ref": ref, "dry_run": self.check_mode})
        return self.transport.request(method, path or self.path(kind, name, namespace), body=body, query=query,
                                      content_type=content_type, what="%s %s" % (verb, ref))

    def create(self, kind, obj):
        meta = obj["metadata"]
        body = dict(obj, apiVersion=self.api_version(kind), kind=kind)
        return self._write("create", "post", kind, meta["name"], meta.get("namespace"), body=body,
                           path=self.path(kind, namespace=meta.get("namespace")))

    def replace(self, kind, obj):
        meta = obj["metadata"]
        body = dict(obj, apiVersion=self.api_version(kind), kind=kind)
        return self._write("replace", "put", kind, meta["name"], meta.get("namespace"), body=body)

    def patch(self, kind, name, patch, namespace=None):
        """A JSON merge patch (RFC 7386): ``None`` values delete keys."""
        return self._write("patch", "patch", kind, name, namespace, body=patch,
                           content_type="application/merge-patch+json")

    def delete(self, kind, name, namespace=None, body=None):
        try:
            return self._write("delete", "delete", kind, name, namespace, body=body)
        except FabricError as exc:
            if exc.details.get("status") == 404:
                return None
            raise

    # -- authorisation -----------------------------------------------------------------------------
    def can(self, verb, resource, group="", namespace=None, subresource=None):
        """SelfSubjectAccessReview: may these credentials ``verb`` the ``resource``? (a question, not a write)"""
        attributes = {"verb": verb, "group": group, "resource": resource}
        if namespace:
            attributes["namespace"] = namespace
        if subresource:
            attributes["subresource"] = subresource
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes}}
        reply = self.transport.request("post", ACCESS_REVIEW_PATH, body=body,
                                       what="SelfSubjectAccessReview %s %s" % (verb, resource)) or {}
        status = reply.get("status") or {}
        return bool(status.get("allowed")) and not status.get("denied")


def connect(params, check_mode=False):
    """A KubeClient from module params (connection options + api_group + request_timeout)."""
    transport = Transport(auth_from_params(params), timeout=params.get("request_timeout") or 30)
    return KubeClient(transport, check_mode=check_mode, api_group=params.get("api_group") or "auto")


# -- objects -------------------------------------------------------------------------------------------
def is_managed(obj):
    return ((obj or {}).get("metadata") or {}).get("labels", {}).get(MANAGED_BY_LABEL) == MANAGED_BY


def strip_server_fields(obj):
    """A deep copy without what the server owns (resourceVersion, uid, status, ...)."""
    if obj is None:
        return None
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata") or {}
    for key in SERVER_METADATA:
        meta.pop(key, None)
    if not meta.get("annotations"):
        meta.pop("annotations", None)
    if not meta.get("labels"):
        meta.pop("labels", None)
    obj.pop("status", None)
    return obj


def for_diff(obj, changed_secret_keys=()):
    """An object as shown in a diff: no server fields; a Secret's values replaced by a marker.

    ``changed_secret_keys`` marks the keys whose value is about to change, so that a diff shows
    *that* a password changes without showing it.
    """
    obj = strip_server_fields(obj)
    if obj is None:
        return None
    if obj.get("kind") == "Secret":
        for field in ("data", "stringData"):
            if field in obj:
                obj[field] = dict((key, HIDDEN_CHANGED if key in changed_secret_keys else HIDDEN)
                                  for key in obj[field])
    return obj
