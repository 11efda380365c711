import assert from 'node:assert/strict'
import {readFileSync, rmSync} from 'node:fs'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import fc from 'fast-check'
import {parse, parseAllDocuments} from 'yaml'
import {buildProfiles} from '../../src/aggregate/build.js'
import {isUserError} from '../../src/core/errors.js'
import {renderProfile} from '../../src/formats/index.js'
import {formatSpoYaml, spoObjectMeta, toSpoSeccompProfile, type SpoSeccompProfile} from '../../src/formats/spo.js'
import {SECCOMP_OPERATORS, type SeccompAction, type SeccompProfile} from '../../src/profile/model.js'
import {normaliseProfile} from '../../src/profile/normalise.js'
import {RecordingStore} from '../../src/store/store.js'
import {fixture} from '../helpers/cli.js'
import {copyFixtureStore} from '../store/helpers/recordings.js'

/** versions[v1beta1].schema.openAPIV3Schema of the CRD fixture, made strict: unknown fields are errors (kubectl's strict field validation). */
function crdSchema(): object {
  const crd = parse(readFileSync(fixture('spo', 'seccompprofile-v1beta1.crd.yaml'), 'utf8')) as {
    spec: {versions: Array<{name: string; schema: {openAPIV3Schema: object}}>}
  }
  const version = crd.spec.versions.find((v) => v.name === 'v1beta1')!
  const strict = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strict)
    if (node === null || typeof node !== 'object') return node
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(node))
      out[k] =
        k === 'properties'
          ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, strict(pv)]))
          : strict(v)
    if (out.type === 'object' && out.properties) out.additionalProperties = false
    return out
  }
  return strict(version.schema.openAPIV3Schema) as object
}

const ajv = new Ajv({allErrors: true, strict: false, validateFormats: false})
const validateCrd = ajv.compile(crdSchema())
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const ANNOTATION_KEY =
  /^(([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/

/** Everything the API server would check: the CRD schema and the object-meta rules. */
function assertValidResource(document: unknown): void {
  assert.ok(validateCrd(document), ajv.errorsText(validateCrd.errors))
  const {metadata} = document as SpoSeccompProfile
  assert.ok(DNS_SUBDOMAIN.test(metadata.name) && metadata.name.length <= 253, `metadata.name ${metadata.name}`)
  if (metadata.namespace !== undefined) assert.match(metadata.namespace, DNS_LABEL)
  for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
    assert.match(key, ANNOTATION_KEY)
    assert.equal(typeof value, 'string')
  }
}

const dirs: string[] = []
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})))

