import {Document, visit, type ToStringOptions} from 'yaml'

/**
 * YAML that every reader takes the same way. Our YAML is read by YAML 1.2 parsers (most tools) and by YAML 1.1 ones
 * (Kubernetes' own, where `on` is a boolean and `0755` an octal number), so a string that either version would
 * resolve to something else when written plain (`no`, `010`, `0o7`, `1e3`, `~`) is written double-quoted.
 */
const IMPLICIT_TAG_TESTS: readonly RegExp[] = (['1.1', '1.2'] as const).flatMap((version) =>
  new Document(null, {version}).schema.tags.flatMap((tag) => ('test' in tag && tag.test ? [tag.test] : [])),
)

/** True when `text`, written as a plain scalar, would be read back as something other than this string. */
export function isAmbiguousYamlString(text: string): boolean {
  return IMPLICIT_TAG_TESTS.some((test) => test.test(text))
}

export interface YamlTextOptions extends ToStringOptions {
  /** Written as a `#` comment before the document, one comment line per line. */
  comment?: string
}

/** YAML text of one document; see IMPLICIT_TAG_TESTS for why some strings are quoted. */
export function formatYaml(value: unknown, options: YamlTextOptions = {}): string {
  const {comment, ...toString} = options
  const document = new Document(value, {version: '1.1', aliasDuplicateObjects: false})
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && isAmbiguousYamlString(node.value)) node.type = 'QUOTE_DOUBLE'
    },
  })
  if (comment)
    document.commentBefore = comment
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n')
  return document.toString({lineWidth: 0, ...toString})
}
