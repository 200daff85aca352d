"""Authentication by static bearer token and RBAC authorisation, as kube-apiserver does them.

* Users: the admin token of the server is user ``kubefabric-admin`` in ``system:masters`` (which
  bypasses authorisation, as in Kubernetes); further tokens come from ``--token-auth-file`` (the
  kube-apiserver format: ``token,user,uid,"group1,group2"``) or ``KubeAPIServer.add_user`` /
  ``add_service_account``.  A ServiceAccount user is ``system:serviceaccount:NS:NAME`` in the groups
  ``system:serviceaccounts`` and ``system:serviceaccounts:NS``; every user is in ``system:authenticated``.
* Authorisation (the RBAC authoriser): a request is allowed when a rule of a ClusterRole bound by a
  ClusterRoleBinding, or of a Role/ClusterRole bound by a RoleBinding in the request's namespace,
  matches its verb, API group, resource (``resource/subresource``) and name.  The defaults every
  cluster has are built in: discovery (``system:discovery``) and SelfSubjectAccessReview
  (``system:basic-user``) for every authenticated user.
* ``SelfSubjectAccessReview`` is answered from the same rules.
"""
import csv

MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
RBAC_GROUP = "rbac.authorization.k8s.io"


class User:
    def __init__(self, name, groups=()):
        self.name = name
        self.groups = tuple(groups) + ((AUTHENTICATED,) if AUTHENTICATED not in groups else ())

    @property
    def is_master(self):
        return MASTERS in self.groups


def service_account_user(namespace, name):
    return User("system:serviceaccount:%s:%s" % (namespace, name),
                ("system:serviceaccounts", "system:serviceaccounts:%s" % namespace))


def read_token_file(path):
    """``{token: User}`` from a kube-apiserver static token file."""
    users = {}
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("#"):
                continue
            if len(row) < 3:
                raise ValueError("token file %s: a line needs token,user,uid" % path)
            groups = [g.strip() for g in row[3].split(",") if g.strip()] if len(row) > 3 else []
            users[row[0].strip()] = User(row[1].strip(), groups)
    return users


# What the default cluster roles give every authenticated user (system:basic-user, system:discovery).
_BUILT_IN = [
    {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
     "verbs": ["create"]},
]


def verb_of(method, name, watch=False):
    if method in ("GET", "HEAD"):
        if name is None:
            return "watch" if watch else "list"
        return "get"
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if name is not None else "deletecollection"}.get(method, method.lower())


def _subject_matches(subject, user):
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user.name
    if kind == "Group":
        return subject.get("name") in user.groups
    if kind == "ServiceAccount":
        return user.name == "system:serviceaccount:%s:%s" % (subject.get("namespace"), subject.get("name"))
    return False


def _rule_matches(rule, verb, group, resource, subresource, name):
    verbs = rule.get("verbs") or ()
    if verb not in verbs and "*" not in verbs:
        return False
    groups = rule.get("apiGroups") or ()
    if group not in groups and "*" not in groups:
        return False
    wanted = "%s/%s" % (resource, subresource) if subresource else resource
    resources = rule.get("resources") or ()
    if wanted not in resources and "*" not in resources and not (subresource and "*/%s" % subresource in resources):
        return False
    names = rule.get("resourceNames") or ()
    if names and name not in names:
        return False
    return True


class Authorizer:
    """RBAC over the objects of an ``API`` (read at every request: a new binding applies at once)."""

    def __init__(self, api):
        self.api = api

    def _objects(self, kind, namespace=None):
        rtype = self.api.kinds.by_kind(RBAC_GROUP + "/v1", kind)
        if rtype is None:
            return []
        items, _rv = self.api.store.list(rtype.storage, namespace, shared=True)
        return items

    def _role_rules(self, ref, namespace):
        kind, name = ref.get("kind"), ref.get("name")
        for obj in self._objects(kind, namespace if kind == "Role" else None):
            if obj["metadata"]["name"] == name:
                return obj.get("rules") or []
        return []

    def rules_for(self, user, namespace):
        """Every rule that applies to ``user`` for a request in ``namespace`` (None: cluster scope)."""
        rules = list(_BUILT_IN)
        for binding in self._objects("ClusterRoleBinding"):
            if any(_subject_matches(s, user) for s in binding.get("subjects") or ()):
                rules += self._role_rules(binding.get("roleRef") or {}, None)
        if namespace:
            for binding in self._objects("RoleBinding", namespace):
                if any(_subject_matches(s, user) for s in binding.get("subjects") or ()):
                    rules += self._role_rules(binding.get("roleRef") or {}, namespace)
        return rules

    def allowed(self, user, verb, group, resource, subresource=None, namespace=None, name=None):
        if user.is_master:
            return True
        return any(_rule_matches(rule, verb, group or "", resource, subresource, name)
                   for rule in self.rules_for(user, namespace))


def forbidden_message(user, verb, group, resource, subresource, namespace, name, qualified):
    """kube-apiserver's wording of a 403."""
    what = '%s "%s"' % (qualified, name) if name else qualified
    res = "%s/%s" % (resource, subresource) if subresource else resource
    scope = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    return '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        what, user.name, verb, res, group or "", scope)
