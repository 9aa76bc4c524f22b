import type { Diagnostic } from "./protocol.js";

/**
 * asc's messages (with --noColors) are a header line, a code excerpt and a
 * place:  "ERROR TS2304: Cannot find name 'foo'." ... "└─ in app.ts(5,3)".
 * Messages placed in `appFile` get its line and column; others line 0.
 */
export function parseDiagnostics(stderr: string, appFile: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  let current: Diagnostic | null = null;
  for (const raw of stderr.split("\n")) {
    const head = /^(ERROR|WARNING|INFO)(?: (\w+))?: (.*)$/.exec(raw.trim());
    if (head) {
      current = { severity: head[1].toLowerCase() as Diagnostic["severity"], code: head[2] ?? "", message: head[3], line: 0, column: 0 };
      out.push(current);
      continue;
    }
    const place = /in (.+)\((\d+),(\d+)\)\s*$/.exec(raw);
    if (place && current && current.line === 0) {
      const file = place[1].trim();
      if (file === appFile || file.endsWith("/" + appFile)) {
        current.line = Number(place[2]);
        current.column = Number(place[3]);
      } else {
        current.message += ` (in ${file}:${place[2]})`;
      }
    }
  }
  return out;
}
