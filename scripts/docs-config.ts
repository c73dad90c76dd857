// `npm run docs:config`: writes README.md's configuration table from the schema in config/index.ts.
import fs from 'node:fs';
import path from 'node:path';
import { undescribed, withConfigTable } from '../config/docs.ts';
import { repoRoot } from '../config/index.ts';

const missing = undescribed();
if (missing.length) {
  console.error(`describe these variables in config/index.ts first (.describe('...')): ${missing.join(', ')}`);
  process.exit(1);
}
const file = path.join(repoRoot, 'README.md');
const before = fs.readFileSync(file, 'utf8');
const after = withConfigTable(before);
if (after === before) console.log('README.md: the configuration table is current');
else {
  fs.writeFileSync(file, after);
  console.log('README.md: configuration table written');
}
