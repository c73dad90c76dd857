// `npm run docs:sizing`: writes docs/operations.md's sizing tables from its inputs table (scripts/lib/sizing.ts).
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../config/index.ts';
import { withSizingTables } from './lib/sizing.ts';

const file = path.join(repoRoot, 'docs', 'operations.md');
const before = fs.readFileSync(file, 'utf8');
const after = withSizingTables(before);
if (after === before) console.log('docs/operations.md: the sizing tables are current');
else {
  fs.writeFileSync(file, after);
  console.log('docs/operations.md: sizing tables written');
}
