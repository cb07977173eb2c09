// docker-compose.yml, checked offline: its defaults agree with .env.example,
// and the properties the stack relies on hold after interpolation.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import YAML from "yaml";
import { MergeComposeFiles } from "./lib/compose_merge.js";
import { ReadEnvFile } from "./lib/template.js";
import { CodeTmpDirDefault, CodeWorkDirDefaults, repo } from "./lib/render.js";

const text = fs.readFileSync(path.join(repo, "docker-compose.yml"), "utf8");
const env = ReadEnvFile(path.join(repo, ".env.example"));
const kVar = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\})/g;

// Compose's interpolation: ${VAR}, ${VAR:-default}, $$ for a literal $.
function Interpolate(node, values) {
  if (typeof node === "string") {
    return node.replace(kVar, (_, dollar, name, fallback) =>
      dollar ? "$" : values[name] ?? fallback ?? "");
  }
  if (Array.isArray(node)) return node.map((n) => Interpolate(n, values));
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, Interpolate(v, values)]));
  }
  return node;
}

const raw = YAML.parse(text, { merge: true });
const withEnv = Interpolate(raw, env).services;
const withoutEnv = Interpolate(raw, {}).services;
// The dcp services run on a read-only root: every place dcp writes
// (DCP_WORK_DIR, else the code's default; TMPDIR's default; DCP_EXPORT_DIR)
// is on a tmpfs or a volume.
function CheckReadOnly(services, names) {
  for (const name of names) {
    const service = services[name];
    assert.equal(service.read_only, true, `${name}: writable root`);
    const program = service.command[0];
    const e = service.environment;
    const dirs = [e.DCP_WORK_DIR || CodeWorkDirDefaults()[program], e.TMPDIR || CodeTmpDirDefault()];
    if (e.DCP_EXPORT_DIR) dirs.push(e.DCP_EXPORT_DIR);
    const writable = [...(service.tmpfs ?? []).map((t) => t.split(":")[0]),
      ...(service.volumes ?? []).filter((v) => !v.endsWith(":ro")).map((v) => v.split(":")[1])];
    for (const dir of dirs) {
      assert.ok(writable.some((w) => dir === w || dir.startsWith(`${w}/`)), `${name}: nothing writable at ${dir}`);
    }
  }
}

