// Prints openshift/alerts/dcp-rules.yaml: the PrometheusRule of
// templates/prometheus-rule.yaml with its parameters' defaults, as a plain
// Prometheus rules file (manifests.test.js checks that the file is this).
//   node tests/deploy/render_rules.js > openshift/alerts/dcp-rules.yaml
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { LoadYaml, ProcessTemplate } from "./lib/template.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function PlainRules() {
  const template = LoadYaml(path.join(repo, "openshift/templates/prometheus-rule.yaml"));
  const rule = ProcessTemplate(template, {}).objects.find((o) => o.kind === "PrometheusRule");
  return { groups: rule.spec.groups };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(
    "# Generated from openshift/templates/prometheus-rule.yaml (its defaults) by\n" +
      "# node tests/deploy/render_rules.js; edit the template, not this file.\n" +
      "# Load it into Prometheus with rule_files:, check it with promtool check rules.\n" +
      YAML.stringify(PlainRules(), { lineWidth: 0 }));
}
