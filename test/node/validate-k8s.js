// Validates Kubernetes manifests against the API's OpenAPI schemas bundled by the npm package
// kubernetes-models (Debian has no Kubernetes schema checker). Every document of every file
// named on the command line must be a kind this script knows and must validate; it prints one
// line per document and exits 1 on the first file with an error.
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const MODELS = path.join(__dirname, "node_modules", "kubernetes-models");

function modelFor(apiVersion, kind) {
  // apps/v1 -> apps/v1/Kind; v1 (the core group) -> v1/Kind; policy/v1 -> policy/v1/Kind.
  const file = path.join(MODELS, apiVersion, kind + ".js");
  if (!fs.existsSync(file)) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return require(file)[kind];
}

let failed = false;
for (const file of process.argv.slice(2)) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      console.log(`${file}: YAML error: ${doc.errors[0].message}`);
      failed = true;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    const name = `${file}: ${obj.kind}/${obj.metadata && obj.metadata.name}`;
    try {
      const Model = modelFor(obj.apiVersion, obj.kind);
      new Model(obj).validate();
      console.log(`${name}: valid`);
    } catch (e) {
      console.log(`${name}: INVALID: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
