// Renders a Vega-Lite spec (JSON on stdin) to SVG on stdout, without a browser. vega and vega-lite
// are ESM-only with top-level await, so the CommonJS package reaches them through this child process.
import * as vega from 'vega';
import { compile } from 'vega-lite';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const spec = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
process.stdout.write(await view.toSVG());
view.finalize();
