// The OpenShift templates: every rendered object validates against its
// schema, and the properties that matter hold in every variant.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import YAML from "yaml";
import { LoadYaml, ProcessTemplate } from "./lib/template.js";
import { ValidateObject } from "./lib/validate.js";
import { PlainRules } from "./render_rules.js";
import { Allowed, Matches } from "./lib/network_policy.js";
import {
  AllTemplateFiles, CodeTmpDirDefault, CodeWorkDirDefaults, Find, JobParams, kTestParams, kVariants, kWorkerKinds,
  Params, PodSpecs, RenderJobVariant, RenderVariant, repo, templatesDir,
} from "./lib/render.js";

const kSecretish = /password|passwd|secret|token|_url$|^url$/i;
const kCredentialUrl = /:\/\/[^/\s:@]+:[^@\s]+@/;

describe("templates", () => {
  for (const file of AllTemplateFiles()) {
    it(`${file} is a valid Template whose objects validate`, () => {
      const template = LoadYaml(path.join(templatesDir, file));
      ValidateObject(template);
      const { objects } = ProcessTemplate(template, { ...Params(), ...kWorkerKinds.deploymentconfig });
      assert.ok(objects.length > 0);
      for (const object of objects) ValidateObject(object);
      assert.doesNotMatch(JSON.stringify(objects), /\$\{/, "unsubstituted parameter");
    });
  }

  it("the validators reject what the cluster would reject", () => {
    const { objects } = RenderVariant("deploymentconfig", "keda-rabbitmq");
    const bad = (mutate, kind, name) => {
      const copy = structuredClone(Find(objects, kind, name));
      mutate(copy);
      assert.throws(() => ValidateObject(copy), undefined, `${kind} accepted a broken copy`);
    };
    bad((o) => (o.spec.strategy.type = "RollingUpdate"), "DeploymentConfig", "dcp-worker");
    bad((o) => (o.spec.template.spec.containers[0].ports[0].containerPort = "8080"), "DeploymentConfig", "dcp-worker");
    bad((o) => (o.spec.startingDeadlineSecond = 5), "DeploymentConfig", "dcp-rabbitmq");
    bad((o) => (o.spec.concurrencyPolicy = "Never"), "CronJob");
    bad((o) => delete o.spec.scaleTargetRef, "ScaledObject");
    bad((o) => (o.spec.lookupPolicy = { local: "yes" }), "ImageStream");
    bad((o) => (o.spec.to.kind = "Pod"), "Route");
    bad((o) => (o.spec.tls.termination = "none"), "Route");
    bad((o) => (o.spec.port = { targetPort: "not a port name" }), "Route");
    bad((o) => (o.spec.policyTypes = ["Ingres"]), "NetworkPolicy", "dcp-monitor");
    bad((o) => (o.spec.ingress[0].ports[0].port = { number: 8080 }), "NetworkPolicy", "dcp-monitor");
    bad((o) => (o.spec.ingress[0].form = o.spec.ingress[0].from), "NetworkPolicy", "dcp-monitor");
    bad((o) => (o.spec.ingres = o.spec.ingress), "NetworkPolicy", "dcp-rabbitmq");
    bad((o) => (o.spec.podSelector.matchExpressions[0].operator = "in"), "NetworkPolicy", "dcp-pods");
  });
});

// Every dcp pod reads its queue from dcp-config, which the autoscalers were
// rendered with too: none sets DCP_QUEUE of its own.
function CheckQueueFromConfig(objects, images) {
  const dcpPods = PodSpecs(objects).filter(([pod]) => images.includes(pod.containers[0].image));
  assert.ok(dcpPods.length >= 3, "worker, leader and migrate");
  for (const [pod, owner] of dcpPods) {
    for (const c of pod.containers) {
      assert.ok(c.envFrom?.some((e) => e.configMapRef?.name === "dcp-config"), `${owner.metadata.name} reads dcp-config`);
      assert.ok(!(c.env ?? []).some((e) => e.name === "DCP_QUEUE"), `${owner.metadata.name} overrides DCP_QUEUE`);
    }
  }
}

// The autoscaler of `objects` scales `worker` on `queue`, counting ready and
// unacknowledged messages.
function CheckScalesOnQueue(objects, autoscaler, worker, queue, params) {
  const secret = Find(objects, "Secret", "dcp-credentials");
  if (autoscaler.startsWith("keda")) {
    const scaled = Find(objects, "ScaledObject", "dcp-worker");
    assert.deepEqual(scaled.spec.scaleTargetRef, {
      apiVersion: worker.apiVersion, kind: worker.kind, name: worker.metadata.name });
    assert.equal(scaled.spec.minReplicaCount, 0, "scale to zero");
    const [trigger] = scaled.spec.triggers;
    if (autoscaler === "keda-rabbitmq") {
      assert.equal(trigger.type, "rabbitmq");
      assert.equal(trigger.metadata.queueName, queue);
      assert.equal(trigger.metadata.protocol, "http", "only the management API sees unacked messages");
      assert.equal(trigger.metadata.mode, "QueueLength");
      assert.equal(trigger.metadata.excludeUnacknowledged, "false");
      assert.equal(trigger.metadata.vhostName, "/");
    } else {
      assert.equal(trigger.type, "prometheus");
      assert.match(trigger.metadata.query, new RegExp(`queue="${queue.replace(/\./g, "\\.")}"`));
      assert.match(trigger.metadata.query, /rabbitmq_queue_messages\{/, "ready + unacked");
      const conf = Find(objects, "ConfigMap", "dcp-rabbitmq-config").data["20-dcp.conf"];
      assert.match(conf, /^prometheus\.return_per_object_metrics = true$/m);
    }
  } else {
    assert.equal(worker.kind, "Deployment", "k8s-rabbit-pod-autoscaler scales Deployments only");
    const rpa = Find(objects, "Deployment", "dcp-rabbit-pod-autoscaler").spec.template.spec.containers[0];
    const spec = rpa.env.find((e) => e.name === "AUTOSCALING").value.split("|");
    assert.equal(spec.length, 6);
    const [min, max, perPod, namespace, deployment, queueName] = spec;
    assert.equal(queueName, queue);
    assert.equal(deployment, worker.metadata.name);
    assert.equal(namespace, params.NAMESPACE);
    assert.ok(Number(min) >= 1 || Number(perPod) === 1, "its division rounds down: min >= 1");
    assert.ok(Number(max) >= Number(min));
    assert.match(secret.stringData["amqp-url"], /\/%2F$/, "it only knows vhost /");
  }
}


// The third-party pod that keeps a writable root: k8s-rabbit-pod-autoscaler
// (a script around kubectl; its image's writes are not known here).
const kWritableRoot = new Set(["dcp-rabbit-pod-autoscaler"]);
// Where each program writes, given its container's environment and
// dcp-config: DCP_WORK_DIR (else the code's default), TMPDIR (else the
// code's), DCP_EXPORT_DIR when set; RabbitMQ its data directory and /tmp.
function WritablePaths(container, config) {
  const value = (name) => container.env?.find((e) => e.name === name)?.value ?? config[name];
  const program = container.command?.[0];
  if (container.name === "rabbitmq") return ["/var/lib/rabbitmq", "/tmp"];
  const workDir = CodeWorkDirDefaults()[program];
  assert.ok(workDir, `${container.name}: unknown program ${program}`);
  const paths = [value("DCP_WORK_DIR") || workDir, value("TMPDIR") || CodeTmpDirDefault()];
  if (value("DCP_EXPORT_DIR")) paths.push(value("DCP_EXPORT_DIR"));
  return paths;
}

// Every container but kWritableRoot's on a read-only root, with a writable
// volume (emptyDir or a claim) under every path its program writes; no pod
// mounts an API token unless it runs as a ServiceAccount a RoleBinding binds.
function CheckReadOnlyAndTokenless(objects) {
  const config = Find(objects, "ConfigMap", "dcp-config").data;
  const bound = new Set(objects.filter((o) => o.kind === "RoleBinding")
    .flatMap((b) => b.subjects.filter((s) => s.kind === "ServiceAccount").map((s) => s.name)));
  for (const [pod, owner] of PodSpecs(objects)) {
    const name = owner.metadata.name;
    if (pod.serviceAccountName) {
      assert.ok(bound.has(pod.serviceAccountName), `${name}: ServiceAccount ${pod.serviceAccountName} has no Role`);
      assert.equal(pod.automountServiceAccountToken, true, `${name}: say that it needs its token`);
    } else {
      assert.equal(pod.automountServiceAccountToken, false, `${name}: the default ServiceAccount's token is mounted`);
    }
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      if (kWritableRoot.has(name)) {
        assert.notEqual(c.securityContext?.readOnlyRootFilesystem, true, `${name}: remove it from kWritableRoot`);
        continue;
      }
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name}: writable root filesystem`);
      for (const dir of WritablePaths(c, config)) {
        const mount = (c.volumeMounts ?? []).filter((m) => dir === m.mountPath || dir.startsWith(`${m.mountPath}/`))
          .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
        assert.ok(mount && !mount.readOnly && !mount.subPath, `${name}/${c.name}: nothing writable mounted at ${dir}`);
        const volume = pod.volumes.find((v) => v.name === mount.name);
        assert.ok(volume?.emptyDir || volume?.persistentVolumeClaim, `${name}/${c.name}: ${dir} on ${JSON.stringify(volume)}`);
      }
    }
  }
}

// The namespaces, labelled as OpenShift labels them (kubernetes.io/metadata.name
// on every namespace; the router's policy-group labels).
const kNamespaces = {
  router: { "kubernetes.io/metadata.name": "openshift-ingress", "network.openshift.io/policy-group": "ingress",
    "policy-group.network.openshift.io/ingress": "" },
  monitoring: { "kubernetes.io/metadata.name": "openshift-user-workload-monitoring" },
  keda: { "kubernetes.io/metadata.name": "openshift-keda" },
  other: { "kubernetes.io/metadata.name": "someone-else" },
};
const kPolicyComponents = ["leader", "worker", "monitor", "migrate", "rabbitmq", "autoscaler"];

// Who reaches which dcp pod on which port, under the rendered NetworkPolicies.
function CheckNetworkPolicies(objects, params, extraTargets = []) {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const namespace = params.NAMESPACE;
  const pods = Object.fromEntries(PodSpecs(objects).map(([pod, owner]) => {
    const template = owner.kind === "CronJob" ? owner.spec.jobTemplate.spec.template : owner.spec.template;
    return [template.metadata.labels["app.kubernetes.io/component"],
      { labels: template.metadata.labels, ports: pod.containers.flatMap((c) => c.ports ?? []) }];
  }));
  for (const target of extraTargets) pods[target.component] = target;
  const inNamespace = (labels) => ({ namespace, namespaceLabels: { "kubernetes.io/metadata.name": namespace }, labels });
  const fromPod = (component) => inNamespace(pods[component]?.labels ??
    { "app.kubernetes.io/part-of": "dcp", "app.kubernetes.io/component": component });
  const fromNamespace = (key) => ({ namespace: kNamespaces[key]["kubernetes.io/metadata.name"],
    namespaceLabels: kNamespaces[key], labels: { app: "anything" } });
  const sources = {
    ...Object.fromEntries(kPolicyComponents.map((c) => [c, fromPod(c)])),
    "a pod of the namespace": inNamespace({ app: "unrelated" }),
    ...Object.fromEntries(Object.keys(kNamespaces).map((k) => [`namespace ${k}`, fromNamespace(k)])),
  };
  // Every dcp pod is isolated: some policy selects it.
  for (const [component, pod] of Object.entries(pods)) {
    assert.ok(policies.some((p) => Matches(p.spec.podSelector, pod.labels)), `no policy selects ${component}`);
  }
  const secret = Find(objects, "Secret", "dcp-credentials").stringData;
  const urlPort = (url) => Number(new URL(url).port);
  // target component -> port -> the sources allowed, exactly.
  const expected = {
    rabbitmq: {
      [urlPort(secret["amqp-url"])]: ["leader", "worker", "monitor"],
      [urlPort(secret["rabbitmq-management-url"])]: ["namespace keda", "autoscaler"],
      15692: ["namespace monitoring"],
    },
    monitor: { 8080: ["namespace router", "namespace monitoring"] },
    worker: { 8080: ["namespace monitoring"] },
    leader: { 8080: ["namespace monitoring"] },
  };
  for (const target of extraTargets) expected[target.component] = target.expected;
  for (const [component, byPort] of Object.entries(expected)) {
    const to = pods[component];
    assert.ok(to, `no ${component} pod`);
    for (const [port, allowed] of Object.entries(byPort)) {
      assert.ok(to.ports.some((p) => p.containerPort === Number(port)), `${component} does not listen on ${port}`);
      for (const [source, from] of Object.entries(sources)) {
        assert.equal(Allowed(policies, namespace, from, to, Number(port)), allowed.includes(source),
          `${source} -> ${component}:${port}`);
      }
    }
    // Nobody on a port not listed.
    for (const [source, from] of Object.entries(sources)) {
      assert.ok(!Allowed(policies, namespace, from, to, 22), `${source} -> ${component}:22`);
    }
  }
}

for (const [workerKind, autoscaler] of kVariants) {
  describe(`variant ${workerKind} + ${autoscaler}`, () => {
    const { objects, params } = RenderVariant(workerKind, autoscaler);
    const config = Find(objects, "ConfigMap", "dcp-config").data;
    const secret = Find(objects, "Secret", "dcp-credentials");
    const worker = Find(objects, kWorkerKinds[workerKind].WORKER_KIND, "dcp-worker");
    const workerPod = worker.spec.template.spec;
    const workerContainer = workerPod.containers[0];

    it("validates every object against its schema", () => {
      for (const object of objects) ValidateObject(object);
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.equal(new Set(names).size, names.length, "duplicate objects");
    });

    it("scales the worker on the queue the workers consume", () => {
      const queue = config.DCP_QUEUE;
      assert.equal(queue, params.DCP_QUEUE);
      CheckQueueFromConfig(objects, [params.IMAGE]);
      CheckScalesOnQueue(objects, autoscaler, worker, queue, params);
    });

    it("references secrets and never inlines them", () => {
      const keys = new Set(Object.keys(secret.stringData));
      for (const [key, value] of Object.entries(config)) {
        assert.doesNotMatch(key, /password|secret|token/i, `ConfigMap key ${key}`);
        assert.doesNotMatch(value, kCredentialUrl, `ConfigMap ${key} holds credentials`);
      }
      for (const [pod, owner] of PodSpecs(objects)) {
        for (const c of pod.containers) {
          for (const e of c.env ?? []) {
            if (e.value !== undefined) {
              assert.doesNotMatch(e.value, kCredentialUrl, `${owner.metadata.name} ${e.name}`);
              assert.ok(!kSecretish.test(e.name) || /^https?:\/\/[^@]*$/.test(e.value),
                `${owner.metadata.name}: ${e.name} must come from a Secret`);
            }
            const ref = e.valueFrom?.secretKeyRef;
            if (ref && ref.name === "dcp-credentials") assert.ok(keys.has(ref.key), `no key ${ref.key}`);
          }
        }
      }
      for (const c of [workerContainer, Find(objects, "CronJob").spec.jobTemplate.spec.template.spec.containers[0]]) {
        for (const name of ["DCP_AMQP_URL", "DCP_MYSQL_URL"]) {
          assert.equal(c.env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.name, "dcp-credentials");
        }
      }
      const migrate = Find(objects, "Job", "dcp-migrate").spec.template.spec.containers[0];
      assert.equal(migrate.env.find((e) => e.name === "DCP_MYSQL_URL").valueFrom.secretKeyRef.key, "mysql-migrate-url");
      for (const auth of objects.filter((o) => o.kind === "TriggerAuthentication")) {
        assert.ok(auth.spec.secretTargetRef.length > 0);
      }
      for (const scaled of objects.filter((o) => o.kind === "ScaledObject")) {
        assert.doesNotMatch(JSON.stringify(scaled), kCredentialUrl);
      }
    });

    it("gives the SIGTERM drain more than the task timeout", () => {
      const timeout = Number(config.DCP_TASK_TIMEOUT);
      assert.ok(timeout > 0);
      assert.ok(workerPod.terminationGracePeriodSeconds >= timeout + 30,
        `grace ${workerPod.terminationGracePeriodSeconds}s < task timeout ${timeout}s + 30s`);
    });

    it("sets the broker's consumer timeout above the task timeout", () => {
      const conf = Find(objects, "ConfigMap", "dcp-rabbitmq-config").data["20-dcp.conf"];
      const consumerTimeoutMs = Number(conf.match(/^consumer_timeout = (\d+)$/m)?.[1]);
      const rounds = Math.ceil(Number(config.DCP_PREFETCH) / Number(config.DCP_CONCURRENCY));
      assert.ok(consumerTimeoutMs > Number(config.DCP_TASK_TIMEOUT) * 1000 * rounds,
        `consumer_timeout ${consumerTimeoutMs} ms vs ${rounds} x task timeout ${config.DCP_TASK_TIMEOUT} s`);
    });

    it("runs the leader as a CronJob that cannot overlap or retry", () => {
      const cron = Find(objects, "CronJob", "dcp-leader").spec;
      assert.equal(cron.schedule, params.LEADER_SCHEDULE);
      assert.equal(cron.timeZone, config.DCP_TZ, "cron and windows in one zone");
      assert.equal(cron.concurrencyPolicy, "Forbid");
      assert.ok(cron.startingDeadlineSeconds > 0);
      assert.ok(cron.successfulJobsHistoryLimit >= 1 && cron.failedJobsHistoryLimit >= 1);
      const job = cron.jobTemplate.spec;
      assert.equal(job.backoffLimit, 0, "a retried leader would plan another run");
      assert.ok(job.activeDeadlineSeconds > 0);
      assert.ok(job.ttlSecondsAfterFinished > 0);
      assert.equal(job.template.spec.restartPolicy, "Never");
      assert.deepEqual(job.template.spec.containers[0].command, ["dcp-leader", "run"]);
    });

    it("runs one RabbitMQ with a fixed node name on a persistent volume", () => {
      const dc = Find(objects, "DeploymentConfig", "dcp-rabbitmq");
      assert.equal(dc.spec.replicas, 1);
      assert.equal(dc.spec.strategy.type, "Recreate");
      const pod = dc.spec.template.spec;
      const c = pod.containers[0];
      assert.equal(pod.hostname, "dcp-rabbitmq");
      assert.equal(c.env.find((e) => e.name === "RABBITMQ_NODENAME").value, `rabbit@${pod.hostname}`);
      assert.match(c.image, /:\d+\.\d+\.\d+(-management)?$/, "pinned version");
      const data = c.volumeMounts.find((m) => m.mountPath === "/var/lib/rabbitmq");
      const volume = pod.volumes.find((v) => v.name === data.name);
      Find(objects, "PersistentVolumeClaim", volume.persistentVolumeClaim.claimName);
      const plugins = Find(objects, "ConfigMap", "dcp-rabbitmq-config").data.enabled_plugins;
      assert.match(plugins, /rabbitmq_prometheus/);
      assert.match(plugins, /rabbitmq_management/);
      const service = Find(objects, "Service", "dcp-rabbitmq");
      assert.deepEqual(service.spec.selector, dc.spec.selector);
      assert.deepEqual(service.spec.ports.map((p) => p.port).sort((a, b) => a - b), [5672, 15672, 15692]);
      assert.equal(pod.hostname, secret.stringData["amqp-url"].match(/@([^:]+):/)[1]);
    });

    it("probes and scrapes the worker's HTTP endpoints on 8080", () => {
      assert.equal(config.DCP_HTTP_PORT, "8080");
      const port = workerContainer.ports.find((p) => p.name === "http");
      assert.equal(port.containerPort, 8080);
      assert.equal(workerContainer.livenessProbe.httpGet.path, "/healthz");
      assert.equal(workerContainer.readinessProbe.httpGet.path, "/readyz");
      for (const probe of [workerContainer.livenessProbe, workerContainer.readinessProbe]) {
        assert.ok(probe.httpGet.port === "http" || probe.httpGet.port === 8080);
      }
      const annotations = worker.spec.template.metadata.annotations;
      assert.equal(annotations["prometheus.io/scrape"], "true");
      assert.equal(annotations["prometheus.io/port"], "8080");
      assert.equal(annotations["prometheus.io/path"], "/metrics");
    });

    it("serves dcp-monitor through its Service and an HTTPS Route, the token from the Secret", () => {
      const monitor = Find(objects, "Deployment", "dcp-monitor");
      const pod = monitor.spec.template;
      const c = pod.spec.containers[0];
      assert.deepEqual(c.command, ["dcp-monitor"]);
      assert.equal(c.image, params.IMAGE);
      const port = c.ports.find((p) => p.name === "http");
      const listen = c.env.find((e) => e.name === "DCP_MONITOR_PORT")?.value ?? config.DCP_MONITOR_PORT ?? "8080";
      assert.equal(Number(listen), port.containerPort, "dcp-monitor listens on the declared port");
      assert.equal(c.livenessProbe.httpGet.path, "/healthz");
      assert.equal(c.readinessProbe.httpGet.path, "/readyz");
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        assert.ok(probe.httpGet.port === "http" || probe.httpGet.port === port.containerPort);
      }
      // Secrets by reference: the application user (not the schema owner),
      // and the API token, never a literal value.
      const env = (name) => c.env.find((e) => e.name === name);
      assert.equal(env("DCP_MYSQL_URL").valueFrom.secretKeyRef.key, "mysql-url");
      assert.equal(env("DCP_AMQP_URL").valueFrom.secretKeyRef.key, "amqp-url");
      const token = env("DCP_MONITOR_TOKEN");
      assert.ok(token, "DCP_MONITOR_TOKEN is set");
      assert.equal(token.value, undefined, "the token is inlined");
      assert.equal(token.valueFrom.secretKeyRef.name, secret.metadata.name);
      assert.ok(token.valueFrom.secretKeyRef.key in secret.stringData, "the Secret has the token's key");
      assert.ok(secret.stringData[token.valueFrom.secretKeyRef.key].length > 0, "an empty token");
      assert.ok(!Object.keys(config).some((k) => /TOKEN/i.test(k)), "token in the ConfigMap");
      const read = env("DCP_MONITOR_READ_TOKEN")?.valueFrom?.secretKeyRef;
      assert.ok(read, "DCP_MONITOR_READ_TOKEN from a Secret");
      assert.equal(read.name, secret.metadata.name);
      assert.notEqual(read.key, token.valueFrom.secretKeyRef.key, "one token for reads and writes");
      assert.ok(read.key in secret.stringData, "the Secret has the read token's key");
      assert.equal(read.optional, true, "a Secret made before the key existed still starts the monitor");

      // Service -> the monitor's pods only -> its http port.
      const service = Find(objects, "Service", "dcp-monitor");
      const selector = service.spec.selector;
      assert.deepEqual(selector, monitor.spec.selector.matchLabels);
      for (const [k, v] of Object.entries(selector)) assert.equal(pod.metadata.labels[k], v);
      const workerLabels = worker.spec.template.metadata.labels;
      assert.ok(Object.entries(selector).some(([k, v]) => workerLabels[k] !== v), "the Service selects workers");
      const servicePort = service.spec.ports.find((p) => p.name === "http");
      assert.ok(servicePort.targetPort === port.name || servicePort.targetPort === port.containerPort);

      // Route -> that Service and port, HTTPS, long enough for the live updates.
      const route = Find(objects, "Route", "dcp-monitor");
      assert.equal(route.spec.to.kind, "Service");
      assert.equal(route.spec.to.name, service.metadata.name);
      assert.ok(route.spec.port.targetPort === servicePort.name || route.spec.port.targetPort === servicePort.port);
      assert.equal(route.spec.tls.termination, "edge");
      assert.equal(route.spec.tls.insecureEdgeTerminationPolicy, "Redirect");
      assert.match(route.metadata.annotations["haproxy.router.openshift.io/timeout"], /^\d+[smhd]$/);
      assert.equal(env("DCP_MONITOR_ALLOWED_HOSTS")?.value, route.spec.host, "the monitor serves the Route's host");
    });

    it("gives every container requests, limits and no privileges", () => {
      for (const [pod, owner] of PodSpecs(objects)) {
        assert.equal(pod.securityContext?.runAsNonRoot, true, owner.metadata.name);
        for (const c of pod.containers) {
          for (const r of ["cpu", "memory"]) {
            assert.ok(c.resources?.requests?.[r] && c.resources?.limits?.[r], `${c.name} ${r}`);
          }
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, c.name);
        }
      }
    });

    it("runs every dcp container on a read-only root, writing only to its volumes, without an API token", () => {
      CheckReadOnlyAndTokenless(objects);
    });

    it("lets only the pods that must talk reach RabbitMQ, the monitor and the metrics", () => {
      CheckNetworkPolicies(objects, params);
    });

    it("uses one dcp image everywhere, resolvable through the ImageStream", () => {
      const images = new Set(PodSpecs(objects).filter(([, o]) => !/rabbit/.test(o.metadata.name))
        .flatMap(([pod]) => pod.containers.map((c) => c.image)));
      assert.deepEqual([...images], [params.IMAGE]);
      assert.equal(Find(objects, "ImageStream", "dcp").spec.lookupPolicy.local, true);
      assert.equal(Find(objects, "BuildConfig", "dcp").spec.output.to.name, "dcp:latest");
    });
  });
}

describe("pod security and network access", () => {
  const { objects, params } = RenderVariant("deployment", "keda-rabbitmq");
  const monitorOf = (list) => Find(list, "Deployment", "dcp-monitor").spec.template.spec.containers[0];
  const envOf = (c, name) => c.env.find((e) => e.name === name);

  it("each check catches what it is about", () => {
    const broken = (mutate) => {
      const copy = structuredClone(objects);
      mutate(copy);
      return copy;
    };
    const worker = (list) => Find(list, "Deployment", "dcp-worker").spec.template.spec;
    const rabbit = (list) => Find(list, "DeploymentConfig", "dcp-rabbitmq").spec.template.spec;
    const policy = (list, name) => Find(list, "NetworkPolicy", name).spec;
    for (const mutate of [
      (o) => delete worker(o).containers[0].securityContext.readOnlyRootFilesystem,
      (o) => delete worker(o).automountServiceAccountToken,
      (o) => (rabbit(o).automountServiceAccountToken = true),
      (o) => (worker(o).containers[0].volumeMounts = []),
      (o) => (worker(o).containers[0].volumeMounts[0].readOnly = true),
      (o) => (worker(o).volumes[0] = { name: "tmp", configMap: { name: "dcp-config" } }),
      (o) => (rabbit(o).containers[0].volumeMounts = rabbit(o).containers[0].volumeMounts.filter((m) => m.name !== "tmp")),
      (o) => worker(o).containers[0].env.push({ name: "DCP_WORK_DIR", value: "/var/dcp" }),
      (o) => Find(o, "ConfigMap", "dcp-config").data.DCP_WORK_DIR = "/srv/work",
    ]) {
      assert.throws(() => CheckReadOnlyAndTokenless(broken(mutate)), assert.AssertionError, mutate.toString());
    }
    for (const mutate of [
      (o) => (policy(o, "dcp-rabbitmq").ingress[0].from[0].podSelector.matchExpressions[0].values.push("migrate")),
      (o) => (policy(o, "dcp-rabbitmq").ingress[0].ports[0].port = 5671),
      (o) => delete policy(o, "dcp-rabbitmq").ingress[1].from,
      (o) => delete policy(o, "dcp-rabbitmq").ingress[2].ports,
      (o) => (policy(o, "dcp-monitor").ingress[0].from.push({ podSelector: {} })),
      (o) => delete policy(o, "dcp-monitor").ingress[0].from[0].namespaceSelector,
      (o) => (policy(o, "dcp-monitor").podSelector.matchLabels["app.kubernetes.io/component"] = "monitr"),
      (o) => (policy(o, "dcp-pods").podSelector.matchExpressions[0].values = ["worker", "leader"]),
      (o) => (policy(o, "dcp-pods").ingress = [{}]),
      (o) => o.splice(o.findIndex((x) => x.kind === "NetworkPolicy" && x.metadata.name === "dcp-monitor"), 1),
    ]) {
      assert.throws(() => CheckNetworkPolicies(broken(mutate), params), assert.AssertionError, mutate.toString());
    }
  });

  it("serves only MONITOR_HOST, the Route's host, and takes the read token from the Secret", () => {
    const host = "dcp.apps.example.com";
    const rendered = RenderVariant("deployment", "none", { MONITOR_HOST: host, MONITOR_READ_TOKEN: "reader" }).objects;
    assert.equal(Find(rendered, "Route", "dcp-monitor").spec.host, host);
    assert.equal(envOf(monitorOf(rendered), "DCP_MONITOR_ALLOWED_HOSTS").value, host);
    const key = envOf(monitorOf(rendered), "DCP_MONITOR_READ_TOKEN").valueFrom.secretKeyRef.key;
    assert.equal(Find(rendered, "Secret", "dcp-credentials").stringData[key], "reader");
    const job = RenderJobVariant("forecast", "none", { MONITOR_HOST: host }).objects;
    assert.equal(envOf(monitorOf(job), "DCP_MONITOR_ALLOWED_HOSTS").value, host);
    // By default: any host (the router makes one up) and open reads.
    assert.equal(envOf(monitorOf(objects), "DCP_MONITOR_ALLOWED_HOSTS").value, "");
    assert.equal(Find(objects, "Secret", "dcp-credentials").stringData["monitor-read-token"], "");
  });

  it("lets the namespaces' labels be changed: upstream KEDA in keda, a host-network router", () => {
    const { objects: rendered } = RenderVariant("deployment", "keda-rabbitmq", {
      KEDA_NAMESPACE_LABEL_VALUE: "keda",
      ROUTER_NAMESPACE_LABEL: "policy-group.network.openshift.io/host-network", ROUTER_NAMESPACE_LABEL_VALUE: "" });
    const policies = rendered.filter((o) => o.kind === "NetworkPolicy");
    const pod = (kind, name, port) => {
      const t = Find(rendered, kind, name).spec.template;
      return { labels: t.metadata.labels, ports: t.spec.containers[0].ports, port };
    };
    const from = (labels) => ({ namespace: "x", namespaceLabels: labels, labels: {} });
    const rabbit = pod("DeploymentConfig", "dcp-rabbitmq");
    const monitor = pod("Deployment", "dcp-monitor");
    const ns = params.NAMESPACE;
    assert.ok(Allowed(policies, ns, from({ "kubernetes.io/metadata.name": "keda" }), rabbit, 15672));
    assert.ok(!Allowed(policies, ns, from(kNamespaces.keda), rabbit, 15672));
    assert.ok(Allowed(policies, ns, from({ "policy-group.network.openshift.io/host-network": "" }), monitor, 8080));
    assert.ok(!Allowed(policies, ns, from(kNamespaces.router), monitor, 8080));
  });

  it("with --mysql-policy, only the leader, the workers, the monitor and migrate reach the project's MySQL", () => {
    const rendered = ProcessTemplate(LoadYaml(path.join(templatesDir, "network-policy-mysql.yaml")), Params()).objects;
    for (const o of rendered) ValidateObject(o);
    const all = [...objects, ...rendered];
    const port = Number(new URL(kTestParams.MYSQL_URL).port);
    assert.equal(Number(new URL(kTestParams.MYSQL_MIGRATE_URL).port), port);
    CheckNetworkPolicies(all, params, [{
      component: "mysql", labels: { [params.MYSQL_POD_LABEL]: params.MYSQL_POD_LABEL_VALUE, app: "mysql" },
      ports: [{ name: "mysql", containerPort: port }], expected: { [port]: ["leader", "worker", "monitor", "migrate"] },
    }]);
    // It selects the MySQL pods only, none of dcp's.
    const [policy] = rendered;
    for (const [, owner] of PodSpecs(objects)) {
      const t = owner.kind === "CronJob" ? owner.spec.jobTemplate.spec.template : owner.spec.template;
      assert.ok(!Matches(policy.spec.podSelector, t.metadata.labels), owner.metadata.name);
    }
  });
});

describe("worker kinds", () => {
  it("DeploymentConfig and Deployment run the same pod", () => {
    const dc = Find(RenderVariant("deploymentconfig", "none").objects, "DeploymentConfig", "dcp-worker");
    const d = Find(RenderVariant("deployment", "none").objects, "Deployment", "dcp-worker");
    assert.deepEqual(dc.spec.template, d.spec.template);
    assert.deepEqual(d.spec.selector.matchLabels, dc.spec.selector);
    assert.equal(d.spec.strategy.type, "RollingUpdate");
    assert.equal(dc.spec.strategy.type, "Rolling");
  });

  it("a task timeout above the grace period is caught", () => {
    const { objects } = RenderVariant("deployment", "none", { DCP_TASK_TIMEOUT: "7200" });
    const pod = Find(objects, "Deployment", "dcp-worker").spec.template.spec;
    const timeout = Number(Find(objects, "ConfigMap", "dcp-config").data.DCP_TASK_TIMEOUT);
    assert.ok(pod.terminationGracePeriodSeconds < timeout, "the check above would fail");
  });
});

// A team's job: examples/forecast on OpenShift (templates/job-forecast.yaml,
// openshift/apply --job forecast).
const kJobText = fs.readFileSync(path.join(repo, "examples/forecast/job.yaml"), "utf8");
const kJob = YAML.parse(kJobText);
// The image's layout: the Dockerfile's COPY instructions (continued lines
// joined) and its DCP_JOB.
const kJobDockerfile = fs.readFileSync(path.join(repo, "examples/forecast/Dockerfile"), "utf8").replace(/\\\n/g, " ");
const kImageJobFile = kJobDockerfile.match(/^ENV DCP_JOB=(\S+)/m)[1];

for (const autoscaler of ["keda-rabbitmq", "keda-prometheus", "rabbit-pod-autoscaler"]) {
  describe(`job forecast + ${autoscaler}`, () => {
    const { objects, params } = RenderJobVariant("forecast", autoscaler);
    const config = Find(objects, "ConfigMap", "dcp-config").data;
    const worker = Find(objects, "Deployment", "dcp-worker");
    const cron = Find(objects, "CronJob", "dcp-leader");
    const monitor = Find(objects, "Deployment", "dcp-monitor");
    const leaderPod = cron.spec.jobTemplate.spec.template.spec;
    const workerPod = worker.spec.template.spec;
    const monitorPod = monitor.spec.template.spec;
    const env = (container, name) => container.env?.find((e) => e.name === name);
    const jobImage = leaderPod.containers[0].image;

    it("validates every object against its schema, each object once", () => {
      for (const object of objects) ValidateObject(object);
      const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      assert.equal(new Set(names).size, names.length, "duplicate objects");
    });

    it("runs its pods on a read-only root, writing only to their volumes, without an API token", () => {
      CheckReadOnlyAndTokenless(objects);
      CheckNetworkPolicies(objects, params);
    });

    it("holds examples/forecast/job.yaml, byte for byte, in its ConfigMap", () => {
      assert.equal(Find(objects, "ConfigMap", "dcp-job-forecast").data["job.yaml"], kJobText);
    });

    // The leader plans, the workers compute and export, the monitor plans the
    // runs it triggers and may export.
    it("mounts the job file on the leader, the workers and the monitor where the job's code is, as DCP_JOB", () => {
      for (const pod of [leaderPod, workerPod, monitorPod]) {
        const c = pod.containers[0];
        assert.equal(env(c, "DCP_JOB")?.value, kImageJobFile);
        const mount = c.volumeMounts.find((m) => m.mountPath === kImageJobFile);
        assert.ok(mount, `${c.name}: no mount at ${kImageJobFile}`);
        assert.equal(mount.readOnly, true);
        assert.equal(mount.subPath, "job.yaml");
        const volume = pod.volumes.find((v) => v.name === mount.name);
        assert.equal(volume.configMap.name, "dcp-job-forecast");
      }
      // Its commands run in the job file's folder: the image has job.py there.
      const folder = path.posix.dirname(kImageJobFile);
      const copy = kJobDockerfile.split("\n").find((l) => /^COPY /.test(l) && l.trim().endsWith(` ${folder}/`));
      assert.ok(copy, `the Dockerfile copies nothing into ${folder}/`);
      for (const step of [kJob.topology, kJob.workload, kJob.compute, kJob.export]) {
        assert.equal(step.command[0], "python3");
        assert.ok(copy.includes(`examples/forecast/${step.command[1]}`), `${step.command[1]} is not in ${folder}`);
      }
    });

    it("plans, consumes and scales on the job's queue", () => {
      const queue = kJob.queue ?? `dcp.${kJob.name}`;
      assert.equal(config.DCP_QUEUE, queue);
      CheckQueueFromConfig(objects, [params.IMAGE, jobImage]);
      CheckScalesOnQueue(objects, autoscaler, worker, queue, params);
    });

    it("leaves the window and the task timeout to the job file, and cuts in the job's zone", () => {
      assert.equal(config.DCP_WINDOW, "", "DCP_WINDOW would win over the job's window");
      assert.equal(config.DCP_TASK_TIMEOUT, "", "DCP_TASK_TIMEOUT would win over compute.timeout");
      assert.equal(config.DCP_TZ, kJob.tz);
      assert.equal(cron.spec.timeZone, kJob.tz);
      assert.deepEqual(leaderPod.containers[0].command, ["dcp-leader", "run"]);
      const timeout = kJob.compute.timeout;
      assert.ok(workerPod.terminationGracePeriodSeconds >= timeout + 30, "grace period vs compute.timeout");
      const conf = Find(objects, "ConfigMap", "dcp-rabbitmq-config").data["20-dcp.conf"];
      const rounds = Math.ceil(Number(config.DCP_PREFETCH) / Number(config.DCP_CONCURRENCY));
      assert.ok(Number(conf.match(/^consumer_timeout = (\d+)$/m)[1]) > timeout * 1000 * rounds);
    });

    it("gives the workers and the monitor DCP_EXPORT_DIR on a claim they all mount", () => {
      const claims = new Set();
      for (const pod of [workerPod, monitorPod]) {
        const c = pod.containers[0];
        const dir = env(c, "DCP_EXPORT_DIR")?.value;
        assert.ok(dir, `${c.name}: no DCP_EXPORT_DIR`);
        const mount = c.volumeMounts.find((m) => m.mountPath === dir);
        assert.ok(mount && !mount.readOnly, `${c.name}: nothing writable mounted at ${dir}`);
        claims.add(pod.volumes.find((v) => v.name === mount.name).persistentVolumeClaim.claimName);
      }
      assert.equal(claims.size, 1);
      assert.ok(Find(objects, "PersistentVolumeClaim", [...claims][0]).spec.accessModes.includes("ReadWriteMany"),
        "pods on several nodes share it");
    });

    it("builds the job's image FROM dcp's, for all but the migrations", () => {
      // The migrations need no python3: on dcp's image, they do not wait for
      // the job's build (apply waits for the migrations first).
      for (const [pod, owner] of PodSpecs(objects).filter(([, o]) => !/rabbit/.test(o.metadata.name))) {
        const isJob = [cron, worker, monitor].includes(owner);
        assert.equal(pod.containers[0].image, isJob ? jobImage : params.IMAGE, owner.metadata.name);
      }
      assert.notEqual(jobImage, params.IMAGE);
      const [stream] = jobImage.split(":");
      assert.equal(Find(objects, "ImageStream", stream).spec.lookupPolicy.local, true);
      const build = Find(objects, "BuildConfig", stream).spec;
      assert.equal(build.output.to.name, jobImage);
      assert.ok(fs.existsSync(path.join(repo, build.strategy.dockerStrategy.dockerfilePath)));
      assert.deepEqual(build.strategy.dockerStrategy.from,
        { kind: "ImageStreamTag", name: Find(objects, "BuildConfig", "dcp").spec.output.to.name });
      assert.ok(build.triggers.some((t) => t.type === "ImageChange"), "rebuilt when dcp's image moves");
      for (const o of [worker, monitor]) {
        const [trigger] = JSON.parse(o.metadata.annotations["image.openshift.io/triggers"]);
        assert.equal(trigger.from.name, jobImage, `${o.metadata.name} rolls out when the job's image moves`);
      }
    });

    it("runs leader.yaml's, monitor.yaml's and worker-deployment.yaml's pods, plus the job", () => {
      const reference = RenderVariant("deployment", autoscaler, { ...JobParams("forecast"), IMAGE: jobImage }).objects;
      const strip = (o) => {
        const copy = structuredClone(o);
        const pod = copy.kind === "CronJob" ? copy.spec.jobTemplate.spec.template.spec : copy.spec.template.spec;
        delete pod.volumes;
        for (const c of pod.containers) {
          delete c.volumeMounts;
          c.env = c.env.filter((e) => e.name !== "DCP_JOB" && e.name !== "DCP_EXPORT_DIR");
        }
        delete copy.metadata.annotations?.["image.openshift.io/triggers"];
        return copy;
      };
      assert.deepEqual(strip(cron), strip(Find(reference, "CronJob", "dcp-leader")));
      assert.deepEqual(strip(worker), strip(Find(reference, "Deployment", "dcp-worker")));
      assert.deepEqual(strip(monitor), strip(Find(reference, "Deployment", "dcp-monitor")));
    });
  });
}

