/**
 * node:fs for the browser bundle: there is no file system. The compiler
 * reads through BuildFiles (js/compiler/build.ts), which the worker backs
 * with the embedded sources; anything reaching this module is a bug.
 */
function none(name: string): never {
  throw new Error(`fs.${name}: there is no file system in the browser (pass BuildFiles to build())`);
}
export function readFileSync(): never { return none("readFileSync"); }
export function existsSync(): boolean { return false; }
export function writeFileSync(): never { return none("writeFileSync"); }
export function mkdirSync(): never { return none("mkdirSync"); }
export function statSync(): never { return none("statSync"); }
export function readdirSync(): never { return none("readdirSync"); }
export const promises = {};
export default { readFileSync, existsSync, writeFileSync, mkdirSync, statSync, readdirSync, promises };
