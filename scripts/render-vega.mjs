// Renders Vega-Lite specs to SVG without a browser: one spec per line of JSON on stdin, one line of
// JSON per spec on stdout ({"svg": ...} or {"error": ...}), in order, until stdin ends. vega and
// vega-lite are ESM-only with top-level await, so the CommonJS package reaches them through this child
// process, which it keeps open across plots (importing vega is most of a plot's cost).
import { createInterface } from 'node:readline';
import * as vega from 'vega';
import { compile } from 'vega-lite';

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line === '') continue;
  let reply;
  try {
    const view = new vega.View(vega.parse(compile(JSON.parse(line)).spec), { renderer: 'none' });
    reply = { svg: await view.toSVG() };
    view.finalize();
  } catch (error) {
    reply = { error: String(error?.stack ?? error) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
