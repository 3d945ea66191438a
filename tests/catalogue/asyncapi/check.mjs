// Parses an AsyncAPI document with the official parser (@asyncapi/parser, what AsyncAPI Studio
// and the generator use) and prints what it found as one JSON object on stdout:
// {"parsed": bool, "diagnostics": [{severity, code, message, path}], "channels": n, ...}.
// Usage: node check.mjs <folder where @asyncapi/parser is installed> <document>
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [parserFolder, documentPath] = process.argv.slice(2);
if (!parserFolder || !documentPath) {
  console.error("usage: node check.mjs <parser folder> <document>");
  process.exit(2);
}
const require = createRequire(join(resolve(parserFolder), "package.json"));
const { Parser } = require("@asyncapi/parser");

const SEVERITIES = ["error", "warning", "information", "hint"];
const source = resolve(documentPath);
const { document, diagnostics } = await new Parser().parse(readFileSync(source, "utf8"), {
  source,
});
console.log(
  JSON.stringify({
    parsed: document !== undefined,
    diagnostics: diagnostics.map((d) => ({
      severity: SEVERITIES[d.severity] ?? String(d.severity),
      code: String(d.code),
      message: d.message,
      path: d.path.join("/"),
    })),
    channels: document?.channels().length ?? 0,
    operations: document?.operations().length ?? 0,
    messages: document?.components().messages().length ?? 0,
    schemas: document?.components().schemas().length ?? 0,
  }),
);
