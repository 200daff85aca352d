# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by the Calico modules (kubernetes.core's names and K8S_AUTH_* variables)."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig content as a dictionary.
      - When no connection option is given, the in-cluster service account is tried first and then
        C(~/.kube/config).
      - Can also be set with the E(K8S_AUTH_KUBECONFIG) environment variable.
    type: raw
  context:
    description:
      - The kubeconfig context to use. Can also be set with E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - URL of the Kubernetes API server. Can also be set with E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - Bearer token used to authenticate with the API server. Can also be set with E(K8S_AUTH_API_KEY)
        (what AWX's Kubernetes credential injects).
    type: str
  username:
    description:
      - User name for basic authentication. Can also be set with E(K8S_AUTH_USERNAME).
    type: str
  password:
    description:
      - Password for basic authentication. Can also be set with E(K8S_AUTH_PASSWORD).
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate. Verification is on unless the kubeconfig
        or this option turns it off.
      - Can also be set with E(K8S_AUTH_VALIDATE_CERTS) or E(K8S_AUTH_VERIFY_SSL); the values C(0),
        C(false) and C(no) mean false.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to a CA certificate used to verify the API server.
      - Can also be set with E(K8S_AUTH_CA_CERT) or E(K8S_AUTH_SSL_CA_CERT).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate for TLS client authentication.
      - Can also be set with E(K8S_AUTH_CLIENT_CERT) or E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert).
      - Can also be set with E(K8S_AUTH_CLIENT_KEY) or E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP proxy for the connection to the API server. Can also be set with E(K8S_AUTH_PROXY).
    type: str
  no_proxy:
    description:
      - Comma separated hosts, domains or CIDRs that bypass O(proxy). Can also be set with E(K8S_AUTH_NO_PROXY).
    type: str
  proxy_headers:
    description:
      - Headers sent to the proxy. Each can also be set with E(K8S_AUTH_PROXY_HEADERS_<NAME>).
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy's basic authentication.
        type: str
      basic_auth:
        description:
          - C(user:password) for basic authentication.
        type: str
      user_agent:
        description:
          - The User-Agent header.
        type: str
  persist_config:
    description:
      - Write refreshed tokens back to the kubeconfig file. Can also be set with E(K8S_AUTH_PERSIST_CONFIG).
    type: bool
  impersonate_user:
    description:
      - User name to impersonate. Can also be set with E(K8S_AUTH_IMPERSONATE_USER).
    type: str
  impersonate_groups:
    description:
      - Groups to impersonate. Can also be set with E(K8S_AUTH_IMPERSONATE_GROUPS) (comma separated).
    type: list
    elements: str
  api_group:
    description:
      - Which Calico API group to use.
      - V(auto) uses C(projectcalico.org/v3) when the server serves it (the Calico API server, or
        Calico's native v3 CRDs) and falls back to the storage CRDs C(crd.projectcalico.org/v1).
      - The v1 CRDs skip Calico's own validation; the modules apply it themselves before any write,
        whichever group is used.
    type: str
    default: auto
    choices: [auto, projectcalico.org/v3, crd.projectcalico.org/v1]
  request_timeout:
    description:
      - Seconds to wait for each reply of the API server.
    type: int
    default: 30
notes:
  - The connection options and the E(K8S_AUTH_*) environment variables are those of
    M(kubernetes.core.k8s), so AWX's "OpenShift or Kubernetes API Bearer Token" credential works unchanged.
    Set them once for all four modules with C(module_defaults) and the action group C(group/kubefabric.bgp.k8s).
  - In check mode every write is sent as a server-side dry run (C(dryRun=All)); nothing is stored.
  - Objects the modules create carry the label C(app.kubernetes.io/managed-by=kubefabric).
requirements:
  - kubernetes (Python library)
"""
