// The `oc` that openshift/apply --dry-run calls, for the tests: `oc project
// -q` prints FAKE_OC_NAMESPACE; `oc process -f FILE [--param-file=FILE]
// [--ignore-unknown-parameters] [-p NAME=VALUE]...` renders like
// template.js's ProcessTemplate (a -p wins over the file; a name given twice
// with -p is refused, as oc refuses it) and prints one List per line.
// Anything else fails: a dry run must not reach a cluster.
import fs from "node:fs";
import { LoadYaml, ProcessTemplate, ReadEnvFile } from "./template.js";

function Fail(message) {
  process.stderr.write(`fake oc: ${message}\n`);
  process.exit(1);
}

const [command, ...args] = process.argv.slice(2);
if (command === "project" && args.length === 1 && args[0] === "-q") {
  process.stdout.write(`${process.env.FAKE_OC_NAMESPACE ?? "dcp-test"}\n`);
  process.exit(0);
}
if (command !== "process") Fail(`unexpected command: ${process.argv.slice(2).join(" ")}`);

let file = "";
let fileParams = {};
const given = {};
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === "-f") file = args[++i];
  else if (arg.startsWith("--param-file=")) fileParams = ReadEnvFile(arg.slice("--param-file=".length));
  else if (arg === "--ignore-unknown-parameters") continue;
  else if (arg === "-p") {
    const pair = args[++i];
    const eq = pair.indexOf("=");
    if (eq < 0) Fail(`-p ${pair}: not NAME=VALUE`);
    const name = pair.slice(0, eq);
    if (name in given) Fail(`parameter ${name} provided more than once`);
    given[name] = pair.slice(eq + 1);
  } else Fail(`unexpected argument ${arg}`);
}
if (!fs.existsSync(file)) Fail(`no template ${file}`);
const { objects } = ProcessTemplate(LoadYaml(file), { ...fileParams, ...given });
process.stdout.write(`${JSON.stringify({ kind: "List", apiVersion: "v1", items: objects })}\n`);
