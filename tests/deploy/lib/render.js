// Renders the OpenShift variants the way openshift/apply does: the same
// templates, params.env, and the worker kind / autoscaler selection.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { LoadYaml, ProcessTemplate, ReadEnvFile } from "./template.js";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const templatesDir = path.join(repo, "openshift/templates");

export const kWorkerKinds = {
  deployment: { WORKER_KIND: "Deployment", WORKER_API_VERSION: "apps/v1" },
  deploymentconfig: { WORKER_KIND: "DeploymentConfig", WORKER_API_VERSION: "apps.openshift.io/v1" },
};
export const kVariants = [
  ["deploymentconfig", "keda-rabbitmq"],
  ["deploymentconfig", "keda-prometheus"],
  ["deployment", "keda-rabbitmq"],
  ["deployment", "keda-prometheus"],
  ["deployment", "rabbit-pod-autoscaler"],
];

// What an operator passes on the first apply, besides params.env.
export const kTestParams = {
  NAMESPACE: "dcp-test",
  MYSQL_URL: "mysql://dcp:app-secret@mysql.example:3306/dcp",
  MYSQL_MIGRATE_URL: "mysql://dcp_owner:owner-secret@mysql.example:3306/dcp",
};

export function Params(extra = {}) {
  return { ...ReadEnvFile(path.join(repo, "openshift/params.env")), ...kTestParams, ...extra };
}

export function TemplateNames(workerKind, autoscaler) {
  const names = ["dcp-secrets", "dcp", "dcp-migrate", `worker-${workerKind}`];
  if (autoscaler !== "none") names.push(`autoscaler-${autoscaler}`);
  return names;
}

// {objects, params} of one variant; each object remembers its template.
export function RenderVariant(workerKind, autoscaler, extra = {}) {
  const params = { ...Params(extra), ...kWorkerKinds[workerKind] };
  const objects = [];
  for (const name of TemplateNames(workerKind, autoscaler)) {
    const template = LoadYaml(path.join(templatesDir, `${name}.yaml`));
    for (const object of ProcessTemplate(template, params).objects) {
      Object.defineProperty(object, "template", { value: name, enumerable: false });
      objects.push(object);
    }
  }
  return { objects, params };
}

export function AllTemplateFiles() {
  return fs.readdirSync(templatesDir).filter((f) => f.endsWith(".yaml")).sort();
}

export function Find(objects, kind, name) {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name ?? "*"}, found ${found.length}`);
  return found[0];
}

// [podSpec, owner] of every object that runs pods.
export function PodSpecs(objects) {
  const specs = [];
  for (const o of objects) {
    if (o.kind === "Deployment" || o.kind === "DeploymentConfig" || o.kind === "Job") {
      specs.push([o.spec.template.spec, o]);
    } else if (o.kind === "CronJob") {
      specs.push([o.spec.jobTemplate.spec.template.spec, o]);
    }
  }
  return specs;
}
