// Builds the search preview into ../server/preview/ (committed, so running Loupe needs no Node.js):
//
//   npm run build    bundle src/ with esbuild, copy index.html, write SOURCES.sha256
//   npm run check    rebuild in memory and fail if the committed files differ (CI)
//
// SOURCES.sha256 lists the sha256 of every input (src/*, package.json, package-lock.json, this
// script) and of every output; tests/server/test_preview.py recomputes them in Python, without
// Node.js, so a source edited without `npm run build` fails the test suite.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const WEB = dirname(fileURLToPath(import.meta.url));
const REPO = join(WEB, '..');
const OUT = join(REPO, 'server', 'preview');
const INPUTS = ['build.mjs', 'package.json', 'package-lock.json', ...readdirSync(join(WEB, 'src')).sort().map((f) => `src/${f}`)];

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The built files, in memory: name -> bytes. */
async function build() {
  const result = await esbuild.build({
    entryPoints: { app: join(WEB, 'src', 'main.js'), 'app-style': join(WEB, 'src', 'app.css') },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome100', 'firefox100', 'safari15'],
    legalComments: 'eof',
    write: false,
    outdir: OUT,
    logLevel: 'warning',
  });
  const files = {};
  for (const file of result.outputFiles) {
    const name = relative(OUT, file.path).replace('app-style.css', 'app.css');
    files[name] = Buffer.from(file.contents);
  }
  files['index.html'] = readFileSync(join(WEB, 'src', 'index.html'));
  return files;
}

/** "sha256  path" lines, inputs then outputs (paths relative to the repository root). */
function manifest(files) {
  const lines = ['# written by `npm run build` in web/; checked by tests/server/test_preview.py'];
  for (const input of INPUTS) lines.push(`${sha256(readFileSync(join(WEB, input)))}  web/${input}`);
  for (const name of Object.keys(files).sort()) lines.push(`${sha256(files[name])}  server/preview/${name}`);
  return Buffer.from(lines.join('\n') + '\n');
}

async function main() {
  const files = await build();
  files['SOURCES.sha256'] = manifest(files);
  if (process.argv.includes('--check')) {
    const stale = Object.keys(files).filter((name) => {
      try {
        return !readFileSync(join(OUT, name)).equals(files[name]);
      } catch {
        return true;
      }
    });
    if (stale.length) {
      console.error(`server/preview is stale (${stale.join(', ')}): run \`npm run build\` in web/ and commit`);
      process.exit(1);
    }
    console.log('server/preview matches its sources');
    return;
  }
  mkdirSync(OUT, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(OUT, name), bytes);
  console.log(`built ${Object.keys(files).sort().join(', ')} into server/preview/`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
