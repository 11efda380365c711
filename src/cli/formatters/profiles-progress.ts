import ora, {type Ora} from 'ora'

/**
 * The progress bar of `profiles build` and `profiles list` while recordings are read: on stderr, only when
 * stderr is a terminal with a width and there are at least `threshold` recordings, so scripts and pipes never see it.
 */
export class RecordingsProgress {
  private spinner: Ora | undefined
  private lastPercent = -1

  constructor(
    private readonly label: string,
    private readonly options: {threshold?: number; stream?: NodeJS.WriteStream; noColor?: boolean} = {},
  ) {}

  /** Pass as onProgress. */
  readonly update = (done: number, total: number): void => {
    const stream = this.options.stream ?? process.stderr
    // A terminal that reports no width (a bare pty) makes ora compute Infinity lines to clear: no bar there.
    if (!stream.isTTY || !((stream.columns ?? 0) > 0) || total < (this.options.threshold ?? 200)) return
    this.spinner ??= ora({stream, color: this.options.noColor ? false : 'cyan', discardStdin: false}).start()
    const percent = Math.floor((done / total) * 100)
    if (percent === this.lastPercent && done !== total) return
    this.lastPercent = percent
    this.spinner.text = `${this.label} ${bar(done / total)} ${done}/${total}`
  }

  stop(): void {
    this.spinner?.stop()
    this.spinner = undefined
  }
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}