const Seconds = (d) => {
  const m = String(d).match(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
};

describe("docker-compose.yml", () => {
  it("has a default for every variable, equal to .env.example", () => {
    for (const [, dollar, name, fallback] of text.matchAll(kVar)) {
      if (dollar) continue;
      assert.notEqual(fallback, undefined, `\${${name}} has no default: compose up would need a .env`);
      // podman-compose 1.0.3 keeps `${VAR:-}` as it is: the value would be that text.
      assert.notEqual(fallback, "", `\${${name}:-} is empty: podman-compose would pass it literally`);
      assert.equal(env[name], fallback, `${name}: .env.example and the default differ`);
    }
    assert.deepEqual(withEnv, withoutEnv);
  });

  const s = withEnv;

  it("pins the official images and gives RabbitMQ a fixed hostname and its UI", () => {
    assert.match(s.rabbitmq.image, /^rabbitmq:\d+\.\d+\.\d+-management$/);
    assert.match(s.mysql.image, /^mysql:\d+\.\d+\.\d+$/);
    assert.equal(s.rabbitmq.hostname, "rabbitmq");
    assert.ok(s.rabbitmq.ports.some((p) => /^127\.0\.0\.1:\d+:15672$/.test(p)), "UI on loopback");
    assert.ok(s.rabbitmq.volumes.some((v) => v.endsWith(":/var/lib/rabbitmq")));
  });

  it("loads the migrations at MySQL's first start, into a named volume", () => {
    assert.ok(s.mysql.volumes.includes("./db/migrations:/docker-entrypoint-initdb.d:ro"));
    const data = s.mysql.volumes.find((v) => v.endsWith(":/var/lib/mysql")).split(":")[0];
    assert.ok(data in raw.volumes, "named volume");
  });

  it("runs dcp as least-privilege users, the schema owner only for migrate", () => {
    const user = (url) => url.match(/^mysql:\/\/([^:]+):/)[1];
    assert.equal(user(s.migrate.environment.DCP_MYSQL_URL), s.mysql.environment.MYSQL_USER);
    for (const name of ["leader", "worker"]) {
      const u = user(s[name].environment.DCP_MYSQL_URL);
      assert.notEqual(u, "root");
      assert.notEqual(u, s.mysql.environment.MYSQL_USER, `${name} must not own the schema`);
      assert.equal(u, s["mysql-app-user"].environment.APP_USER);
    }
    assert.match(s["mysql-app-user"].command[0], /GRANT SELECT, INSERT, UPDATE, DELETE ON/);
  });

  it("migrates once, then starts the leader's schedule with a run now and two workers", () => {
    assert.deepEqual(s.migrate.command, ["dcp-leader", "migrate"]);
    assert.deepEqual(s.leader.command, ["dcp-leader", "schedule", "--run-now"]);
    assert.match(s.leader.environment.DCP_CRON, /^\S+ \S+ \S+ \S+ \S+$/);
    assert.deepEqual(s.worker.command, ["dcp-worker"]);
    assert.equal(Number(s.worker.deploy.replicas), 2);
    assert.equal(s.worker.container_name, undefined, "--scale needs generated names");
    assert.equal(s.worker.ports, undefined, "--scale needs no fixed host port");
    for (const name of ["leader", "worker"]) {
      const deps = s[name].depends_on;
      assert.equal(deps.rabbitmq.condition, "service_healthy");
      assert.equal(deps.migrate.condition, "service_completed_successfully");
      assert.equal(deps["mysql-app-user"].condition, "service_completed_successfully");
      assert.equal(s[name].environment.DCP_QUEUE, s.worker.environment.DCP_QUEUE);
      assert.equal(s[name].restart, "on-failure", "retries where conditions are ignored");
    }
    assert.equal(s.migrate.depends_on.mysql.condition, "service_healthy");
  });

  it("health-checks every long-running service, the dcp ones on /readyz:8080", () => {
    for (const name of ["rabbitmq", "mysql", "leader", "worker"]) assert.ok(s[name].healthcheck?.test, name);
    assert.match(s.worker.healthcheck.test, /\/dev\/tcp\/127\.0\.0\.1\/8080/);
    assert.match(s.worker.healthcheck.test, /GET \/readyz/);
    assert.equal(s.worker.environment.DCP_HTTP_PORT, "8080");
  });

  it("serves dcp-monitor from the same image, on loopback, with its token from .env", () => {
    const m = s.monitor;
    assert.deepEqual(m.command, ["dcp-monitor"]);
    assert.equal(m.image, s.worker.image, "the same image");
    assert.equal(m.environment.DCP_MONITOR_PORT, "8080");
    const published = m.ports.map((p) => p.match(/^127\.0\.0\.1:(\d+):(\d+)$/));
    assert.ok(published.length > 0 && published.every(Boolean), `loopback only: ${m.ports}`);
    assert.ok(published.some((p) => p[2] === m.environment.DCP_MONITOR_PORT));
    assert.match(raw.services.monitor.environment.DCP_MONITOR_TOKEN, /^\$\{DCP_MONITOR_TOKEN:-[^}]+\}$/,
      "the token comes from .env");
    assert.equal(m.environment.DCP_MONITOR_TOKEN, "generate", "no default token: one made per start");
    assert.equal(m.environment.DCP_MONITOR_ALLOWED_HOSTS, "localhost,127.0.0.1", "the Host allowlist");
    assert.equal(m.environment.DCP_MYSQL_URL, s.leader.environment.DCP_MYSQL_URL, "the application user");
    assert.equal(m.environment.DCP_QUEUE, s.worker.environment.DCP_QUEUE);
    assert.deepEqual(m.depends_on, s.leader.depends_on);
    assert.match(m.healthcheck.test, /\/dev\/tcp\/127\.0\.0\.1\/8080/);
    assert.match(m.healthcheck.test, /GET \/readyz/);
    const dockerfile = fs.readFileSync(path.join(repo, "Dockerfile"), "utf8");
    assert.match(dockerfile, /--target [^\n]*\bdcp-monitor\b/, "the image builds dcp-monitor");
  });

  it("runs the dcp services on a read-only root, writing only to /tmp", () => {
    CheckReadOnly(s, ["migrate", "leader", "worker", "monitor"]);
  });

  it("lets a worker drain its task, and the broker wait for it", () => {
    const timeout = Number(s.worker.environment.DCP_TASK_TIMEOUT);
    assert.ok(Seconds(s.worker.stop_grace_period) > timeout, "stop_grace_period vs DCP_TASK_TIMEOUT");
    const ms = Number(s.rabbitmq.environment.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS.match(/consumer_timeout (\d+)/)[1]);
    const rounds = Math.ceil(Number(s.worker.environment.DCP_PREFETCH) / Number(s.worker.environment.DCP_CONCURRENCY));
    assert.ok(ms > timeout * 1000 * rounds, "consumer_timeout vs task timeout");
  });

  it("keeps passwords out of the image and the build context", () => {
    const ignore = fs.readFileSync(path.join(repo, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".env", ".git", "out", "**/node_modules"]) assert.ok(ignore.includes(entry), entry);
    const dockerfile = fs.readFileSync(path.join(repo, "Dockerfile"), "utf8");
    assert.doesNotMatch(dockerfile, /PASSWORD|_URL=/);
    assert.match(dockerfile, /^USER 10001/m);
    assert.match(dockerfile, /^FROM debian:bookworm-slim AS build$/m);
  });
});

