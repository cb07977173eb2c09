// Schema validation of one rendered object, by apiVersion and kind:
// Kubernetes kinds with kubernetes-models, KEDA and prometheus-operator kinds
// with their @kubernetes-models packages, OpenShift kinds with the strict
// schemas in ../schemas/openshift.json (their pod templates with
// kubernetes-models; Route with the schema below), NetworkPolicy with
// kubernetes-models and a strict schema below. Throws with the object's name and the first errors.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Ajv from "ajv";
import { ConfigMap, PersistentVolumeClaim, PodTemplateSpec, ResourceRequirements, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { PodMonitor, PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const here = path.dirname(fileURLToPath(import.meta.url));
const openshift = JSON.parse(fs.readFileSync(path.join(here, "../schemas/openshift.json"), "utf8"));
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema({ $id: "openshift", definitions: openshift.definitions, ...Object.fromEntries(
  ["DeploymentConfig", "ImageStream", "BuildConfig", "Template"].map((k) => [k, openshift[k]])) });

// route.openshift.io/v1 Route: the fields dcp uses, strictly (no unknown
// field, enums as the API server checks them).
ajv.addSchema({
  $id: "openshift-route",
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "route.openshift.io/v1" },
    kind: { const: "Route" },
    metadata: { $ref: "openshift#/definitions/metadata" },
    spec: {
      type: "object",
      additionalProperties: false,
      required: ["to"],
      properties: {
        host: { type: "string", pattern: "^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" },
        path: { type: "string", pattern: "^/" },
        to: {
          type: "object",
          additionalProperties: false,
          required: ["kind", "name"],
          properties: {
            kind: { const: "Service" },
            name: { type: "string", minLength: 1 },
            weight: { type: "integer", minimum: 0, maximum: 256 },
          },
        },
        port: {
          type: "object",
          additionalProperties: false,
          required: ["targetPort"],
          properties: {
            targetPort: { anyOf: [{ type: "integer", minimum: 1, maximum: 65535 },
                                  { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", maxLength: 15 }] },
          },
        },
        tls: {
          type: "object",
          additionalProperties: false,
          required: ["termination"],
          properties: {
            termination: { enum: ["edge", "passthrough", "reencrypt"] },
            insecureEdgeTerminationPolicy: { enum: ["Allow", "Redirect", "None"] },
          },
        },
        wildcardPolicy: { enum: ["None", "Subdomain"] },
      },
    },
  },
});

// networking.k8s.io/v1 NetworkPolicy, strictly (kubernetes-models checks
// types and enums but lets an unknown field through, and a misspelt
// "ingress" would leave the pods isolated with no rule): the fields of
// k8s.io/api/networking/v1 types.go.
const kLabelSelector = {
  type: "object",
  additionalProperties: false,
  properties: {
    matchLabels: { type: "object", additionalProperties: { type: "string" } },
    matchExpressions: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["key", "operator"],
        properties: {
          key: { type: "string", minLength: 1 },
          operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] },
          values: { type: "array", items: { type: "string" } },
        },
      },
    },
  },
};
const kPeers = {
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    properties: {
      podSelector: kLabelSelector,
      namespaceSelector: kLabelSelector,
      ipBlock: {
        type: "object",
        additionalProperties: false,
        required: ["cidr"],
        properties: { cidr: { type: "string" }, except: { type: "array", items: { type: "string" } } },
      },
    },
  },
};
const kPorts = {
  type: "array",
  items: {
    type: "object",
    additionalProperties: false,
    properties: {
      protocol: { enum: ["TCP", "UDP", "SCTP"] },
      port: { anyOf: [{ type: "integer", minimum: 1, maximum: 65535 }, { type: "string", minLength: 1, maxLength: 15 }] },
      endPort: { type: "integer", minimum: 1, maximum: 65535 },
    },
  },
};
ajv.addSchema({
  $id: "networkpolicy",
  type: "object",
  additionalProperties: false,
  required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: { const: "networking.k8s.io/v1" },
    kind: { const: "NetworkPolicy" },
    metadata: { $ref: "openshift#/definitions/metadata" },
    spec: {
      type: "object",
      additionalProperties: false,
      required: ["podSelector"],
      properties: {
        podSelector: kLabelSelector,
        policyTypes: { type: "array", items: { enum: ["Ingress", "Egress"] } },
        ingress: {
          type: "array",
          items: { type: "object", additionalProperties: false, properties: { from: kPeers, ports: kPorts } },
        },
        egress: {
          type: "array",
          items: { type: "object", additionalProperties: false, properties: { to: kPeers, ports: kPorts } },
        },
      },
    },
  },
});

function Strict(kind) {
  const check = ajv.getSchema(`openshift#/${kind}`);
  return (object) => {
    if (!check(object)) throw new Error(ajv.errorsText(check.errors, { dataVar: kind }));
  };
}

const models = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "batch/v1/CronJob": CronJob,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "keda.sh/v1alpha1/TriggerAuthentication": TriggerAuthentication,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

// OpenShift kinds, and NetworkPolicy (kubernetes-models and a strict schema).
const openshiftKinds = {
  "apps.openshift.io/v1/DeploymentConfig": (o) => {
    Strict("DeploymentConfig")(o);
    new PodTemplateSpec(o.spec.template).validate();
    if (o.spec.strategy?.resources) new ResourceRequirements(o.spec.strategy.resources).validate();
  },
  "image.openshift.io/v1/ImageStream": Strict("ImageStream"),
  "build.openshift.io/v1/BuildConfig": (o) => {
    Strict("BuildConfig")(o);
    if (o.spec.resources) new ResourceRequirements(o.spec.resources).validate();
  },
  "template.openshift.io/v1/Template": Strict("Template"),
  "networking.k8s.io/v1/NetworkPolicy": (o) => {
    new NetworkPolicy(o).validate();
    const check = ajv.getSchema("networkpolicy");
    if (!check(o)) throw new Error(ajv.errorsText(check.errors, { dataVar: "NetworkPolicy" }));
  },
  "route.openshift.io/v1/Route": (o) => {
    const check = ajv.getSchema("openshift-route");
    if (!check(o)) throw new Error(ajv.errorsText(check.errors, { dataVar: "Route" }));
  },
};

export function ValidateObject(object) {
  const key = `${object.apiVersion}/${object.kind}`;
  const where = `${object.kind}/${object.metadata?.name}`;
  try {
    if (models[key]) new models[key](object).validate();
    else if (openshiftKinds[key]) openshiftKinds[key](object);
    else throw new Error(`no schema for ${key}`);
  } catch (error) {
    throw new Error(`${where}: ${error.message}`.slice(0, 2000));
  }
}
