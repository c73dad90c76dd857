// The layers of Handoff, checked on every `npm run lint` (docs/design.md, "Layers", draws them). Imports point one
// way: contracts at the bottom, then config, then the store, the activities, the workflows and the Temporal
// connection, then the two kinds of process code (workers/, api/), then the process entry point (bin/); scripts,
// benchmarks and tests may use anything. The simulator stands apart: it is a switch, not part of the engine.
// Type-only imports count like any other: a circle of types is a circle all the same.

/** For each folder, the project folders its files may import (their own folder always). */
const MAY_IMPORT = {
  contracts: [],
  config: ['contracts'],
  store: ['contracts', 'config'],
  activities: ['contracts', 'config', 'store', 'observability'],
  // Workflows call activities through their types only (proxyActivities); eslint.config.js keeps those imports
  // type-only, since workflow code runs in Temporal's sandbox.
  workflows: ['contracts', 'activities'],
  temporal: ['contracts', 'config', 'observability'],
  // The logger, the metrics and the operations port: imported by every kind of process code, importing none of it.
  observability: [],
  workers: ['contracts', 'config', 'store', 'activities', 'workflows', 'temporal', 'observability'],
  api: ['contracts', 'config', 'store', 'workflows', 'temporal', 'observability'],
  bin: ['contracts', 'config', 'store', 'activities', 'workflows', 'temporal', 'workers', 'api', 'observability'],
  // The on-call CLI: Temporal and the node workers' admin endpoints, and the workflows' story (workflows/story.ts).
  ctl: ['contracts', 'config', 'temporal', 'workflows'],
  simulator: [],
};
const FOLDERS = [...Object.keys(MAY_IMPORT), 'scripts', 'bench', 'test'];

const layerRules = Object.entries(MAY_IMPORT).map(([folder, allowed]) => {
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    name: `layers-${folder}`,
    comment: `${folder}/ may import only ${allowed.length ? allowed.join(', ') : 'itself'} of the project`,
    severity: 'error',
    from: { path: `^${folder}/` },
    to: { path: `^(${forbidden.join('|')})/` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no file may reach itself through its imports (type-only imports included)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'not-to-unresolvable',
      comment: 'an import that names no file is a typo (or a file not yet written)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|data|dist|coverage|scratch|\\.tools)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
    },
  },
};
