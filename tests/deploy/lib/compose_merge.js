// Compose files merged the way the Compose Specification merges `-f a -f b`
// (docker compose v2, podman-compose 1.2), for the keys dcp's files use:
// mappings merge key by key; `command`, `entrypoint` and `healthcheck.test`
// are replaced; `environment`, `labels` and `depends_on` merge per name,
// `volumes` per target path, other lists of a service are appended;
// `build: DIR` is `build: {context: DIR}`. Variables are left as written
// (${VAR:-default}, $$): the engine interpolates the result.
//
// Debian 12's podman-compose 1.0.3 merges differently (it appends the
// override's command to the base's and refuses a build mapping over
// `build: .`), so compose_test.sh gives it one merged file:
//   node lib/compose_merge.js FILE... > merged.json   relative paths made absolute
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

function IsMapping(node) {
  return node !== null && typeof node === "object" && !Array.isArray(node);
}

// ["A=1", "B"] -> {A: "1", B: null}; depends_on [a] -> {a: {}}.
function AsMapping(node, key) {
  if (IsMapping(node)) return node;
  if (!Array.isArray(node)) throw new Error(`${key}: expected a mapping or a list`);
  return Object.fromEntries(node.map((item) => {
    if (key === "depends_on") return [item, {}];
    const eq = String(item).indexOf("=");
    return eq < 0 ? [item, null] : [item.slice(0, eq), item.slice(eq + 1)];
  }));
}

function VolumeTarget(volume) {
  if (IsMapping(volume)) return volume.target;
  const parts = String(volume).split(":");
  return parts.length === 1 ? parts[0] : parts[1];
}

// Mappings key by key, anything else replaced (healthcheck.test, build.args...).
function MergeNested(base, override) {
  if (!IsMapping(base) || !IsMapping(override)) return structuredClone(override);
  const merged = { ...base };
  for (const [key, value] of Object.entries(override)) {
    merged[key] = key in base ? MergeNested(base[key], value) : structuredClone(value);
  }
  return merged;
}

// One key of a service.
function MergeServiceKey(key, base, override) {
  if (base === undefined) return structuredClone(override);
  if (key === "command" || key === "entrypoint") return structuredClone(override);
  if (key === "build") {
    const asMapping = (b) => (typeof b === "string" ? { context: b } : b);
    return MergeNested(asMapping(base), asMapping(override));
  }
  if (key === "environment" || key === "labels" || key === "depends_on") {
    return MergeNested(AsMapping(base, key), AsMapping(override, key));
  }
  if (key === "volumes") {
    const targets = new Set(override.map(VolumeTarget));
    return [...base.filter((v) => !targets.has(VolumeTarget(v))), ...structuredClone(override)];
  }
  if (Array.isArray(base) && Array.isArray(override)) return [...base, ...structuredClone(override)];
  return MergeNested(base, override);
}

function MergeDocuments(base, override) {
  const { services: baseServices = {}, ...baseRest } = base;
  const { services: overrideServices = {}, ...overrideRest } = override;
  const merged = MergeNested(baseRest, overrideRest);
  const services = { ...baseServices };
  for (const [name, service] of Object.entries(overrideServices)) {
    const into = { ...(services[name] ?? {}) };
    for (const [key, value] of Object.entries(service ?? {})) {
      into[key] = MergeServiceKey(key, into[key], value);
    }
    services[name] = into;
  }
  return { ...merged, services };
}

// The merged, uninterpolated document of `files`, in order (YAML anchors and
// merge keys resolved per file, as the engines do).
export function MergeComposeFiles(files) {
  let merged = {};
  for (const file of files) {
    const doc = YAML.parse(fs.readFileSync(file, "utf8"), { merge: true });
    merged = MergeDocuments(merged, doc);
  }
  return merged;
}

// Relative paths (build contexts, bind mount sources) resolved against
// `dir`, the first file's folder, as the engines resolve them.
export function AbsolutePaths(merged, dir) {
  const resolve = (p) => (path.isAbsolute(p) ? p : path.resolve(dir, p));
  for (const service of Object.values(merged.services ?? {})) {
    if (typeof service.build === "string") service.build = { context: service.build };
    if (service.build?.context !== undefined) service.build.context = resolve(service.build.context);
    if (!service.volumes) continue;
    service.volumes = service.volumes.map((v) => {
      if (IsMapping(v)) return v.type === "bind" ? { ...v, source: resolve(v.source) } : v;
      const [source, ...rest] = String(v).split(":");
      return rest.length > 0 && /^\.{1,2}(\/|$)/.test(source) ? [resolve(source), ...rest].join(":") : v;
    });
  }
  return merged;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node compose_merge.js FILE...");
    process.exit(2);
  }
  const merged = AbsolutePaths(MergeComposeFiles(files), path.dirname(path.resolve(files[0])));
  process.stdout.write(`${JSON.stringify(merged, null, 2)}\n`);
}