// The alerts: the PrometheusRule of templates/prometheus-rule.yaml and the
// plain rules file openshift/alerts/dcp-rules.yaml (promtool checks both
// files' rules: tests/deploy/rules_test.sh).
describe("alerts", () => {
  const kAlerts = ["DcpScheduledRunMissing", "DcpRunOverdue", "DcpDeadLettersGrowing", "DcpWorkersNotReady",
    "DcpQueueWithoutConsumer", "DcpMonitorBackendDown"];
  const plain = LoadYaml(path.join(repo, "openshift/alerts/dcp-rules.yaml"));
  const rendered = ProcessTemplate(LoadYaml(path.join(templatesDir, "prometheus-rule.yaml")), Params()).objects;

  it("the plain file is the template's rules with their defaults (node tests/deploy/render_rules.js)", () => {
    assert.deepEqual(plain, PlainRules());
    assert.deepEqual(plain.groups, Find(rendered, "PrometheusRule", "dcp").spec.groups);
  });

  it("every alert has an expression, a for, a severity, a summary, a description and a runbook", () => {
    const rules = plain.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.alert), kAlerts);
    const readme = fs.readFileSync(path.join(repo, "README.md"), "utf8");
    for (const r of rules) {
      assert.ok(r.expr && typeof r.expr === "string", r.alert);
      assert.match(r.for, /^\d+[smh]$/, r.alert);
      assert.ok(["critical", "warning"].includes(r.labels?.severity), r.alert);
      for (const a of ["summary", "description", "runbook_url"]) assert.ok(r.annotations?.[a], `${r.alert}: ${a}`);
      // The runbook is README's heading of the alert.
      assert.equal(r.annotations.runbook_url, `README.md#${r.alert.toLowerCase()}`);
      assert.match(readme, new RegExp(`^#### ${r.alert}$`, "m"), `README has no runbook of ${r.alert}`);
      // The job label of dcp-monitor's gauges is dcp_job: Prometheus owns `job`.
      assert.doesNotMatch(r.expr + JSON.stringify(r.annotations), /\$labels\.job\b|[{,]\s*job=/, r.alert);
    }
  });

  it("the thresholds are parameters", () => {
    const rule = Find(ProcessTemplate(LoadYaml(path.join(templatesDir, "prometheus-rule.yaml")),
      { ...Params(), RUN_MAX_SECONDS: "3600", NO_CONSUMER_FOR: "15m" }).objects, "PrometheusRule", "dcp");
    const byName = Object.fromEntries(rule.spec.groups[0].rules.map((r) => [r.alert, r]));
    assert.equal(byName.DcpRunOverdue.expr, "dcp_run_active_seconds > 3600");
    assert.equal(byName.DcpQueueWithoutConsumer.for, "15m");
  });

  it("its PodMonitor is autoscaler-keda-prometheus's: applying both makes one", () => {
    const keda = ProcessTemplate(LoadYaml(path.join(templatesDir, "autoscaler-keda-prometheus.yaml")), Params()).objects;
    assert.deepEqual(Find(rendered, "PodMonitor", "dcp"), Find(keda, "PodMonitor", "dcp"));
    // It scrapes dcp-monitor's /metrics (port http).
    assert.ok(Find(rendered, "PodMonitor", "dcp").spec.podMetricsEndpoints.some((e) => e.port === "http"));
  });
});