describe('SPO SeccompProfile YAML', () => {
  it('is what the golden fixture holds for the fixture store', async () => {
    const dir = copyFixtureStore()
    dirs.push(dir)
    const result = await buildProfiles(new RecordingStore(dir), {
      filter: {names: ['default/web/nginx']},
      format: 'spo',
      dryRun: true,
    })
    assert.equal(result.built[0]!.text, readFileSync(fixture('spo', 'web-nginx.spo.yaml'), 'utf8'))
  })

  it('parses as one YAML document (1.2 and 1.1) that matches the CRD schema', () => {
    const text = readFileSync(fixture('spo', 'web-nginx.spo.yaml'), 'utf8')
    const documents = parseAllDocuments(text)
    assert.equal(documents.length, 1)
    assert.deepEqual(documents[0]!.errors, [])
    const document = parse(text) as SpoSeccompProfile
    assert.deepEqual(parse(text, {version: '1.1'}), document)
    assertValidResource(document)
    assert.equal(document.apiVersion, 'security-profiles-operator.x-k8s.io/v1beta1')
    assert.equal(document.kind, 'SeccompProfile')
    assert.deepEqual(document.metadata, {
      name: 'web.nginx',
      namespace: 'default',
      annotations: {'seccomp-recorder/profile-name': 'default/web/nginx', 'seccomp-recorder/recordings': '5'},
    })
    assert.equal(document.spec.defaultAction, 'SCMP_ACT_ERRNO')
    assert.equal(document.spec.syscalls![0]!.names.length, 15)
  })

  it('rejects what the CRD rejects (the check is not vacuous)', () => {
    const good = parse(readFileSync(fixture('spo', 'web-nginx.spo.yaml'), 'utf8')) as SpoSeccompProfile
    const bad: unknown[] = [
      {...good, spec: {...good.spec, defaultAction: 'SCMP_ACT_MAYBE'}},
      {...good, spec: {...good.spec, defaultErrnoRet: 1}},
      {...good, spec: {...good.spec, architectures: ['SCMP_ARCH_LOONGARCH64']}},
      {...good, spec: {...good.spec, syscalls: [{names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: '1'}]}},
      {...good, spec: {...good.spec, syscalls: [{names: ['read']}]}},
      {...good, spec: {defaultAction: 'SCMP_ACT_ERRNO'}},
    ]
    for (const document of bad) assert.equal(validateCrd(document), false, JSON.stringify(document).slice(0, 200))
  })

  const flatProfile: fc.Arbitrary<SeccompProfile> = fc
    .record({
      defaultAction: fc.constantFrom<SeccompAction>('SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_LOG'),
      architectures: fc.option(
        fc.uniqueArray(
          fc.constantFrom('SCMP_ARCH_X86_64' as const, 'SCMP_ARCH_X86' as const, 'SCMP_ARCH_AARCH64' as const),
          {minLength: 1},
        ),
        {nil: undefined},
      ),
      syscalls: fc.array(
        fc.record({
          names: fc.uniqueArray(fc.constantFrom('read', 'write', 'personality', 'clone3', 'mount'), {
            minLength: 1,
            maxLength: 3,
          }),
          action: fc.constantFrom<SeccompAction>(
            'SCMP_ACT_ALLOW',
            'SCMP_ACT_ERRNO',
            'SCMP_ACT_LOG',
            'SCMP_ACT_KILL_PROCESS',
          ),
          args: fc.option(
            fc.array(
              fc.record({
                index: fc.integer({min: 0, max: 5}),
                value: fc.nat(),
                op: fc.constantFrom(...SECCOMP_OPERATORS),
              }),
              {minLength: 1, maxLength: 6},
            ),
            {nil: undefined},
          ),
        }),
        {maxLength: 5},
      ),
    })
    .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as unknown as SeccompProfile)

  it('round-trips any flat profile it accepts, and validates', () => {
    fc.assert(
      fc.property(flatProfile, fc.stringMatching(/^[a-z0-9]{1,10}(\/[a-z0-9_.-]{1,20}){0,2}$/), (profile, name) => {
        const text = formatSpoYaml(toSpoSeccompProfile(profile, {name}))
        const document = parse(text) as SpoSeccompProfile
        assertValidResource(document)
        const normal = normaliseProfile(profile)
        assert.deepEqual(document.spec.syscalls ?? [], normal.syscalls)
        assert.equal(document.spec.defaultAction, normal.defaultAction)
        assert.deepEqual(document.spec.architectures, normal.architectures)
        assert.equal(document.metadata.annotations?.['seccomp-recorder/profile-name'], name)
      }),
      // "0o0" is the counterexample a CI run found: an octal number to YAML 1.2 readers, written plain.
      {numRuns: 200, examples: [[{defaultAction: 'SCMP_ACT_ERRNO', syscalls: []}, '0o0']]},
    )
  })

  it('quotes what YAML 1.1 readers would take for something else', () => {
    const text = renderProfile({defaultAction: 'SCMP_ACT_ERRNO'}, 'spo', {
      name: 'no',
      annotations: {'seccomp-recorder/recordings': '010'},
    })
    for (const version of ['1.1', '1.2'] as const) {
      const document = parse(text, {version}) as SpoSeccompProfile
      assert.equal(document.metadata.name, 'no')
      assert.equal(document.metadata.annotations?.['seccomp-recorder/recordings'], '010')
    }
  })

  it('refuses profiles SPO v1beta1 cannot express', () => {
    const cases: Array<[SeccompProfile, RegExp]> = [
      [{defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38}, /defaultErrnoRet 38/],
      [{defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_LOONGARCH64']}, /SCMP_ARCH_LOONGARCH64/],
      [
        {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [{names: ['ptrace'], action: 'SCMP_ACT_ALLOW', includes: {minKernel: '4.8'}}],
        },
        /docker/,
      ],
    ]
    for (const [profile, pattern] of cases) {
      assert.throws(
        () => toSpoSeccompProfile(profile, {name: 'x'}),
        (e: unknown) => isUserError(e) && pattern.test(e.message) && /--format oci/.test(e.suggestions[0] ?? ''),
      )
    }
    // EPERM is the runtime's default anyway: dropped, not refused.
    assert.equal(
      'defaultErrnoRet' in toSpoSeccompProfile({defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1}, {name: 'x'}).spec,
      false,
    )
  })
})

describe('spoObjectMeta', () => {
  it('maps Kubernetes profile names to namespace and name', () => {
    assert.deepEqual(spoObjectMeta('default/web/nginx'), {name: 'web.nginx', namespace: 'default'})
    assert.deepEqual(spoObjectMeta('default/api.v2/app'), {name: 'api.v2.app', namespace: 'default'})
    assert.deepEqual(spoObjectMeta('tools/busybox'), {name: 'tools.busybox'})
    assert.deepEqual(spoObjectMeta('merged'), {name: 'merged'})
    assert.match(spoObjectMeta('Shop/Web_App/nginx').name, /^shop.web-app.nginx-[0-9a-f]{8}$/)
    assert.match(spoObjectMeta('My_Ctr').name, /^my-ctr-[0-9a-f]{8}$/)
    assert.match(spoObjectMeta('a/.0').name, /^a.0-[0-9a-f]{8}$/)
    assert.match(spoObjectMeta('%%%').name, /^[0-9a-f]{8}$/)
    assert.match(spoObjectMeta(`a/${'b'.repeat(300)}/c`).name, /^.{1,253}$/)
    // Names that a plain "-" join would confuse stay apart.
    assert.notDeepEqual(spoObjectMeta('a/b-c/d'), spoObjectMeta('a/b/c-d'))
    assert.notDeepEqual(spoObjectMeta('tools/busybox'), spoObjectMeta('tools.busybox'))
  })

  it('always gives valid and distinct object names', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.oneof(
            fc.string({minLength: 1, maxLength: 80}),
            fc.stringMatching(/^[a-z0-9.-]{1,6}(\/[a-z0-9.-]{1,6}){0,3}$/),
          ),
          {minLength: 2, maxLength: 12},
        ),
        (names) => {
          const metas = names.map(spoObjectMeta)
          for (const meta of metas) {
            assert.ok(DNS_SUBDOMAIN.test(meta.name) && meta.name.length <= 253, meta.name)
            if (meta.namespace !== undefined) assert.match(meta.namespace, DNS_LABEL)
          }
          assert.equal(new Set(metas.map((m) => `${m.namespace}/${m.name}`)).size, names.length)
        },
      ),
      {numRuns: 300},
    )
  })
})
