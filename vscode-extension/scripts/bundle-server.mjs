// Copies an `agentblocks` binary into server/, where the extension finds it when neither the
// setting nor the PATH names one; `npm run package` then ships it in the .vsix.
//   node scripts/bundle-server.mjs [path/to/agentblocks]   (default: ../target/release/agentblocks)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const exe = process.platform === 'win32' ? 'agentblocks.exe' : 'agentblocks';
const from = path.resolve(process.argv[2] ?? path.join(root, '..', 'target', 'release', exe));
if (!fs.existsSync(from)) {
  console.error(`no binary at ${from}: build it (cargo build --release) or pass its path`);
  process.exit(1);
}
fs.mkdirSync(path.join(root, 'server'), { recursive: true });
const to = path.join(root, 'server', exe);
fs.copyFileSync(from, to);
fs.chmodSync(to, 0o755);
console.log(`bundled ${from} -> ${to}`);