// openshift/apply --dry-run with a fake oc on PATH (lib/fake_oc.js): what it
// applies, in order; an object applied twice counts once, as the last.
describe("openshift/apply --dry-run", () => {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "dcp-fake-oc-"));
  fs.writeFileSync(path.join(bin, "oc"), `#!/bin/sh\nexec node ${JSON.stringify(path.join(repo, "tests/deploy/lib/fake_oc.js"))} "$@"\n`);
  fs.chmodSync(path.join(bin, "oc"), 0o755);
  after(() => fs.rmSync(bin, { recursive: true, force: true }));
  const credentials = ["-p", `MYSQL_URL=${kTestParams.MYSQL_URL}`, "-p", `MYSQL_MIGRATE_URL=${kTestParams.MYSQL_MIGRATE_URL}`];
  const options = { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_OC_NAMESPACE: kTestParams.NAMESPACE },
    encoding: "utf8" };
  const Apply = (...args) => {
    const out = execFileSync(path.join(repo, "openshift/apply"), ["--dry-run", ...credentials, ...args], options);
    const applied = new Map();
    for (const line of out.split("\n").filter(Boolean)) {
      for (const o of JSON.parse(line).items) applied.set(`${o.kind}/${o.metadata.name}`, o);
    }
    return [...applied.values()];
  };

  it("applies the reference job's variant as rendered here", () => {
    assert.deepEqual(Apply(), RenderVariant("deployment", "keda-rabbitmq").objects);
    assert.deepEqual(Apply("--worker-kind", "deploymentconfig", "--autoscaler", "keda-prometheus"),
      RenderVariant("deploymentconfig", "keda-prometheus").objects);
  });

  it("--job forecast applies the job's leader and worker instead, with job-forecast.env", () => {
    assert.deepEqual(Apply("--job", "forecast"), RenderJobVariant("forecast", "keda-rabbitmq").objects);
    assert.deepEqual(Apply("--job", "forecast", "--autoscaler", "rabbit-pod-autoscaler"),
      RenderJobVariant("forecast", "rabbit-pod-autoscaler").objects);
  });

  it("a -p wins over job-forecast.env, given once to oc process", () => {
    const objects = Apply("--job", "forecast", "-p", "DCP_QUEUE=dcp.other");
    assert.equal(Find(objects, "ConfigMap", "dcp-config").data.DCP_QUEUE, "dcp.other");
    assert.equal(Find(objects, "ScaledObject", "dcp-worker").spec.triggers[0].metadata.queueName, "dcp.other");
  });

  it("--mysql-policy adds the MySQL NetworkPolicy, and only then", () => {
    const names = (objects) => objects.filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.name).sort();
    assert.deepEqual(names(Apply()), ["dcp-monitor", "dcp-pods", "dcp-rabbitmq"]);
    assert.deepEqual(names(Apply("--mysql-policy")), ["dcp-monitor", "dcp-mysql", "dcp-pods", "dcp-rabbitmq"]);
  });

  it("applies the alerts unless --no-alerts", () => {
    assert.equal(Apply().filter((o) => o.kind === "PrometheusRule").length, 1);
    assert.deepEqual(Apply("--no-alerts", "--autoscaler", "none"),
      RenderVariant("deployment", "none", {}, false).objects);
    assert.equal(Apply("--no-alerts", "--autoscaler", "none").filter((o) => ["PrometheusRule", "PodMonitor"].includes(o.kind)).length, 0);
  });

  it("refuses a job with a DeploymentConfig worker, or a job it has no template for", () => {
    for (const args of [["--job", "forecast", "--worker-kind", "deploymentconfig"], ["--job", "nosuchjob"]]) {
      const result = spawnSync(path.join(repo, "openshift/apply"), ["--dry-run", ...args], options);
      assert.equal(result.status, 2, result.stderr);
    }
  });
});
