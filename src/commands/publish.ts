import {mkdir} from 'node:fs/promises'
import {isAbsolute, join, resolve} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {writeOutputFile} from '../fs/output-file.js'
import {PublishReport, type PublishJson} from '../cli/formatters/publish-report.js'
import {prefixFlag, rootFlags} from '../cli/flags/publish.js'
import {withoutCoverageSidecars} from '../publish/inputs.js'
import {
  buildKubernetesManifests,
  DEFAULT_IMAGE,
  DEFAULT_NAMESPACE,
  DEFAULT_RESOURCE_NAME,
} from '../publish/kubernetes.js'
import {prepareProfiles, publishProfiles} from '../publish/publish.js'
import {seccompRoot} from '../publish/root.js'

export default class Publish extends BaseCommand {
  static override summary =
    'Publish seccomp profiles into the kubelet seccomp root, or as Kubernetes manifests that install them on every node.'
  static override description = `Each PROFILE is validated, refused if in docker/moby format (runtimes load Localhost profiles as flat OCI JSON), normalised and written to <root>/<prefix>/<name>.json — atomically (temp file in the same directory, fsync, rename, fsync the directory), files 0644, directories 0755. The name is --name, else the recorded name for a profile built into a recordings store (<store>/profiles/default_2Fweb_2Fnginx.json is published as default/web/nginx), else the file name without .json; it may contain "/" (team/app/web). Coverage sidecars (<name>.coverage.json) are skipped, so <store>/profiles/*.json publishes the built profiles. Names that are absolute, contain "..", NUL or other characters than letters, digits, ".", "_", "-" are refused, and so is every symlink below the root: nothing is written then.
Publishing the same content again changes nothing. A different file that seccomp-recorder did not publish is replaced only with --force, and kept as <file>.bak-<time>. What was published is tracked in <root>/.seccomp-recorder-published.json (see \`published list\`, \`unpublish\`); concurrent publishers take turns on a lock.
Prints the localhostProfile and a securityContext to paste into the pod spec.
With --kubernetes, nothing is written locally: a ConfigMap holding the profiles and a DaemonSet that copies them into every node's kubelet seccomp root are written as YAML (stdout, or <resource-name>.yaml in --output DIR).`
  static override examples = [
    {
      description: 'Publish a profile into the kubelet seccomp root of this node',
      command: '<%= config.bin %> <%= command.id %> my-app.json',
    },
    {
      description:
        'Publish under a prefix with an aggregated name: localhostProfile seccomp-recorder/team/app/web.json',
      command: '<%= config.bin %> <%= command.id %> --prefix seccomp-recorder --name team/app/web web.json',
    },
    {
      description: 'Install profiles on every node of a cluster',
      command:
        '<%= config.bin %> <%= command.id %> --kubernetes --prefix seccomp-recorder profiles/*.json | kubectl apply -f -',
    },
    {
      description: 'A kubelet started with --root-dir /data/kubelet',
      command: '<%= config.bin %> <%= command.id %> --kubelet-root-dir /data/kubelet my-app.json',
    },
    {
      description: 'See what would happen, write nothing',
      command: '<%= config.bin %> <%= command.id %> --dry-run --root ./seccomp profiles/*.json',
    },
    {
      description:
        'Publish every profile built into the recordings store under its recorded name (coverage sidecars are skipped)',
      command:
        '<%= config.bin %> <%= command.id %> --prefix seccomp-recorder /var/lib/seccomp-recorder/profiles/*.json',
    },
  ]
  static override strict = false
  static override args = {
    profile: Args.string({
      ignoreStdin: true,
      description: 'profile file(s) to publish (flat OCI JSON)',
      required: true,
    }),
  }
  static override flags = {
    ...rootFlags,
    prefix: prefixFlag,
    name: Flags.string({
      description:
        'the profile name (one PROFILE only); may contain "/", e.g. team/app/web [default: the file name without .json]',
    }),
    force: Flags.boolean({
      description: 'replace a different file that seccomp-recorder did not publish (a backup is kept)',
      default: false,
    }),
    'dry-run': Flags.boolean({
      description: 'check everything and show what would happen; write nothing',
      default: false,
    }),
    kubernetes: Flags.boolean({
      description:
        "write a ConfigMap and a DaemonSet that install the profiles into every node's kubelet seccomp root, instead of publishing here",
      default: false,
    }),
    output: Flags.string({
      char: 'o',
      description: 'with --kubernetes: a directory to write <resource-name>.yaml into, or - for stdout [default: -]',
    }),
    namespace: Flags.string({
      description: `with --kubernetes: namespace of the ConfigMap and DaemonSet [default: ${DEFAULT_NAMESPACE}]`,
    }),
    image: Flags.string({
      description: `with --kubernetes: image of the installer, any with busybox-like sh, cp, mv, find [default: ${DEFAULT_IMAGE}]`,
    }),
    'resource-name': Flags.string({
      description: `with --kubernetes: name of the ConfigMap and DaemonSet [default: ${DEFAULT_RESOURCE_NAME}]`,
    }),
  }

