import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'
import {findPackageRoot} from '../../src/core/package-root.js'
import {PACKAGE_ROOT} from '../../src/core/paths.js'
import {REPO_ROOT} from '../helpers/cli.js'

const tree = mkdtempSync(join(tmpdir(), 'scr-package-root-'))
after(() => rmSync(tree, {recursive: true, force: true}))

describe('findPackageRoot', () => {
  const root = join(tree, 'pkg')
  const deep = join(root, 'dist', 'cli', 'commands', 'profiles')
  mkdirSync(deep, {recursive: true})
  writeFileSync(join(root, 'package.json'), JSON.stringify({name: 'seccomp-recorder'}))
  // a package.json of another name (or unreadable JSON) on the way up is not ours
  writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({name: 'other', type: 'module'}))
  writeFileSync(join(root, 'dist', 'cli', 'package.json'), '{not json')

  it('walks up from a directory to the nearest package.json named seccomp-recorder', () => {
    assert.equal(findPackageRoot(deep), root)
  })

  it('starts from a module URL (import.meta.url) at any depth', () => {
    assert.equal(findPackageRoot(pathToFileURL(join(deep, 'show.js')).href), root)
    assert.equal(findPackageRoot(pathToFileURL(join(root, 'dist', 'x.js')).href), root)
  })

  it('fails when no such package.json is above', () => {
    const lone = join(tree, 'lone')
    mkdirSync(lone)
    assert.throws(() => findPackageRoot(lone), /no package.json named seccomp-recorder/)
  })

  it('PACKAGE_ROOT is the repository', () => {
    assert.equal(PACKAGE_ROOT, REPO_ROOT)
  })
})
