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

// A team's job (templates/job-NAME.yaml) replaces the leader, the monitor
// and the worker.
export function TemplateNames(workerKind, autoscaler, job = "", alerts = true) {
  const names = ["dcp-secrets", "dcp", "dcp-migrate"];
  names.push(...(job ? [`job-${job}`] : ["leader", "monitor", `worker-${workerKind}`]));
  if (autoscaler !== "none") names.push(`autoscaler-${autoscaler}`);
  if (alerts) names.push("prometheus-rule");
  return names;
}

// The values openshift/apply --job NAME adds: job-NAME.env.
export function JobParams(job) {
  const file = path.join(repo, `openshift/job-${job}.env`);
  return fs.existsSync(file) ? ReadEnvFile(file) : {};
}

// {objects, params} of one variant; each object remembers its template.
export function RenderVariant(workerKind, autoscaler, extra = {}, alerts = true) {
  return Render(TemplateNames(workerKind, autoscaler, "", alerts), { ...Params(extra), ...kWorkerKinds[workerKind] });
}

// The same for a team's job (a Deployment worker): apply --job JOB.
export function RenderJobVariant(job, autoscaler, extra = {}) {
  const params = { ...Params(), ...JobParams(job), ...extra, ...kWorkerKinds.deployment };
  return Render(TemplateNames("deployment", autoscaler, job), params);
}

// As oc apply: an object in two templates (the PodMonitor of
// autoscaler-keda-prometheus and prometheus-rule) is one: the last, in the first one's place.
function Render(names, params) {
  const objects = new Map();
  for (const name of names) {
    const template = LoadYaml(path.join(templatesDir, `${name}.yaml`));
    for (const object of ProcessTemplate(template, params).objects) {
      Object.defineProperty(object, "template", { value: name, enumerable: false });
      const key = `${object.kind}/${object.metadata.name}`;
      objects.set(key, object);
    }
  }
  return { objects: [...objects.values()], params };
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

// DCP_WORK_DIR's default of each program, from its config source: the
// folder the manifests must give a writable volume when it is not set.
export function CodeWorkDirDefaults() {
  const sources = { "dcp-leader": "leader/leader_config.cpp", "dcp-worker": "worker/worker_config.cpp",
    "dcp-monitor": "monitor/include/monitor/monitor_config.hpp" };
  return Object.fromEntries(Object.entries(sources).map(([program, file]) => {
    const found = fs.readFileSync(path.join(repo, file), "utf8").match(/std::string work_dir = "([^"]+)";/);
    if (!found) throw new Error(`${file}: no work_dir default`);
    return [program, found[1]];
  }));
}

// TMPDIR's default where dcp makes its temporary files (the leader's step files).
export function CodeTmpDirDefault() {
  const file = "shared/app/planning/job_workload.cpp";
  const found = fs.readFileSync(path.join(repo, file), "utf8").match(/getenv\("TMPDIR"\)[\s\S]*?: "(\/[^"]*)"\)/);
  if (!found) throw new Error(`${file}: no TMPDIR default`);
  return found[1];
}