  async run(): Promise<PublishJson> {
    const {argv, flags} = await this.parse(Publish)
    const {profiles: paths, skipped} = await withoutCoverageSidecars(argv as string[])
    if (paths.length === 0)
      throw new UserError(
        'nothing to publish: every file given is a coverage sidecar (<name>.coverage.json), not a profile',
        {exit: EXIT.USAGE, code: 'usage'},
      )
    const kubernetesOnly = (['output', 'namespace', 'image', 'resource-name'] as const).filter(
      (f) => flags[f] !== undefined,
    )
    if (!flags.kubernetes && kubernetesOnly.length > 0)
      throw new UserError(`--${kubernetesOnly[0]} only applies with --kubernetes`, {exit: EXIT.USAGE, code: 'usage'})
    if (flags.kubernetes && flags.force)
      throw new UserError('--force only applies when publishing into a directory, not with --kubernetes', {
        exit: EXIT.USAGE,
        code: 'usage',
      })
    const given = flags.root ?? flags['kubelet-root-dir']
    if (flags.kubernetes && given !== undefined && !isAbsolute(given)) {
      throw new UserError(
        `with --kubernetes, --root and --kubelet-root-dir name a directory on the nodes: give an absolute path (got ${given})`,
        {exit: EXIT.USAGE, code: 'usage'},
      )
    }

    const root = seccompRoot({root: flags.root, kubeletRootDir: flags['kubelet-root-dir']})
    const prefix = (flags.prefix ?? '').replace(/\/+$/, '')
    const profiles = await prepareProfiles(paths, {name: flags.name, prefix})
    const c = terminalColours()

    if (!flags.kubernetes) {
      const result = await publishProfiles(profiles, {root, prefix, force: flags.force, dryRun: flags['dry-run']})
      const report = PublishReport.fromDirectory(result, skipped)
      if (!this.jsonEnabled()) this.log(report.display(c))
      return report.getJson()
    }

    const options = {
      seccompRoot: root,
      prefix,
      namespace: flags.namespace ?? DEFAULT_NAMESPACE,
      resourceName: flags['resource-name'] ?? DEFAULT_RESOURCE_NAME,
      image: flags.image ?? DEFAULT_IMAGE,
    }
    const manifests = buildKubernetesManifests(profiles, options)
    const toStdout = (flags.output ?? '-') === '-'
    let output: string | null = null
    if (!toStdout) {
      output = join(resolve(flags.output!), `${options.resourceName}.yaml`)
      if (!flags['dry-run']) {
        try {
          await mkdir(resolve(flags.output!), {recursive: true, mode: 0o755})
        } catch (error) {
          throw new UserError(`cannot write ${output}: ${(error as Error).message}`, {
            exit: EXIT.USAGE,
            code: 'unwritable',
          })
        }
        await writeOutputFile(output, manifests.yaml)
      }
    }
    const sources = new Map(
      profiles.map((p) => [p.location.localhostProfile, {source: p.source, warnings: p.warnings}]),
    )
    const report = PublishReport.fromKubernetes(
      manifests,
      {
        root,
        prefix,
        dryRun: flags['dry-run'],
        namespace: options.namespace,
        resourceName: options.resourceName,
        image: options.image,
        output,
      },
      sources,
      skipped,
    )
    if (!this.jsonEnabled()) {
      if (toStdout && !flags['dry-run']) {
        // The YAML is the output (pipe it to kubectl); the summary goes to stderr.
        process.stdout.write(manifests.yaml)
        process.stderr.write(`${report.display(terminalColours(process.env, Boolean(process.stderr.isTTY)))}\n`)
      } else {
        this.log(report.display(c))
      }
    }
    return report.getJson()
  }
}
