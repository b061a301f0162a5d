#!/usr/bin/env node
/*
 * The `weave-lab` command as npm installs it (package.json "bin"). It runs the compiled CLI when
 * `npm run build` has made an up-to-date one, and otherwise the TypeScript sources through
 * ts-node, so `npx weave-lab …` works in a fresh clone after `npm ci`, without a build step.
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..", "..");
const built = path.join(root, "bin", "components", "cli", "main.js");
const sources = path.join(root, "components");

/** Newest modification time of the non-test TypeScript sources under `dir` (0 when none). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
      newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function loadCli() {
  const haveSources = fs.existsSync(path.join(sources, "cli", "main.ts"));
  if (fs.existsSync(built) && (!haveSources || fs.statSync(built).mtimeMs >= newestSource(sources))) {
    return require(built);
  }
  let tsNode;
  try {
    tsNode = require("ts-node");
  } catch {
    process.stderr.write(
      "weave-lab: no compiled CLI in bin/ and no ts-node to run the sources: run 'npm ci' (or 'npm run build') in the weave-lab folder\n",
    );
    process.exit(2);
  }
  tsNode.register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  return require(path.join(sources, "cli", "main.ts"));
}

process.exitCode = loadCli().runCli(process.argv.slice(2));
