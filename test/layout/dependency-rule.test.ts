import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, describe, it} from 'node:test'
import {REPO_ROOT} from '../helpers/cli.js'

// The dependency rule (.dependency-cruiser.cjs, run on src/ by `npm run lint:deps` before the tests) must catch
// what it is there for. These cases run the same config on small trees in a temp dir: the real src/ is never touched.

const work = mkdtempSync(join(tmpdir(), 'scr-deps-'))
after(() => rmSync(work, {recursive: true, force: true}))

function cruise(name: string, files: Record<string, string>): {status: number; output: string} {
  const dir = join(work, name)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), {recursive: true})
    writeFileSync(join(dir, path), text)
  }
  copyFileSync(join(REPO_ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'))
  const run = spawnSync(
    join(REPO_ROOT, 'node_modules', '.bin', 'depcruise'),
    ['src', '--config', join(REPO_ROOT, '.dependency-cruiser.cjs')],
    {cwd: dir, encoding: 'utf8'},
  )
  return {status: run.status ?? -1, output: `${run.stdout}${run.stderr}`}
}

describe('dependency rule', () => {
  it('lets a folder import the folders below it', () => {
    const run = cruise('ok', {
      'src/core/errors.ts': 'export const E = 1\n',
      'src/store/store.ts': "import {E} from '../core/errors.js'\nexport const S = E\n",
      'src/commands/list.ts': "import {S} from '../store/store.js'\nexport const L = S\n",
    })
    assert.equal(run.status, 0, run.output)
  })

  it('refuses a back-up import: the domain importing the presentation layer', () => {
    const run = cruise('up', {
      'src/cli/output.ts': 'export const O = 1\n',
      'src/store/store.ts': "import {O} from '../cli/output.js'\nexport const S = O\n",
    })
    assert.notEqual(run.status, 0)
    assert.match(run.output, /layer-store: src\/store\/store\.ts → src\/cli\/output\.ts/)
  })

  it('refuses a folder-level cycle (one direction is always a back-up import)', () => {
    const run = cruise('cycle', {
      'src/kernel/a.ts': "import {B} from '../spool/b.js'\nexport const A = 1 + B\n",
      'src/spool/b.ts': "import {A} from '../kernel/a.js'\nexport const B = 1\nexport const C = A\n",
    })
    assert.notEqual(run.status, 0)
    assert.match(run.output, /layer-kernel: src\/kernel\/a\.ts → src\/spool\/b\.ts/)
  })

  it('refuses a module-level cycle inside one folder', () => {
    const run = cruise('circular', {
      'src/profile/a.ts': "import {B} from './b.js'\nexport const A = B\n",
      'src/profile/b.ts': "import {A} from './a.js'\nexport const B = () => A\n",
    })
    assert.notEqual(run.status, 0)
    assert.match(run.output, /no-circular/)
  })

  it('refuses a folder that has no place in the layers', () => {
    const run = cruise('unknown', {
      'src/core/errors.ts': 'export const E = 1\n',
      'src/utils/helpers.ts': "import {E} from '../core/errors.js'\nexport const H = E\n",
    })
    assert.notEqual(run.status, 0)
    assert.match(run.output, /layer-unknown: src\/utils\/helpers\.ts/)
  })
})
