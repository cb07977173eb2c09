// `oc process` for the tests: parameter defaults, required and generated
// parameters, "${NAME}" inside strings and "${{NAME}}" as a whole value
// (parsed as JSON, so numbers stay numbers).
import fs from "node:fs";
import YAML from "yaml";

export function LoadYaml(file) {
  return YAML.parse(fs.readFileSync(file, "utf8"));
}

export function LoadYamlDocuments(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS());
}

// KEY=VALUE lines; '#' comments and blank lines ignored.
export function ReadEnvFile(file) {
  const values = {};
  for (const raw of fs.readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`${file}: not KEY=VALUE: ${line}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

// Returns {objects, values}; throws on a missing required parameter or a
// reference to an undeclared one (oc would leave it in place silently).
export function ProcessTemplate(template, given) {
  const values = {};
  for (const p of template.parameters ?? []) {
    if (given[p.name] !== undefined) values[p.name] = String(given[p.name]);
    else if (p.value !== undefined) values[p.name] = String(p.value);
    else if (p.generate === "expression") values[p.name] = `generated${p.name.replace(/_/g, "")}`;
    else if (p.required) throw new Error(`${template.metadata.name}: parameter ${p.name} is required`);
    else values[p.name] = "";
  }
  const lookup = (name) => {
    if (!(name in values)) throw new Error(`${template.metadata.name}: undeclared parameter ${name}`);
    return values[name];
  };
  const substitute = (node) => {
    if (typeof node === "string") {
      const whole = node.match(/^\$\{\{([A-Za-z0-9_]+)\}\}$/);
      if (whole) {
        const text = lookup(whole[1]);
        try {
          return JSON.parse(text);
        } catch {
          return text;
        }
      }
      return node.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name) => lookup(name));
    }
    if (Array.isArray(node)) return node.map(substitute);
    if (node && typeof node === "object") {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, substitute(v)]));
    }
    return node;
  };
  return { objects: substitute(template.objects ?? []), values };
}
