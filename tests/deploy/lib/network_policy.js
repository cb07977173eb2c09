// NetworkPolicy semantics for the tests (ingress only, as dcp's policies
// are): is a connection from a pod (its labels, its namespace's labels) to a
// pod of the policies' namespace on a port allowed? A pod no policy selects
// accepts everything; a selected pod accepts what a rule of one of the
// policies selecting it allows (the union).

// matchLabels AND matchExpressions (In, NotIn, Exists, DoesNotExist); an
// empty selector matches everything.
export function Matches(selector, labels) {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const ok = { In: has && values.includes(labels[key]), NotIn: !has || !values.includes(labels[key]),
      Exists: has, DoesNotExist: !has }[operator];
    if (ok === undefined) throw new Error(`unknown operator ${operator}`);
    if (!ok) return false;
  }
  return true;
}

// A peer without namespaceSelector is a pod of the policy's namespace; with
// both selectors, both must match.
function PeerMatches(peer, from, namespace) {
  if (peer.ipBlock) return false;
  if (peer.namespaceSelector) {
    if (!Matches(peer.namespaceSelector, from.namespaceLabels)) return false;
  } else if (from.namespace !== namespace) {
    return false;
  }
  return !peer.podSelector || Matches(peer.podSelector, from.labels);
}

// from: {namespace, namespaceLabels, labels}; to: {labels, ports: the
// container ports, for named ports}; port: a number.
export function Allowed(policies, namespace, from, to, port) {
  const selecting = policies.filter((p) => (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress") &&
    Matches(p.spec.podSelector, to.labels));
  if (selecting.length === 0) return true;
  return selecting.some((p) => (p.spec.ingress ?? []).some((rule) => {
    const peers = rule.from ?? [];
    if (peers.length > 0 && !peers.some((peer) => PeerMatches(peer, from, namespace))) return false;
    const ports = rule.ports ?? [];
    return ports.length === 0 || ports.some((r) => {
      const number = typeof r.port === "string" ? to.ports.find((c) => c.name === r.port)?.containerPort : r.port;
      return (r.protocol ?? "TCP") === "TCP" && (r.port === undefined || number === port ||
        (r.endPort !== undefined && port >= number && port <= r.endPort));
    });
  }));
}