// examples/forecast/compose.yaml over docker-compose.yml, merged as the
// Compose Specification merges (lib/compose_merge.js).
describe("examples/forecast/compose.yaml", () => {
  const file = path.join(repo, "examples/forecast/compose.yaml");
  const overrideText = fs.readFileSync(file, "utf8");
  const merged = MergeComposeFiles([path.join(repo, "docker-compose.yml"), file]);
  const s = Interpolate(merged, {}).services;
  const job = YAML.parse(fs.readFileSync(path.join(repo, "examples/forecast/job.yaml"), "utf8"));
  const dockerfile = fs.readFileSync(path.join(repo, "examples/forecast/Dockerfile"), "utf8");
  const imageJobFile = dockerfile.match(/^ENV DCP_JOB=(\S+)/m)[1];

  it("has a default for every variable, equal to .env.example where it has one", () => {
    for (const [, dollar, name, fallback] of overrideText.matchAll(kVar)) {
      if (dollar) continue;
      assert.notEqual(fallback, undefined, `\${${name}} has no default`);
      if (name in env) assert.equal(env[name], fallback, `${name}: .env.example and the default differ`);
    }
  });

  // The leader plans, the workers compute and export, the monitor plans the
  // runs it triggers and may export: all are given the job.
  const kJobServices = ["leader", "worker", "monitor"];

  it("builds the forecast image FROM the dcp image, for the leader, the workers and the monitor", () => {
    for (const name of kJobServices) {
      assert.notEqual(s[name].image, s.migrate.image, `${name}: the dcp image has no python3`);
      assert.equal(s[name].image, s.leader.image);
      assert.deepEqual(s[name].build, {
        context: ".", dockerfile: "examples/forecast/Dockerfile", args: { DCP_IMAGE: s.migrate.image } });
    }
  });

  it("mounts examples/forecast/job.yaml read-only over the image's, as DCP_JOB", () => {
    for (const name of kJobServices) {
      const e = s[name].environment;
      assert.equal(e.DCP_JOB, imageJobFile, "the job's commands run in its folder, where job.py is");
      assert.ok(s[name].volumes.includes(`./examples/forecast/job.yaml:${e.DCP_JOB}:ro`), name);
    }
  });

  it("consumes and shows the job's queue, not dcp.tasks", () => {
    for (const name of kJobServices) {
      assert.equal(s[name].environment.DCP_QUEUE, job.queue ?? `dcp.${job.name}`, name);
    }
  });

  it("leaves the job file's settings to the job file: one run of its range", () => {
    assert.deepEqual(s.leader.command, ["dcp-leader", "run"]);
    assert.ok(job.range.from && job.range.to, "dcp-leader run plans the job's range");
    const owned = { DCP_TZ: job.tz, DCP_WINDOW: job.window, DCP_TASK_TIMEOUT: job.compute.timeout };
    for (const name of kJobServices) {
      for (const [variable, value] of Object.entries(owned)) {
        if (value === undefined) continue;
        const set = s[name].environment[variable];
        assert.ok(set === undefined || set === "", `${name}: ${variable}=${set} would win over the job file`);
      }
    }
    assert.ok(Seconds(s.worker.stop_grace_period) > job.compute.timeout, "stop_grace_period vs compute.timeout");
  });

  it("keeps the root read-only, the export folder writable", () => {
    CheckReadOnly(s, kJobServices);
  });

  it("gives the workers and the monitor an export folder they may write, on one named volume", () => {
    const dir = s.worker.environment.DCP_EXPORT_DIR;
    const volume = s.worker.volumes.find((v) => v.endsWith(`:${dir}`))?.split(":")[0];
    assert.ok(volume in merged.volumes, `no named volume at ${dir}`);
    const ownerName = Object.keys(s).find((n) => s[n].command?.[0] === "chown");
    const user = fs.readFileSync(path.join(repo, "Dockerfile"), "utf8").match(/^USER (\d+)/m)[1];
    assert.deepEqual(s[ownerName].command, ["chown", `${user}:0`, dir]);
    assert.equal(s[ownerName].user, "0:0");
    assert.ok(s[ownerName].volumes.includes(`${volume}:${dir}`));
    for (const name of ["worker", "monitor"]) {
      assert.equal(s[name].environment.DCP_EXPORT_DIR, dir, name);
      assert.ok(s[name].volumes.includes(`${volume}:${dir}`), name);
      assert.equal(s[name].depends_on[ownerName].condition, "service_completed_successfully", name);
    }
  });
});
