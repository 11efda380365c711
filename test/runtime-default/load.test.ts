/**
 * The runtime defaults: where each comes from, containerd's derivation from moby's, and on this machine the
 * host's own containers-common profile, checked against a count made independently from its JSON and from
 * the kernel's UAPI header (not from our syscall tables or resolver).
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {UserError} from '../../src/core/errors.js'
import {ProfileIndex} from '../../src/profile/semantics.js'
import type {SeccompRule} from '../../src/profile/model.js'
import {CONTAINERS_COMMON_DEFAULT_CAPS, DOCKER_DEFAULT_CAPS} from '../../src/runtime-default/capabilities.js'
import {containerdFromMoby} from '../../src/runtime-default/containerd.js'
import {findHostProfile, loadRuntimeDefault, parseRuntimeDefaultSpec} from '../../src/runtime-default/load.js'
import {resolveRuntimeDefault} from '../../src/runtime-default/index.js'
import {resolveProfile} from '../../src/runtime-default/resolve.js'
import {stringifyJson} from '../../src/json/stringify.js'
import {REPO_ROOT} from '../helpers/cli.js'

const HOST_CANDIDATES = ['/etc/containers/seccomp.json', '/usr/share/containers/seccomp.json']
const UNISTD_64 = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h'

describe('loadRuntimeDefault', () => {
  it("loads the bundled profiles with their runtimes' default capabilities", async () => {
    const cc = await loadRuntimeDefault('containers-common')
    assert.equal(cc.source, `${REPO_ROOT}/profiles/runtime-default/containers-common-seccomp.json`)
    assert.deepEqual(cc.defaultCaps, CONTAINERS_COMMON_DEFAULT_CAPS)
    const moby = await loadRuntimeDefault('moby')
    assert.equal(moby.source, `${REPO_ROOT}/profiles/runtime-default/moby-default.json`)
    assert.deepEqual(moby.defaultCaps, DOCKER_DEFAULT_CAPS)
    assert.deepEqual((await loadRuntimeDefault('containerd')).defaultCaps, DOCKER_DEFAULT_CAPS)
  })

  it("expresses containerd's default from moby's: lsm_* unconditional, no riscv_hwprobe", async () => {
    const moby = (await loadRuntimeDefault('moby')).profile
    const containerd = containerdFromMoby(moby)
    const target = {arch: 'SCMP_ARCH_X86_64', caps: DOCKER_DEFAULT_CAPS, kernel: '6.1'} as const
    const m = new ProfileIndex(resolveProfile(moby, target))
    const c = new ProfileIndex(resolveProfile(containerd, target))
    for (const name of ['lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr']) {
      assert.equal(m.verdict(name).allowance, 'denied', `moby without CAP_SYS_ADMIN: ${name}`)
      assert.equal(c.verdict(name).allowance, 'allowed', `containerd: ${name}`)
    }
    assert.equal(m.verdict('riscv_hwprobe').allowance, 'allowed')
    assert.equal(c.verdict('riscv_hwprobe').allowance, 'denied')
    // Nothing else differs.
    const differing = [...new Set([...m.names(), ...c.names()])].filter(
      (n) => stringifyJson(m.verdict(n)) !== stringifyJson(c.verdict(n)),
    )
    assert.deepEqual(differing.sort(), ['lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr', 'riscv_hwprobe'])
    assert.equal(
      moby.syscalls?.some((r) => r.names.includes('lsm_list_modules')),
      true,
      "the derivation must not change moby's own profile",
    )
  })

  it('parses --against values', () => {
    assert.equal(parseRuntimeDefaultSpec('runtime-default:moby'), 'moby')
    assert.equal(parseRuntimeDefaultSpec('runtime-default:containerd'), 'containerd')
    assert.equal(parseRuntimeDefaultSpec('RuntimeDefault:containers-common'), 'containers-common')
    assert.equal(
      parseRuntimeDefaultSpec('runtime-default', {hostPaths: ['/nonexistent/seccomp.json']}),
      'containers-common',
    )
    assert.equal(
      parseRuntimeDefaultSpec('runtime-default', {
        hostPaths: [`${REPO_ROOT}/profiles/runtime-default/moby-default.json`],
      }),
      'host',
    )
    assert.throws(() => parseRuntimeDefaultSpec('runtime-default:podman'), UserError)
    assert.throws(() => parseRuntimeDefaultSpec('moby'), UserError)
  })

  it('says what to do when there is no host profile', async () => {
    await assert.rejects(
      loadRuntimeDefault('host', {hostPaths: ['/nonexistent/a.json', '/nonexistent/b.json']}),
      (e: unknown) =>
        e instanceof UserError && e.exit === 2 && /runtime-default:containers-common/.test(e.suggestions.join(' ')),
    )
  })

  it('prefers /etc/containers over /usr/share/containers', () => {
    assert.equal(findHostProfile([`${REPO_ROOT}/package.json`, `${REPO_ROOT}/README.md`]), `${REPO_ROOT}/package.json`)
    assert.equal(findHostProfile(['/nonexistent', `${REPO_ROOT}/README.md`]), `${REPO_ROOT}/README.md`)
  })
})

describe('runtime-default:host on this machine (Debian 12, containers-common installed)', () => {
  const hostFile = HOST_CANDIDATES.find((p) => existsSync(p))

  it('uses the installed containers-common profile', async () => {
    assert.ok(
      hostFile,
      `none of ${HOST_CANDIDATES.join(', ')} exists: install podman (golang-github-containers-common)`,
    )
    const rd = await loadRuntimeDefault('host')
    assert.equal(rd.source, hostFile)
  })

  it('allows as many syscalls unconditionally on x86_64 as an independent count from the JSON says', async () => {
    assert.ok(hostFile)
    const header = readFileSync(UNISTD_64, 'utf8')
    const x86_64 = new Set([...header.matchAll(/^#define __NR_(\w+)\s+\d+/gm)].map((m) => m[1]!))
    const raw = JSON.parse(readFileSync(hostFile, 'utf8')) as {syscalls: Array<SeccompRule & {args?: unknown[] | null}>}
    const empty = (filter: object | undefined) =>
      filter === undefined || Object.values(filter).every((v) => v === null || (Array.isArray(v) && v.length === 0))
    const plain = (r: SeccompRule) => !r.args?.length && empty(r.includes) && empty(r.excludes)

    // 1. Names of ALLOW rules without any condition.
    const allowed = new Set(
      raw.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && plain(r)).flatMap((r) => r.names),
    )
    // 2. By hand from the file: three ALLOW rules without args whose conditions hold on x86_64 with the 11 default
    //    caps: arch_prctl and modify_ldt (includes arches with "amd64"), chroot (includes caps [CAP_SYS_CHROOT]).
    const byHand: Array<[string, object]> = [
      ['arch_prctl', {arches: ['amd64', 'x32']}],
      ['modify_ldt', {arches: ['amd64', 'x32', 'x86']}],
      ['chroot', {caps: ['CAP_SYS_CHROOT']}],
    ]
    for (const [name, includes] of byHand) {
      assert.ok(
        raw.syscalls.some(
          (r) =>
            r.action === 'SCMP_ACT_ALLOW' &&
            r.names.includes(name) &&
            JSON.stringify(r.includes) === JSON.stringify(includes) &&
            !r.args?.length,
        ),
        `${name}: the file changed, recount by hand`,
      )
      allowed.add(name)
    }
    // 3. Not unconditionally allowed after all: names also listed by a non-ALLOW rule without args that stays,
    //    i.e. one whose only condition is `excludes caps` none of which is a default cap (Debian's file lists
    //    setns both in its ALLOW list and in the EPERM rule for containers without CAP_SYS_ADMIN).
    for (const r of raw.syscalls) {
      const stays =
        r.action !== 'SCMP_ACT_ALLOW' &&
        !r.args?.length &&
        empty(r.includes) &&
        !r.excludes?.arches?.length &&
        r.excludes?.minKernel === undefined &&
        !(r.excludes?.caps ?? []).some((c) => CONTAINERS_COMMON_DEFAULT_CAPS.includes(c))
      if (stays) for (const n of r.names) allowed.delete(n)
    }
    // 4. Only real x86_64 syscalls, by the kernel's own header.
    const independent = [...allowed].filter((n) => x86_64.has(n)).length

    const rd = await resolveRuntimeDefault('host', {arch: 'SCMP_ARCH_X86_64', kernel: '6.1'})
    const index = new ProfileIndex(rd.resolved)
    const ours = [...x86_64].filter((n) => index.verdict(n).allowance === 'allowed').length
    assert.equal(ours, independent)
    assert.ok(ours >= 290 && ours <= 320, `about 300 expected, got ${ours}`)
  })
})
