// The OpenShift templates: every rendered object validates against its
// schema, and the properties that matter hold in every variant.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { LoadYaml, ProcessTemplate } from "./lib/template.js";
import { ValidateObject } from "./lib/validate.js";
import { AllTemplateFiles, Find, kVariants, kWorkerKinds, Params, PodSpecs, RenderVariant, templatesDir } from "./lib/render.js";

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
  });
});

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
      const dcpPods = PodSpecs(objects).filter(([pod]) => pod.containers[0].image === params.IMAGE);
      assert.ok(dcpPods.length >= 3, "worker, leader and migrate");
      for (const [pod, owner] of dcpPods) {
        for (const c of pod.containers) {
          assert.ok(c.envFrom?.some((e) => e.configMapRef?.name === "dcp-config"), `${owner.metadata.name} reads dcp-config`);
          assert.ok(!(c.env ?? []).some((e) => e.name === "DCP_QUEUE"), `${owner.metadata.name} overrides DCP_QUEUE`);
        }
      }
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

    it("uses one dcp image everywhere, resolvable through the ImageStream", () => {
      const images = new Set(PodSpecs(objects).filter(([, o]) => !/rabbit/.test(o.metadata.name))
        .flatMap(([pod]) => pod.containers.map((c) => c.image)));
      assert.deepEqual([...images], [params.IMAGE]);
      assert.equal(Find(objects, "ImageStream", "dcp").spec.lookupPolicy.local, true);
      assert.equal(Find(objects, "BuildConfig", "dcp").spec.output.to.name, "dcp:latest");
    });
  });
}

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
