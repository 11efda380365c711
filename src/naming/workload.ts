/**
 * The alphabet of Kubernetes' generated suffixes (`k8s.io/apimachinery/pkg/util/rand`): the random
 * 5-character suffix of generateName and the pod-template-hash, both without vowels and 0, 1, 3.
 */
export const GENERATED_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

const G = `[${GENERATED_ALPHABET}]`
/** The random suffix of generateName pods (Job, DaemonSet, bare ReplicaSet): exactly 5 characters. */
const RANDOM = `${G}{5}`
/** pod-template-hash: a uint32 written in decimal, each digit mapped into the alphabet; 6–10 characters in practice. */
const TEMPLATE_HASH = `${G}{6,10}`
/** CronJob job names end in the scheduled time in minutes since the epoch: 8 digits from 1973 to 2160. */
const CRON_MINUTES = '[0-9]{8,10}'
/** StatefulSet ordinal or indexed-Job completion index, without leading zeros. */
const ORDINAL = '(?:0|[1-9][0-9]{0,4})'

const POD_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/
/** The workload part: a valid name that ends in a letter or digit (possibly a single character). */
const PREFIX = '([a-z0-9](?:[-a-z0-9.]*?[a-z0-9])?)'
const WITH_TWO_SUFFIXES = new RegExp(`^${PREFIX}-(?:${TEMPLATE_HASH}|${CRON_MINUTES}|${ORDINAL})-${RANDOM}$`)
const WITH_RANDOM_SUFFIX = new RegExp(`^${PREFIX}-${RANDOM}$`)
const WITH_ORDINAL = new RegExp(`^${PREFIX}-${ORDINAL}$`)

/**
 * The workload a pod belongs to, from the pod's name alone (nothing else reaches an OCI hook):
 * - Deployment `web-7d4b9c8f6d-x2k4q` → `web` (pod-template-hash + random suffix)
 * - CronJob `backup-28373640-x2k4q` → `backup` (scheduled minute + random suffix)
 * - indexed Job `migrate-3-x2k4q` → `migrate`
 * - Job, DaemonSet, bare ReplicaSet `agent-x2k4q` → `agent` (random suffix)
 * - StatefulSet `db-0` → `db` (ordinal)
 * Conservative: a name that is not a valid pod name or does not end in what Kubernetes generates stays whole
 * (`nginx`, `web-server`, `my_pod`). A hand-named pod that happens to end like a generated one (`cache-2`) is
 * shortened like a StatefulSet's: set an explicit name (annotation or template) where that matters.
 */
export function workloadFromPodName(pod: string): string {
  if (!POD_NAME.test(pod)) return pod
  for (const pattern of [WITH_TWO_SUFFIXES, WITH_RANDOM_SUFFIX, WITH_ORDINAL]) {
    const match = pattern.exec(pod)
    if (match) return match[1]!
  }
  return pod
}
