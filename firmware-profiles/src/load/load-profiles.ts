import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { CodecSandbox } from '../codec/sandbox.js';
import { CompiledProfile } from '../compile/compile-profile.js';
import { formatPath, ProfileError } from '../compile/profile-error.js';
import { type CodecProfile, type Profile, profileSchemaFor } from '../format/profile-schema.js';
import { checkVector } from './check-vector.js';
import { defaultProfilesDir } from './profiles-dir.js';

const maxProfileBytes = 1024 * 1024;
const maxCodecBytes = 256 * 1024;
const profileExtensions = new Set(['.yaml', '.yml', '.json']);

export interface LoadedProfiles {
  profiles: Map<string, CompiledProfile>;
  /** Files that could not be used, each naming the file and the field; the other profiles still load. */
  errors: ProfileError[];
}

/** Loads, validates and compiles every profile file in `dir`, then checks each against its own test vectors. */
export async function loadProfiles(dir = defaultProfilesDir()): Promise<LoadedProfiles> {
  const names = (await readdir(dir)).filter((name) => profileExtensions.has(extname(name))).sort();
  const profiles = new Map<string, CompiledProfile>();
  const errors: ProfileError[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const shown = relative(process.cwd(), path) || name;
    try {
      const profile = await loadProfileFile(path, shown);
      const clash = profiles.get(profile.id);
      if (clash) {
        profile.dispose();
        throw new ProfileError(shown, [{ path: 'id', message: `${profile.id} is already defined by ${clash.file}` }]);
      }
      profiles.set(profile.id, profile);
    } catch (error) {
      errors.push(error instanceof ProfileError ? error : new ProfileError(shown, [{ path: '', message: String(error) }]));
    }
  }
  return { profiles, errors };
}

/** Loads one profile file; throws ProfileError naming `shown` (the file as the user knows it). */
export async function loadProfileFile(path: string, shown = path): Promise<CompiledProfile> {
  const size = (await stat(path)).size;
  if (size > maxProfileBytes) throw new ProfileError(shown, [{ path: '', message: `file is ${size} bytes; the limit is ${maxProfileBytes}` }]);
  const raw = parseProfileText(await readFile(path, 'utf8'), extname(path) === '.json', shown);
  const parsed = profileSchemaFor(raw).safeParse(raw);
  if (!parsed.success) {
    throw new ProfileError(shown, parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })));
  }
  const profile: Profile = parsed.data;
  const expected = basename(path, extname(path));
  if (profile.id !== expected) {
    throw new ProfileError(shown, [{ path: 'id', message: `is "${profile.id}"; the file must be named ${profile.id}${extname(path)}` }]);
  }
  const compiled = await CompiledProfile.compile(shown, profile, () => startCodec(join(path, '..'), profile as CodecProfile, shown));
  const problems = profile.vectors.flatMap((vector, index) =>
    checkVector(compiled, vector).map((message) => ({ path: `vectors[${index}]`, message })),
  );
  if (problems.length > 0) {
    compiled.dispose();
    throw new ProfileError(shown, problems);
  }
  return compiled;
}

function parseProfileText(text: string, isJson: boolean, shown: string): unknown {
  if (isJson) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ProfileError(shown, [{ path: '', message: `not valid JSON: ${(error as Error).message}` }]);
    }
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ProfileError(shown, document.errors.map((error) => ({ path: '', message: `not valid YAML: ${error.message}` })));
  }
  return document.toJS({ maxAliasCount: 100 });
}

async function startCodec(dir: string, profile: CodecProfile, shown: string): Promise<CodecSandbox> {
  const codecPath = join(dir, profile.codec.file);
  let source: string;
  try {
    const size = (await stat(codecPath)).size;
    if (size > maxCodecBytes) throw new Error(`codec is ${size} bytes; the limit is ${maxCodecBytes}`);
    source = await readFile(codecPath, 'utf8');
  } catch (error) {
    throw new ProfileError(shown, [{ path: 'codec.file', message: `cannot read ${profile.codec.file}: ${(error as Error).message}` }]);
  }
  try {
    return await CodecSandbox.create(source, profile.codec.api, profile.codec.file);
  } catch (error) {
    throw new ProfileError(shown, [{ path: 'codec.file', message: (error as Error).message }]);
  }
}
