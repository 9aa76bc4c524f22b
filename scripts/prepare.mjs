#!/usr/bin/env node
// The package's `prepare` script: compiles the host, the compiler and the CLI
// (js/**/*.ts) into dist/, which the published package ships.
//
// npm runs `prepare` when it packs this package (`npm pack`, an install from
// a git URL or, with --install-links, from a folder) and when it links a
// folder (`npm install ../hoprt`). In the git case npm has installed the
// devDependencies first, so TypeScript is there. For a folder, npm installs
// nothing in it: an unbuilt checkout (a fresh clone, no node_modules) would
// fail with "tsc: not found". So, as npm does for a git dependency, this
// script installs the checkout's own dependencies (from its lock file) and
// builds it; the nested install runs this script again, which then finds
// TypeScript and compiles. A tarball (what `npm pack` makes) already holds
// dist/ and never runs `prepare`, so users' installs need no TypeScript.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const builtCli = join(root, "dist", "js", "cli", "main.js");
const NESTED = "HOPRT_PREPARE_NESTED";

function fail(message) {
  process.stderr.write(`hoprt prepare: ${message}\n`);
  process.exit(1);
}

/** TypeScript's tsc entry, resolved as Node would from this package; null when absent. */
function findTsc() {
  try {
    const require = createRequire(join(root, "package.json"));
    return join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
  } catch {
    return null;
  }
}

/**
 * The environment for the nested install: npm passes its command-line
 * configuration to scripts as npm_config_*; the ones that describe the
 * outer install (global, where to save, what to omit, links) must not
 * steer the checkout's own install.
 */
function nestedEnv() {
  const env = { ...process.env, [NESTED]: "1" };
  const outerOnly = /^npm_config_(global|location|prefix|omit|include|production|only|also|save.*|install_links|install_strategy|workspaces?|include_workspace_root|dry_run|package_lock_only|lockfile_version|ignore_scripts)$/i;
  for (const key of Object.keys(env)) if (outerOnly.test(key)) delete env[key];
  return env;
}

function installDependencies() {
  const npmCli = process.env.npm_execpath;
  const command = existsSync(join(root, "package-lock.json")) ? "ci" : "install";
  const args = [command, "--include=dev", "--no-audit", "--no-fund"];
  process.stderr.write(`hoprt prepare: ${root} has no node_modules; running \`npm ${command}\` there to build it\n`);
  try {
    if (npmCli && /\.[cm]?js$/.test(npmCli)) {
      execFileSync(process.execPath, [npmCli, ...args], { cwd: root, env: nestedEnv(), stdio: ["ignore", 2, 2] });
    } else {
      execFileSync(npmCli || "npm", args, { cwd: root, env: nestedEnv(), stdio: ["ignore", 2, 2] });
    }
  } catch (error) {
    fail(`installing the dependencies of ${root} failed (${error.message}); run \`npm install\` in ${root}, then install it again`);
  }
}

const tsc = findTsc();
if (tsc) {
  try {
    execFileSync(process.execPath, [tsc, "-p", root], { cwd: root, stdio: ["ignore", 2, 2] });
  } catch {
    fail("tsc reported errors (above); dist/ was not built");
  }
} else if (process.env[NESTED]) {
  fail(`TypeScript is still missing after installing the dependencies of ${root}`);
} else if (!existsSync(join(root, "node_modules"))) {
  installDependencies();
} else if (!existsSync(builtCli)) {
  fail(`${root} has node_modules but no TypeScript (installed without devDependencies?) and no dist/: run \`npm install --include=dev\` in ${root}`);
}
if (!existsSync(builtCli)) fail(`dist/ was not built (${builtCli} is missing)`);
