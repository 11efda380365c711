// The dependency rule of src/ (docs/ARCHITECTURE.md, "Layers"), checked by `npm run lint:deps` in `npm test`.
// Folders are layered bottom to top in the order below: a module may import modules of its own folder and of
// folders listed before it, never of a folder listed after it. That forbids every folder-level cycle and keeps the
// domain off the presentation layer (cli, commands sit on top). Module-level cycles are forbidden too.
/** @type {readonly string[]} bottom → top */
const LAYERS = [
  'core',
  'json',
  'syscalls',
  'fs',
  'oci',
  'config',
  'profile',
  'kernel',
  'store',
  'naming',
  'runtime-default',
  'runtime-tail',
  'formats',
  'aggregate',
  'diff',
  'drift',
  'publish',
  'spool',
  'launch',
  'hook',
  'gc',
  'install',
  'container-record',
  'cli',
  'commands',
]

const folders = (names) => `^src/(${names.join('|')})/`

/** One rule per layer: nothing in it imports a layer above it. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ may import only ${LAYERS.slice(0, i).join(', ') || 'nothing else in src/'} (folders below it); ${LAYERS.slice(i + 1).join(', ')} are above it`,
  severity: 'error',
  from: {path: `^src/${layer}/`},
  to: {path: folders(LAYERS.slice(i + 1))},
}))

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-unknown',
      comment: 'every folder of src/ has its place in LAYERS (.dependency-cruiser.cjs): add a new folder there',
      severity: 'error',
      from: {path: '^src/', pathNot: folders(LAYERS)},
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'modules do not import each other in a circle',
      severity: 'error',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'every relative import resolves to a file',
      severity: 'error',
      from: {path: '^src/'},
      to: {couldNotResolve: true, pathNot: '^node:'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    // resolve packages as Node does for an ES module (package.json "exports", "import" condition)
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
      mainFields: ['main', 'types'],
    },
    // sources import './x.js' for './x.ts' (NodeNext resolution)
  },
}
