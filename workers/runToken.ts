/**
 * Where the run token comes from on a command line: flags, a token file, the environment. Not
 * the contract (protocol/auth.ts holds the handshake's proofs made with it): it is read the same
 * way by the coordinator (`nnlab run`) and by a remote worker (`nnlab worker`), and workers/ is a
 * room both coordinator/ and a worker's own code may import.
 */
import { readFileSync } from 'node:fs';
import { errorCode, errorMessage } from '../base/plainData.js';

/**
 * The run token from, in order: `--token` (visible to every local user in `ps`), `--token-file`
 * (first line, trimmed), `NNLAB_TOKEN`. Undefined when none is given; an error for both flags at
 * once, an unreadable file or an empty token.
 */
export function resolveToken(flags: { token?: string | undefined; tokenFile?: string | undefined }, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flags.token !== undefined && flags.tokenFile !== undefined) throw new Error('give the token once: --token or --token-file, not both');
  let token = flags.token;
  if (flags.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.tokenFile, 'utf8');
    } catch (e) {
      throw new Error(`--token-file ${flags.tokenFile}: cannot read it (${errorCode(e) ?? errorMessage(e)})`);
    }
    token = text.split(/\r?\n/)[0]!.trim();
    if (token === '') throw new Error(`--token-file ${flags.tokenFile}: the first line is empty (expected the run token)`);
  }
  token ??= env.NNLAB_TOKEN === '' ? undefined : env.NNLAB_TOKEN;
  if (token !== undefined && token.length === 0) throw new Error('the run token is empty');
  return token;
}
