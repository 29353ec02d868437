export interface ProfileProblem {
  /** Path inside the profile file, e.g. "uplinks[0].layout.channels[2].values[0].field". */
  path: string;
  message: string;
}

/** A profile file that cannot be used; the message names the file and each bad field. */
export class ProfileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ProfileProblem[],
  ) {
    super(problems.map((problem) => `${file}: ${problem.path || '(file)'}: ${problem.message}`).join('\n'));
    this.name = 'ProfileError';
  }
}

/** Formats a zod issue path as in the profile: a.b[2].c */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}
